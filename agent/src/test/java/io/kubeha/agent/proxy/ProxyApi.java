package io.kubeha.agent.proxy;

import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.kubeha.apiserver.ApiServer;
import io.kubeha.store.Store;
import io.kubeha.store.StoreOptions;
import io.kubeha.store.embedded.EmbeddedStore;
import io.kubeha.testkit.Ports;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** An API server on the embedded store, on a free loopback port, and fabric8 clients for it (the agent's ApiFixture, here). */
final class ProxyApi implements AutoCloseable {
    private final Path dir;
    private final Store store;
    private final ApiServer server;
    private final String url;
    private final List<KubernetesClient> clients = new ArrayList<>();

    ProxyApi() throws IOException {
        dir = Files.createTempDirectory("kubeha-proxy-test");
        store = EmbeddedStore.open(dir.resolve("store"), StoreOptions.DEFAULTS.withFsync(false));
        server = new ApiServer(store, new InetSocketAddress("127.0.0.1", Ports.free(Ports.loopback()))).start();
        url = "http://127.0.0.1:" + server.address().getPort();
    }

    synchronized KubernetesClient client() {
        KubernetesClient c = new KubernetesClientBuilder().withConfig(new ConfigBuilder().withMasterUrl(url).withRequestTimeout(10_000)
                .withOnlyHttpWatches(true).build()).build();
        clients.add(c);
        return c;
    }

    @Override
    public void close() throws IOException {
        for (KubernetesClient c : clients) c.close();
        server.close();
        store.close();
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
