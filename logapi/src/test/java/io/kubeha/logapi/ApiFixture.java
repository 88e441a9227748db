package io.kubeha.logapi;

import io.kubeha.apiserver.ApiServer;
import io.kubeha.store.Store;
import io.kubeha.store.StoreOptions;
import io.kubeha.store.embedded.EmbeddedStore;
import io.kubeha.testkit.Ports;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;

/** A real API server on the embedded store in a temp dir (as the controllers' tests have it), written to over HTTP. */
final class ApiFixture implements AutoCloseable {
    static {
        // a condition read before the object has its status (a null, an empty list) is "not yet", as an assertion
        // that does not hold yet is: Awaitility would otherwise end the wait at the first such exception
        org.awaitility.Awaitility.ignoreExceptionsByDefault();
    }

    final Path dir;
    final Store store;
    final ApiServer server;
    final String url;

    ApiFixture() throws IOException {
        dir = Files.createTempDirectory("kubeha-logapi-test");
        store = EmbeddedStore.open(dir.resolve("store"), StoreOptions.DEFAULTS.withFsync(false));
        server = new ApiServer(store, new InetSocketAddress("127.0.0.1", Ports.free(InetAddress.getLoopbackAddress()))).start();
        url = "http://127.0.0.1:" + server.address().getPort();
    }

    /** POSTs {@code json} to {@code path} and insists on 201. */
    void create(String path, String json) throws Exception {
        HttpResponse<String> r = Http.send("POST", url + path, json);
        if (r.statusCode() != 201) throw new IllegalStateException("POST " + path + ": " + r.statusCode() + " " + r.body());
    }

    /** A kubeconfig for this server, as {@code kubeha server} writes its admin.kubeconfig. */
    Path kubeconfig() throws IOException {
        return Files.writeString(dir.resolve("kubeconfig"), """
                apiVersion: v1
                kind: Config
                clusters:
                - name: kubeha
                  cluster:
                    server: %s
                contexts:
                - name: kubeha-admin
                  context:
                    cluster: kubeha
                    user: admin
                current-context: kubeha-admin
                users:
                - name: admin
                  user: {}
                """.formatted(url));
    }

    @Override
    public void close() throws Exception {
        server.close();
        store.close();
        try (var files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
