package io.kubeha.agent.pod;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.TCPSocketAction;

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
 * The three handler actions that probes and lifecycle hooks share, as the kubelet runs them: an HTTP GET (2xx and
 * 3xx succeed), a TCP connect, and a command (exit status 0 succeeds). Each returns null on success, else what
 * failed in the kubelet's words; none throws for a failure of the target.
 * <p>
 * Commands run as the container's processes do, with its environment (a container here is a process, so "inside
 * the container" is the same machine; the container's private mounts are not entered).
 */
final class Handlers {
    private static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(Duration.ofSeconds(10)).build();

    private Handlers() {
    }

    /**
     * @param anyStatus true for a lifecycle hook: as the kubelet's hook runner, any HTTP answer succeeds and only a
     *                  failure to get one fails (a probe wants 2xx or 3xx)
     */
    static String httpGet(HTTPGetAction g, Container container, String podIp, Duration timeout, String userAgent, boolean anyStatus)
            throws InterruptedException {
        try {
            port(g.getPort(), container);
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
        String url = url(g, container, podIp);
        try {
            HttpRequest.Builder rb = HttpRequest.newBuilder(URI.create(url)).timeout(timeout).header("User-Agent", userAgent);
            if (g.getHttpHeaders() != null) g.getHttpHeaders().forEach(h -> rb.header(h.getName(), h.getValue()));
            HttpResponse<Void> r = HTTP.send(rb.GET().build(), HttpResponse.BodyHandlers.discarding());
            if (anyStatus || (r.statusCode() >= 200 && r.statusCode() < 400)) return null;
            return "HTTP probe failed with statuscode: " + r.statusCode();
        } catch (java.net.http.HttpTimeoutException e) {
            return "Get \"" + url + "\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)";
        } catch (IOException | IllegalArgumentException e) {
            return "Get \"" + url + "\": " + (e.getMessage() == null ? e.toString() : e.getMessage());
        }
    }

    static String tcp(TCPSocketAction t, Container container, String podIp, Duration timeout) {
        String host = t.getHost() == null || t.getHost().isEmpty() ? podIp : t.getHost();
        int port;
        try {
            port = port(t.getPort(), container);
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), (int) Math.max(1, timeout.toMillis()));
            return null;
        } catch (IOException e) {
            return "dial tcp " + host + ":" + port + ": connect: " + e.getMessage();
        }
    }

    static String exec(List<String> cmd, Map<String, String> env, Duration timeout) throws InterruptedException {
        if (cmd == null || cmd.isEmpty()) return "exec handler has no command";
        Process p;
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            pb.environment().clear();
            pb.environment().putAll(env);
            p = pb.start();
        } catch (IOException e) {
            return "command " + cmd + " could not start: " + e.getMessage();
        }
        try {
            // read what it says on a thread of its own: a command that prints nothing and hangs must still time out
            var said = new java.util.concurrent.atomic.AtomicReference<byte[]>(new byte[0]);
            Thread reader = Thread.ofVirtual().start(() -> {
                try {
                    said.set(p.getInputStream().readNBytes(10 * 1024));
                } catch (IOException ignored) {
                    // the process ended or was killed
                }
            });
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                return "command " + cmd + " timed out";
            }
            reader.join(1000);
            if (p.exitValue() == 0) return null;
            String out = new String(said.get()).strip();
            return "command " + cmd + " exited with " + p.exitValue() + (out.isEmpty() ? "" : ": " + out);
        } finally {
            // what it started goes with it (a timed-out or interrupted "sh -c 'a; sleep 1000'" leaves no sleep behind)
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
    }

    static String url(HTTPGetAction g, Container container, String podIp) {
        String host = g.getHost() == null || g.getHost().isEmpty() ? podIp : g.getHost();
        String scheme = g.getScheme() == null ? "http" : g.getScheme().toLowerCase();
        String path = g.getPath() == null || g.getPath().isEmpty() ? "/" : g.getPath();
        if (!path.startsWith("/")) path = "/" + path;
        String port;
        try {
            port = Integer.toString(port(g.getPort(), container));
        } catch (IllegalArgumentException e) {
            port = g.getPort() == null ? "" : String.valueOf(g.getPort().getValue());
        }
        return scheme + "://" + host + ":" + port + path;
    }

    /** A port number, or a container port's name. */
    static int port(IntOrString port, Container container) {
        if (port == null) throw new IllegalArgumentException("handler without a port");
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
