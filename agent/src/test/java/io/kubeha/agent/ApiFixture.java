package io.kubeha.agent;

import io.fabric8.kubernetes.api.model.Node;
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
import java.util.ArrayList;
import java.util.List;

/** An API server on the embedded store, on a free loopback port, and fabric8 clients for it. */
final class ApiFixture implements AutoCloseable {
    static {
        // a condition read before the object has its status (a null, an empty list) is "not yet", as an assertion
        // that does not hold yet is: Awaitility would otherwise end the wait at the first such exception
        org.awaitility.Awaitility.ignoreExceptionsByDefault();
    }

    private final Path dir;
    private final Store store;
    private final ApiServer server;
    final String url;
    private final List<KubernetesClient> clients = new ArrayList<>();

    ApiFixture() throws IOException {
        dir = Files.createTempDirectory("kubeha-agent-test");
        store = EmbeddedStore.open(dir.resolve("store"), StoreOptions.DEFAULTS.withFsync(false));
        server = new ApiServer(store, new InetSocketAddress("127.0.0.1", Ports.free(InetAddress.getLoopbackAddress()))).start();
        url = "http://127.0.0.1:" + server.address().getPort();
    }

    synchronized KubernetesClient client() {
        KubernetesClient c = new KubernetesClientBuilder().withConfig(new ConfigBuilder().withMasterUrl(url).withRequestTimeout(10_000)
                // the API server serves watches over plain HTTP
                .withOnlyHttpWatches(true).build()).build();
        clients.add(c);
        return c;
    }

    /** Creates the node and writes its status through nodes/status (whatever create kept of it). */
    static void createNode(KubernetesClient client, Node node) {
        Node created = client.nodes().resource(node).create();
        created.setStatus(node.getStatus());
        client.nodes().resource(created).updateStatus();
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
