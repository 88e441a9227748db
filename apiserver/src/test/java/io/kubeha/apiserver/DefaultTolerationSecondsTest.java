package io.kubeha.apiserver;

import io.kubeha.apiserver.api.Json;
import io.kubeha.store.Store;
import io.kubeha.store.StoreOptions;
import io.kubeha.store.embedded.EmbeddedStore;
import io.kubeha.testkit.Ports;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** kube-apiserver's DefaultTolerationSeconds admission, through the real API server (its flags set to 60 and 30). */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DefaultTolerationSecondsTest {
    Path dir;
    Store store;
    ApiServer server;
    String url;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    void start() throws Exception {
        dir = Files.createTempDirectory("kubeha-tolerations-test");
        store = EmbeddedStore.open(dir.resolve("store"), StoreOptions.DEFAULTS.withFsync(false));
        var bind = new InetSocketAddress("127.0.0.1", Ports.free(InetAddress.getLoopbackAddress()));
        server = new ApiServer(store, ApiServerConfig.of(bind).withDefaultTolerationSeconds(60, 30)).start();
        url = "http://127.0.0.1:" + server.address().getPort();
    }

    @AfterAll
    void stop() throws Exception {
        server.close();
        store.close();
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    JsonNode call(String method, String path, String body, int expect) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(30));
        r.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json");
        HttpResponse<String> resp = http.send(r.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(resp.statusCode()).as(resp.body()).isEqualTo(expect);
        return Json.MAPPER.readTree(resp.body());
    }

    JsonNode create(String name, String tolerations) throws Exception {
        return call("POST", "/api/v1/namespaces/default/pods", """
                {"apiVersion":"v1","kind":"Pod","metadata":{"name":"%s"},
                 "spec":{"containers":[{"name":"c","image":"img:1"}],"tolerations":%s}}""".formatted(name, tolerations), 201);
    }

    static List<String> tolerations(JsonNode pod) {
        List<String> out = new ArrayList<>();
        for (JsonNode t : pod.path("spec").path("tolerations")) {
            out.add(t.path("key").asString("") + "|" + t.path("operator").asString("") + "|" + t.path("effect").asString("")
                    + "|" + (t.has("tolerationSeconds") ? t.path("tolerationSeconds").asLong() : "forever"));
        }
        return out;
    }

    @Test
    void aPodWithoutThemGetsBothWithTheConfiguredSeconds() throws Exception {
        assertThat(tolerations(create("plain", "[]"))).containsExactly(
                "node.kubernetes.io/not-ready|Exists|NoExecute|60", "node.kubernetes.io/unreachable|Exists|NoExecute|30");
        assertThat(tolerations(create("other", "[{\"key\":\"gpu\",\"operator\":\"Exists\",\"effect\":\"NoSchedule\"}]"))).containsExactly(
                "gpu|Exists|NoSchedule|forever",
                "node.kubernetes.io/not-ready|Exists|NoExecute|60", "node.kubernetes.io/unreachable|Exists|NoExecute|30");
    }

    @Test
    void aPodThatToleratesOneAlreadyKeepsItsOwnAndGetsOnlyTheOther() throws Exception {
        assertThat(tolerations(create("own", """
                [{"key":"node.kubernetes.io/unreachable","operator":"Exists","effect":"NoExecute","tolerationSeconds":6000}]""")))
                .containsExactly("node.kubernetes.io/unreachable|Exists|NoExecute|6000", "node.kubernetes.io/not-ready|Exists|NoExecute|60");
        // an empty effect covers NoExecute; an empty key with Exists covers every key
        assertThat(tolerations(create("any-effect", "[{\"key\":\"node.kubernetes.io/not-ready\",\"operator\":\"Exists\"}]")))
                .containsExactly("node.kubernetes.io/not-ready|Exists||forever", "node.kubernetes.io/unreachable|Exists|NoExecute|30");
        assertThat(tolerations(create("everything", "[{\"operator\":\"Exists\"}]"))).containsExactly("|Exists||forever");
    }

    @Test
    void aWholePodUpdateWithoutThemKeepsThem() throws Exception {
        JsonNode pod = create("replaced", "[]");
        ObjectNode next = (ObjectNode) pod.deepCopy();
        ((ObjectNode) next.path("spec")).remove("tolerations");
        ((ObjectNode) next.path("metadata")).putObject("labels").put("changed", "yes");
        JsonNode updated = call("PUT", "/api/v1/namespaces/default/pods/replaced", Json.MAPPER.writeValueAsString(next), 200);
        assertThat(updated.path("metadata").path("labels").path("changed").asString()).isEqualTo("yes");
        assertThat(tolerations(updated)).containsExactly(
                "node.kubernetes.io/not-ready|Exists|NoExecute|60", "node.kubernetes.io/unreachable|Exists|NoExecute|30");
    }

    @Test
    void theDefaultsAreKubernetesAndNegativeSecondsAreRefused() {
        var config = ApiServerConfig.of(new InetSocketAddress("127.0.0.1", 0));
        assertThat(config.defaultNotReadyTolerationSeconds()).isEqualTo(300);
        assertThat(config.defaultUnreachableTolerationSeconds()).isEqualTo(300);
        assertThatThrownBy(() -> config.withDefaultTolerationSeconds(-1, 300)).hasMessageContaining("not-ready");
        assertThatThrownBy(() -> config.withDefaultTolerationSeconds(300, -1)).hasMessageContaining("unreachable");
    }
}
