package io.kubeha.logapi;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The service: one handler for every path (so every request is logged once, whatever it hits), requests on
 * virtual threads, and a stop that lets requests in flight finish.
 */
final class LogApi implements AutoCloseable {
    private static final String ENDPOINTS = "GET /api/log/greeting, /api/log/pods/{namespace}/{pod}?tailLines=N, "
            + "/api/log/events?namespace=NS, /healthz, /readyz";

    private final LogApiConfig config;
    private final ClusterApi cluster;
    private volatile ClusterEndpoints clusterEndpoints;
    private final PrintStream log;
    private final AtomicLong greetings = new AtomicLong();
    private volatile boolean stopping;
    private HttpServer server;
    private ExecutorService executor;

    /** @param log where the one line per request goes (stdout in the real service) */
    LogApi(LogApiConfig config, PrintStream log) {
        this.config = config;
        this.cluster = config.cluster().map(a -> new ClusterApi(a, config.apiTimeout())).orElse(null);
        this.log = log;
    }

    LogApi start() throws IOException {
        executor = Executors.newVirtualThreadPerTaskExecutor();
        server = HttpServer.create(new InetSocketAddress(config.bindHost(), config.port()), 256);
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
        return this;
    }

    InetSocketAddress address() {
        return server.getAddress();
    }

    /** Where cluster reads go, for the start-up line. */
    String clusterDescription() {
        return cluster == null ? "no Kubernetes API configured" : cluster.describe();
    }

    /**
     * Stops as a pod should on SIGTERM: /readyz fails at once, the service keeps serving for the configured
     * delay, then the listener closes and requests in flight get the drain timeout to finish.
     */
    void shutdown() {
        if (stopping && server == null) return;
        stopping = true;
        try {
            if (!config.shutdownDelay().isZero()) Thread.sleep(config.shutdownDelay());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        HttpServer s;
        synchronized (this) {
            s = server;
            server = null;
        }
        if (s == null) return;
        long deadline = System.nanoTime() + config.drainTimeout().toNanos();
        // HttpServer.stop closes the listener, then waits until every exchange has finished or the delay ran out
        s.stop((int) Math.max(1, config.drainTimeout().toSeconds()));
        executor.shutdown();
        try {
            // the handlers' last step (the request's log line) comes after their exchange finished
            executor.awaitTermination(Math.max(1_000_000_000L, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        shutdown();
    }

    // ---------------------------------------------------------------- requests

    private void handle(HttpExchange ex) {
        long start = System.nanoTime();
        int status = 500;
        try {
            status = route(ex);
        } catch (HttpError e) {
            status = send(ex, e.status(), Json.error(e.status(), e.getMessage()));
        } catch (RuntimeException e) {
            // a bug: the operator gets the stack trace on stderr, the client a message
            e.printStackTrace();
            status = send(ex, 500, Json.error(500, "logapi failed on this request: " + e));
        } finally {
            ex.close();
            String query = ex.getRequestURI().getRawQuery();
            log.println(Instant.now() + " " + ex.getRemoteAddress().getAddress().getHostAddress() + " "
                    + ex.getRequestMethod() + " " + ex.getRequestURI().getRawPath() + (query == null ? "" : "?" + query)
                    + " " + status + " " + (System.nanoTime() - start) / 1_000_000 + "ms");
        }
    }

    private int route(HttpExchange ex) {
        String method = ex.getRequestMethod();
        if (!method.equals("GET") && !method.equals("HEAD")) {
            ex.getResponseHeaders().set("Allow", "GET, HEAD");
            throw new HttpError(405, method + " is not served here: the endpoints are " + ENDPOINTS);
        }
        String path = ex.getRequestURI().getPath();
        Map<String, String> query = query(ex.getRequestURI().getRawQuery());
        return switch (path) {
            case "/api/log/greeting" -> send(ex, 200, greeting(ex));
            case "/healthz", "/livez" -> sendText(ex, 200, "ok");
            case "/readyz" -> stopping ? sendText(ex, 503, "stopping") : sendText(ex, 200, "ok");
            case "/api/log/events", "/api/log/events/" -> sendJson(ex, 200, clusterEndpoints().events(query));
            default -> {
                if (path.startsWith("/api/log/pods/")) {
                    yield sendJson(ex, 200, clusterEndpoints().podLog(path.substring("/api/log/pods/".length()), query));
                }
                throw HttpError.notFound("no such endpoint: " + path + "; the endpoints are " + ENDPOINTS);
            }
        };
    }

    /** The seed's greeting; the counter counts greetings only, so probes do not move it. */
    private String greeting(HttpExchange ex) {
        return "{\"id\":" + greetings.incrementAndGet()
                + ",\"content\":" + Json.quote("Hello, World! Request from " + ex.getRemoteAddress().getAddress().getHostAddress()
                + " hostname " + config.podName())
                + ",\"version\":" + Json.quote(config.version()) + "}";
    }

    // ---------------------------------------------------------------- helpers

    private ClusterEndpoints clusterEndpoints() {
        if (cluster == null) {
            throw new HttpError(503, "logapi has no Kubernetes API to read from: run it in a pod (KUBERNETES_SERVICE_HOST) or set KUBECONFIG");
        }
        ClusterEndpoints e = clusterEndpoints;
        if (e == null) clusterEndpoints = e = new ClusterEndpoints(cluster);
        return e;
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> q = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) return q;
        for (String pair : raw.split("&")) {
            if (pair.isEmpty()) continue;
            int eq = pair.indexOf('=');
            try {
                String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                q.putIfAbsent(k, v);
            } catch (IllegalArgumentException e) {
                throw HttpError.badRequest("the query is not URL-encoded: " + raw);
            }
        }
        return q;
    }

    private static int send(HttpExchange ex, int status, String json) {
        return sendJson(ex, status, json.getBytes(StandardCharsets.UTF_8));
    }

    private static int sendJson(HttpExchange ex, int status, byte[] json) {
        return write(ex, status, "application/json", json);
    }

    private static int sendText(HttpExchange ex, int status, String body) {
        return write(ex, status, "text/plain; charset=utf-8", (body + "\n").getBytes(StandardCharsets.UTF_8));
    }

    private static int write(HttpExchange ex, int status, String contentType, byte[] body) {
        try {
            ex.getResponseHeaders().set("Content-Type", contentType);
            boolean head = ex.getRequestMethod().equals("HEAD");
            ex.sendResponseHeaders(status, head ? -1 : body.length);
            if (!head) {
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(body);
                }
            }
        } catch (IOException e) {
            // the client went away; the log line still says what it was sent
        }
        return status;
    }
}
