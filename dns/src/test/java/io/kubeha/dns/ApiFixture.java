package io.kubeha.dns;

import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.kubeha.apiserver.ApiServer;
import io.kubeha.store.Store;
import io.kubeha.store.StoreOptions;
import io.kubeha.store.embedded.EmbeddedStore;
import io.kubeha.testkit.Ports;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** A real API server on the embedded store in a temp dir, and fabric8 clients for it (as the controllers' tests). */
final class ApiFixture implements AutoCloseable {
    static {
        // a condition read before the object has its status (a null, an empty list) is "not yet", as an assertion
        // that does not hold yet is: Awaitility would otherwise end the wait at the first such exception
        org.awaitility.Awaitility.ignoreExceptionsByDefault();
    }

    static final Duration WAIT = Duration.ofSeconds(30);

    final Path dir;
    final Store store;
    final ApiServer server;
    final String url;
    final KubernetesClient client;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    ApiFixture() throws IOException {
        dir = Files.createTempDirectory("kubeha-dns-test");
        store = EmbeddedStore.open(dir.resolve("store"), StoreOptions.DEFAULTS.withFsync(false));
        server = new ApiServer(store, new InetSocketAddress("127.0.0.1", Ports.free(InetAddress.getLoopbackAddress()))).start();
        url = "http://127.0.0.1:" + server.address().getPort();
        client = newClient();
    }

    KubernetesClient newClient() {
        return newClient(url);
    }

    KubernetesClient newClient(String url) {
        KubernetesClient c = new KubernetesClientBuilder()
                .withConfig(new ConfigBuilder().withMasterUrl(url).withRequestTimeout(10_000)
                        // the API server serves watches over plain HTTP only: skip the websocket attempt
                        .withOnlyHttpWatches(true)
                        .withRequestRetryBackoffLimit(1).build()).build();
        closeables.add(c);
        return c;
    }

    /** Closed with the fixture, before the API server. */
    <T extends AutoCloseable> T closeLater(T c) {
        closeables.add(c);
        return c;
    }

    @Override
    public void close() throws Exception {
        for (AutoCloseable c : closeables.reversed()) {
            try {
                c.close();
            } catch (Exception ignored) {
                // best effort
            }
        }
        server.close();
        store.close();
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
