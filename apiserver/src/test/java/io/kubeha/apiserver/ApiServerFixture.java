package io.kubeha.apiserver;

import io.kubeha.store.Store;
import io.kubeha.store.StoreOptions;
import io.kubeha.store.embedded.EmbeddedStore;
import io.kubeha.testkit.Kubectl;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;

/** One API server on the embedded store in a temp dir, on a free loopback port, with a kubeconfig for it. */
final class ApiServerFixture implements AutoCloseable {
    final Path dir;
    final Store store;
    ApiServer server;
    final String url;
    final Path kubeconfig;

    ApiServerFixture() throws IOException {
        this(Files.createTempDirectory("kubeha-apiserver-test"));
    }

    ApiServerFixture(Path dir) throws IOException {
        this.dir = dir;
        this.store = EmbeddedStore.open(dir.resolve("store"), StoreOptions.DEFAULTS.withFsync(false));
        this.server = new ApiServer(store, new InetSocketAddress("127.0.0.1", io.kubeha.testkit.Ports.free(java.net.InetAddress.getLoopbackAddress()))).start();
        this.url = "http://127.0.0.1:" + server.address().getPort();
        this.kubeconfig = Kubectl.writeKubeconfig(dir.resolve("kubeconfig"), url);
    }

    /** Stops the API server and starts a new one on the same port and store: what clients see as a server restart. */
    void restart() throws IOException {
        int port = server.address().getPort();
        server.close();
        server = new ApiServer(store, new InetSocketAddress("127.0.0.1", port)).start();
    }

    Kubectl kubectl(Path binary) {
        return new Kubectl(binary, kubeconfig);
    }

    @Override
    public void close() throws IOException {
        server.close();
        store.close();
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
