package io.kubeha.agent.pod;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Probe;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One probe of one container, run as the kubelet's prober does: after initialDelaySeconds, every periodSeconds,
 * each attempt bounded by timeoutSeconds; the result flips after successThreshold successes or failureThreshold
 * failures in a row. httpGet (2xx and 3xx succeed), tcpSocket (a connection succeeds) and exec (exit 0 succeeds).
 */
final class Prober {
    enum Kind { LIVENESS, READINESS, STARTUP }

    /** What the prober tells its container's worker. */
    interface Listener {
        void changed(Prober prober, boolean success, String message);
    }

    private static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(10)).build();

    final Kind kind;
    private final Probe probe;
    private final Container container;
    private final String podIp;
    private final Map<String, String> env;
    private final Listener listener;
    private volatile boolean closed;
    private volatile boolean result;
    private Thread thread;

    Prober(Kind kind, Probe probe, Container container, String podIp, Map<String, String> env, Listener listener) {
        this.kind = kind;
        this.probe = probe;
        this.container = container;
        this.podIp = podIp;
        this.env = env;
        this.listener = listener;
        // readiness starts false, liveness true (a container is alive until proven otherwise), startup false
        this.result = kind == Kind.LIVENESS;
    }

    Prober start() {
        thread = Thread.ofVirtual().name("probe-" + kind.name().toLowerCase() + "-" + container.getName()).start(this::loop);
        return this;
    }

    void close() {
        closed = true;
        if (thread != null) thread.interrupt();
    }

    boolean result() {
        return result;
    }

    private static int or(Integer v, int dflt) {
        return v == null ? dflt : v;
    }

    private void loop() {
        int period = Math.max(1, or(probe.getPeriodSeconds(), 10));
        int timeout = Math.max(1, or(probe.getTimeoutSeconds(), 1));
        int successThreshold = Math.max(1, or(probe.getSuccessThreshold(), 1));
        int failureThreshold = Math.max(1, or(probe.getFailureThreshold(), 3));
        int successes = 0;
        int failures = 0;
        try {
            Thread.sleep(TimeUnit.SECONDS.toMillis(or(probe.getInitialDelaySeconds(), 0)));
            while (!closed) {
                String failure = attempt(Duration.ofSeconds(timeout));
                if (closed) return;
                if (failure == null) {
                    failures = 0;
                    successes++;
                    if (!result && successes >= successThreshold) {
                        result = true;
                        listener.changed(this, true, null);
                    }
                } else {
                    successes = 0;
                    failures++;
                    if (failures >= failureThreshold) {
                        if (kind == Kind.READINESS) {
                            if (result) {
                                result = false;
                                listener.changed(this, false, failure);
                            }
                        } else {
                            // liveness or startup: the container is killed and restarted; count afresh
                            result = false;
                            failures = 0;
                            listener.changed(this, false, failure);
                        }
                    }
                }
                Thread.sleep(TimeUnit.SECONDS.toMillis(period));
            }
        } catch (InterruptedException e) {
            // closed
        }
    }

    /** One attempt: null on success, else what failed, in the kubelet's words. */
    String attempt(Duration timeout) throws InterruptedException {
        try {
            if (probe.getHttpGet() != null) {
                var g = probe.getHttpGet();
                String host = g.getHost() == null || g.getHost().isEmpty() ? podIp : g.getHost();
                int port = port(g.getPort());
                String scheme = g.getScheme() == null ? "http" : g.getScheme().toLowerCase();
                String path = g.getPath() == null || g.getPath().isEmpty() ? "/" : g.getPath();
                if (!path.startsWith("/")) path = "/" + path;
                HttpRequest.Builder rb = HttpRequest.newBuilder(URI.create(scheme + "://" + host + ":" + port + path)).timeout(timeout)
                        .header("User-Agent", "kube-probe/1.33");
                if (g.getHttpHeaders() != null) g.getHttpHeaders().forEach(h -> rb.header(h.getName(), h.getValue()));
                HttpResponse<Void> r = HTTP.send(rb.GET().build(), HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() >= 200 && r.statusCode() < 400) return null;
                return "HTTP probe failed with statuscode: " + r.statusCode();
            }
            if (probe.getTcpSocket() != null) {
                String host = probe.getTcpSocket().getHost() == null || probe.getTcpSocket().getHost().isEmpty() ? podIp : probe.getTcpSocket().getHost();
                int port = port(probe.getTcpSocket().getPort());
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
                    return null;
                } catch (IOException e) {
                    return "dial tcp " + host + ":" + port + ": connect: " + e.getMessage();
                }
            }
            if (probe.getExec() != null) {
                List<String> cmd = probe.getExec().getCommand();
                if (cmd == null || cmd.isEmpty()) return "exec probe has no command";
                ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
                pb.environment().clear();
                pb.environment().putAll(env);
                Process p = pb.start();
                byte[] out = p.getInputStream().readNBytes(10 * 1024);
                if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    p.destroyForcibly();
                    return "command timed out";
                }
                return p.exitValue() == 0 ? null : "command " + cmd + " exited with " + p.exitValue() + ": " + new String(out).strip();
            }
            if (probe.getGrpc() != null) return "grpc probes are not supported by kubeha's agent";
            return "the probe names no handler";
        } catch (java.net.http.HttpTimeoutException e) {
            return "Get \"" + describe() + "\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)";
        } catch (IOException | IllegalArgumentException e) {
            return "Get \"" + describe() + "\": " + (e.getMessage() == null ? e.toString() : e.getMessage());
        }
    }

    private String describe() {
        var g = probe.getHttpGet();
        if (g == null) return kind.name().toLowerCase() + " probe";
        return "http://" + podIp + ":" + g.getPort().getValue() + (g.getPath() == null ? "/" : g.getPath());
    }

    /** A port number, or a container port's name. */
    private int port(IntOrString port) {
        if (port == null) throw new IllegalArgumentException("probe without a port");
        if (port.getIntVal() != null) return port.getIntVal();
        String name = port.getStrVal();
        if (container.getPorts() != null) {
            for (ContainerPort p : container.getPorts()) {
                if (name.equals(p.getName())) return p.getContainerPort();
            }
        }
        try {
            return Integer.parseInt(name);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("couldn't find port " + name + " in container " + container.getName());
        }
    }
}
