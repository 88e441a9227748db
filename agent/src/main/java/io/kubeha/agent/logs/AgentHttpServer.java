package io.kubeha.agent.logs;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.function.BiPredicate;

/**
 * The agent's own endpoint (the kubelet's port): {@code /healthz}, and {@code /containerLogs/NS/POD/CONTAINER}
 * with the query kubectl's pods/log request carries (follow, tailLines, limitBytes, previous), which the API
 * server relays. Plain HTTP on the node's address.
 */
public final class AgentHttpServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AgentHttpServer.class);
    private final HttpServer server;
    private final ContainerLogs logs;
    private final BiPredicate<String, String> running;

    /**
     * @param running whether a container (pod uid-less key "ns/pod", container) still runs: following ends when not
     */
    public AgentHttpServer(InetSocketAddress bind, ContainerLogs logs, BiPredicate<String, String> running) throws IOException {
        this.logs = logs;
        this.running = running;
        this.server = HttpServer.create(bind, 64);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/healthz", ex -> text(ex, 200, "ok"));
        server.createContext("/containerLogs/", this::containerLogs);
        server.createContext("/", ex -> text(ex, 404, "404 page not found\n"));
    }

    public AgentHttpServer start() {
        server.start();
        LOG.info("agent endpoint on {}", server.getAddress());
        return this;
    }

    public InetSocketAddress address() {
        return server.getAddress();
    }

    private void containerLogs(HttpExchange ex) throws IOException {
        try (ex) {
            if (!ex.getRequestMethod().equals("GET")) {
                text(ex, 405, "only GET");
                return;
            }
            String[] parts = ex.getRequestURI().getPath().substring("/containerLogs/".length()).split("/");
            if (parts.length != 3) {
                text(ex, 400, "expected /containerLogs/NAMESPACE/POD/CONTAINER\n");
                return;
            }
            Map<String, String> q = query(ex.getRequestURI().getRawQuery());
            boolean previous = Boolean.parseBoolean(q.getOrDefault("previous", "false"));
            boolean follow = Boolean.parseBoolean(q.getOrDefault("follow", "false"));
            long tail;
            long limit;
            try {
                tail = Long.parseLong(q.getOrDefault("tailLines", "-1"));
                limit = Long.parseLong(q.getOrDefault("limitBytes", "-1"));
            } catch (NumberFormatException e) {
                text(ex, 400, "tailLines and limitBytes must be integers\n");
                return;
            }
            Optional<Path> file = logs.file(parts[0], parts[1], parts[2], previous);
            if (file.isEmpty()) {
                String msg = previous
                        ? "previous terminated container \"" + parts[2] + "\" in pod \"" + parts[1] + "\" not found\n"
                        : "container \"" + parts[2] + "\" in pod \"" + parts[1] + "\" is waiting to start: no log yet\n";
                text(ex, previous ? 400 : 400, msg);
                return;
            }
            ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
            ex.sendResponseHeaders(200, 0);
            OutputStream out = ex.getResponseBody();
            String key = parts[0] + "/" + parts[1];
            try {
                logs.copy(file.get(), tail, limit, follow && !previous, () -> running.test(key, parts[2]), out);
            } catch (IOException e) {
                // the client went away
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> q = new HashMap<>();
        if (raw == null) return q;
        for (String kv : raw.split("&")) {
            int eq = kv.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? kv : kv.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "true" : URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8);
            q.put(k, v);
        }
        return q;
    }

    private static void text(HttpExchange ex, int code, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        ex.sendResponseHeaders(code, b.length);
        ex.getResponseBody().write(b);
        ex.close();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
