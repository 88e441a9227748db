package io.kubeha.agent.logs;

import io.kubeha.agent.certificates.KubeletAuthorizer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BiPredicate;

/**
 * The agent's own endpoint (the kubelet's port), on Jetty 12 as the API server (the JDK's server cannot upgrade
 * connections, which exec, attach and port-forward will need): {@code /healthz}, and
 * {@code /containerLogs/NS/POD/CONTAINER} with the query kubectl's pods/log request carries (follow, tailLines,
 * limitBytes, previous), which the API server relays.
 * <p>
 * With {@link Tls} (the agent's API server is HTTPS): HTTPS only, presenting the agent's serving certificate (from
 * the key manager inside the SSLContext, so a renewed certificate serves new connections without a restart). As the
 * kubelet's x509 authentication and webhook authorization: a client certificate is asked for and must be signed by
 * the cluster CA (one from another CA fails the handshake); {@code /healthz} answers anyone, every other path needs a
 * certificate (401 {@code Unauthorized} without one) whose user (CN) and groups (O) the API server allows, through a
 * SubjectAccessReview, to use the node's kubelet API (403 {@code Forbidden (user=..., verb=..., resource=...,
 * subresource=...)} otherwise; see {@link KubeletAuthorizer}). Without TLS (a plain-HTTP API server, in tests): plain
 * HTTP and no authentication, as before.
 */
public final class AgentHttpServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AgentHttpServer.class);

    /**
     * @param ssl        presents the serving certificate and trusts the cluster CA only
     * @param authorizer decides what an authenticated user may do
     */
    public record Tls(SSLContext ssl, KubeletAuthorizer authorizer) {}

    private final Server server;
    private final ServerConnector connector;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final ContainerLogs logs;
    private final BiPredicate<String, String> running;
    private final Tls tls;
    private InetSocketAddress bound;

    /** Plain HTTP, no authentication. */
    public AgentHttpServer(InetSocketAddress bind, ContainerLogs logs, BiPredicate<String, String> running) throws IOException {
        this(bind, logs, running, null);
    }

    /**
     * @param running whether a container (pod uid-less key "ns/pod", container) still runs: following ends when not
     * @param tls     HTTPS with client certificates, or null for plain HTTP
     */
    public AgentHttpServer(InetSocketAddress bind, ContainerLogs logs, BiPredicate<String, String> running, Tls tls) throws IOException {
        this.logs = logs;
        this.running = running;
        this.tls = tls;
        QueuedThreadPool pool = new QueuedThreadPool();
        pool.setName("agent-http");
        pool.setVirtualThreadsExecutor(executor);
        server = new Server(pool);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        if (tls == null) {
            connector = new ServerConnector(server, new HttpConnectionFactory(http));
        } else {
            SecureRequestCustomizer customizer = new SecureRequestCustomizer();
            // the API server reaches the agent by IP with no SNI: the certificate's IP SANs are its check
            customizer.setSniHostCheck(false);
            customizer.setSniRequired(false);
            http.addCustomizer(customizer);
            SslContextFactory.Server ssl = new SslContextFactory.Server();
            ssl.setSslContext(tls.ssl());
            ssl.setWantClientAuth(true); // /healthz answers without one; everything else checks below
            ssl.setNeedClientAuth(false);
            ssl.setSniRequired(false);
            ssl.setEndpointIdentificationAlgorithm(null);
            ssl.setIncludeProtocols("TLSv1.3", "TLSv1.2");
            connector = new ServerConnector(server, new SslConnectionFactory(ssl, "http/1.1"), new HttpConnectionFactory(http));
        }
        connector.setHost(bind.getAddress().getHostAddress());
        connector.setPort(bind.getPort());
        connector.setReuseAddress(true);
        connector.setIdleTimeout(5 * 60_000);
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                try {
                    route(request, response);
                    callback.succeeded();
                } catch (Throwable t) {
                    callback.failed(t);
                }
                return true;
            }
        });
        server.setStopTimeout(0);
        try {
            connector.open(); // bind now: a port in use fails here, and port 0 learns its number
        } catch (IOException e) {
            throw new IOException("cannot listen on " + bind + ": " + e.getMessage(), e);
        }
        bound = new InetSocketAddress(bind.getAddress(), connector.getLocalPort());
    }

    public AgentHttpServer start() throws IOException {
        try {
            server.start();
        } catch (Exception e) {
            throw new IOException("cannot start the agent endpoint on " + bound + ": " + e.getMessage(), e);
        }
        LOG.info("agent endpoint on {}{}", bound, tls == null ? " (plain HTTP)" : " (HTTPS, client certificates from the cluster CA)");
        return this;
    }

    public InetSocketAddress address() {
        return bound;
    }

    /** Whether the endpoint serves HTTPS. */
    public boolean secure() {
        return tls != null;
    }

    private void route(Request req, Response resp) throws IOException {
        String path = req.getHttpURI().getPath();
        if (path == null) path = "/";
        if (path.equals("/healthz")) {
            text(resp, 200, "ok");
            return;
        }
        if (tls != null) {
            X509Certificate[] peer = peerCertificates(req);
            if (peer.length == 0) {
                text(resp, 401, "Unauthorized\n");
                return;
            }
            KubeletAuthorizer.User user = KubeletAuthorizer.User.of(peer[0]);
            KubeletAuthorizer.Decision d = tls.authorizer().authorize(user, req.getMethod(), path);
            if (!d.allowed()) {
                text(resp, 403, d.message() + "\n");
                return;
            }
        }
        if (path.startsWith("/containerLogs/")) {
            containerLogs(req, resp, path);
        } else {
            text(resp, 404, "404 page not found\n");
        }
    }

    private static X509Certificate[] peerCertificates(Request req) {
        Object data = req.getAttribute(EndPoint.SslSessionData.ATTRIBUTE);
        if (data instanceof EndPoint.SslSessionData ssl && ssl.peerCertificates() != null) return ssl.peerCertificates();
        return new X509Certificate[0];
    }

    private void containerLogs(Request req, Response resp, String path) throws IOException {
        if (!req.getMethod().equals("GET")) {
            text(resp, 405, "only GET");
            return;
        }
        String[] parts = path.substring("/containerLogs/".length()).split("/");
        if (parts.length != 3) {
            text(resp, 400, "expected /containerLogs/NAMESPACE/POD/CONTAINER\n");
            return;
        }
        Fields q = Request.extractQueryParameters(req, StandardCharsets.UTF_8);
        boolean previous = flag(q, "previous");
        boolean follow = flag(q, "follow");
        long tail;
        long limit;
        try {
            tail = Long.parseLong(value(q, "tailLines", "-1"));
            limit = Long.parseLong(value(q, "limitBytes", "-1"));
        } catch (NumberFormatException e) {
            text(resp, 400, "tailLines and limitBytes must be integers\n");
            return;
        }
        Optional<Path> file = logs.file(parts[0], parts[1], parts[2], previous);
        if (file.isEmpty()) {
            String msg = previous
                    ? "previous terminated container \"" + parts[2] + "\" in pod \"" + parts[1] + "\" not found\n"
                    : "container \"" + parts[2] + "\" in pod \"" + parts[1] + "\" is waiting to start: no log yet\n";
            text(resp, 400, msg);
            return;
        }
        resp.setStatus(200);
        resp.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
        String key = parts[0] + "/" + parts[1];
        try (OutputStream out = Content.Sink.asOutputStream(resp)) {
            logs.copy(file.get(), tail, limit, follow && !previous, () -> running.test(key, parts[2]), out);
        } catch (IOException e) {
            // the client went away
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static boolean flag(Fields q, String name) {
        Fields.Field f = q.get(name);
        if (f == null) return false;
        String v = f.getValue();
        return v == null || v.isEmpty() || Boolean.parseBoolean(v);
    }

    private static String value(Fields q, String name, String dflt) {
        Fields.Field f = q.get(name);
        return f == null || f.getValue() == null ? dflt : f.getValue();
    }

    private static void text(Response resp, int code, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        resp.setStatus(code);
        resp.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
        resp.getHeaders().put(HttpHeader.CONTENT_LENGTH, b.length);
        try (OutputStream o = Content.Sink.asOutputStream(resp)) {
            o.write(b);
        }
    }

    @Override
    public void close() {
        try {
            server.stop();
        } catch (Exception e) {
            LOG.debug("stopping the agent endpoint: {}", e.toString());
        }
        executor.shutdownNow();
    }
}
