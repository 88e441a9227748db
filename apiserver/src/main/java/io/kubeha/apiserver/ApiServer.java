package io.kubeha.apiserver;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.kubeha.store.Health;
import io.kubeha.store.Store;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

/**
 * The API server process's HTTP front. So far it serves what a load balancer and an operator probe:
 * {@code /healthz}, {@code /livez}, {@code /readyz} (ready only while the store is healthy) and
 * {@code /version}; the Kubernetes resource API is the next piece of work (see the API server issue).
 */
public final class ApiServer implements AutoCloseable {
    public static final String GIT_VERSION = "v1.33.0-kubeha";

    private final Store store;
    private final HttpServer http;

    public ApiServer(Store store, InetSocketAddress bind) throws IOException {
        this.store = store;
        this.http = HttpServer.create(bind, 1024);
        http.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        http.createContext("/healthz", ex -> health(ex, false));
        http.createContext("/livez", ex -> health(ex, false));
        http.createContext("/readyz", ex -> health(ex, true));
        http.createContext("/version", this::version);
        http.createContext("/", ex -> send(ex, 404, "application/json", """
                {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",\
                "message":"the server could not find the requested resource","reason":"NotFound","code":404}
                """));
    }

    public ApiServer start() {
        http.start();
        return this;
    }

    public InetSocketAddress address() {
        return http.getAddress();
    }

    private void health(HttpExchange ex, boolean needStore) throws IOException {
        if (needStore) {
            Health h = store.health();
            if (!h.healthy()) {
                send(ex, 503, "text/plain", "[-]store failed: " + h.detail() + "\nreadyz check failed\n");
                return;
            }
        }
        send(ex, 200, "text/plain", "ok");
    }

    private void version(HttpExchange ex) throws IOException {
        send(ex, 200, "application/json", """
                {"major":"1","minor":"33","gitVersion":"%s","platform":"%s/%s","goVersion":"java%s"}
                """.formatted(GIT_VERSION, System.getProperty("os.name").toLowerCase(), System.getProperty("os.arch"),
                Runtime.version().feature()));
    }

    private static void send(HttpExchange ex, int code, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(code, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        http.stop(0);
    }
}
