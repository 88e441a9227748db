package io.kubeha.apiserver;

import io.kubeha.store.Store;
import io.kubeha.store.StoreOptions;
import io.kubeha.store.embedded.EmbeddedStore;
import io.kubeha.testkit.Ports;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** --advertise-address: what the kubernetes Service sends to, when the server listens on the wildcard or behind another name. */
class AdvertiseAddressTest {
    @TempDir
    Path dir;

    @Test
    void aServerOnTheWildcardIsReachedThroughItsAdvertisedAddress() throws Exception {
        int port = Ports.free(InetAddress.getLoopbackAddress());
        ApiServerConfig config = ApiServerConfig.of(new InetSocketAddress("0.0.0.0", port))
                .withAdvertiseAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 5}));
        try (Store store = EmbeddedStore.open(dir.resolve("store"), StoreOptions.DEFAULTS.withFsync(false));
             ApiServer server = new ApiServer(store, config).start()) {
            String body = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                    "http://127.0.0.5:" + port + "/api/v1/namespaces/default/endpoints/kubernetes")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            var subsets = JsonMapper.builder().build().readTree(body).path("subsets");
            assertThat(subsets.size()).isEqualTo(1);
            assertThat(subsets.get(0).path("addresses").get(0).path("ip").asString()).isEqualTo("127.0.0.5");
            assertThat(subsets.get(0).path("ports").get(0).path("port").asInt()).isEqualTo(port);
        }
    }

    @Test
    void theWildcardIsNoAddressToAdvertise() {
        assertThatThrownBy(() -> ApiServerConfig.of(new InetSocketAddress("127.0.0.1", 6443))
                .withAdvertiseAddress(InetAddress.getByName("0.0.0.0")))
                .hasMessage("the advertise address must be one the cluster can reach, not 0.0.0.0");
    }
}
