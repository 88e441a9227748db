package io.kubeha.apiserver;

import io.kubeha.apiserver.alloc.ServiceAllocator;
import io.kubeha.apiserver.http.Handlers;
import io.kubeha.apiserver.registry.Resources;
import io.kubeha.apiserver.storage.WatchCache;
import io.kubeha.store.Store;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The API server: the Kubernetes REST API over the store, the only component that touches it. Every other
 * component (controllers, scheduler, node agents, kubectl) is its client. Several API servers over one etcd
 * are one cluster: each keeps its own watch caches, and the store's compare-and-swap keeps them consistent.
 */
public final class ApiServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ApiServer.class);

    /** Watches and followed logs may be quiet for long: a bookmark every 15 s keeps watches busy, a log may not be. */
    private static final long IDLE_TIMEOUT_MS = java.util.concurrent.TimeUnit.HOURS.toMillis(1);

    private final org.eclipse.jetty.server.Server http;
    private final org.eclipse.jetty.server.ServerConnector connector;
    private final boolean secure;
    private final io.kubeha.security.audit.AuditLog audit;
    /** The address bound at open (the connector forgets its port once closed; callers ask after a stop too). */
    private final InetSocketAddress bound;
    private final io.kubeha.security.tokens.ServiceAccountTokens serviceAccountTokens;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final List<WatchCache> caches;
    private final Handlers handlers;
    private final java.util.concurrent.ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("apiserver-endpoint-reconciler").factory());

    public ApiServer(Store store, InetSocketAddress bind) throws IOException {
        this(store, ApiServerConfig.of(bind));
    }

    public ApiServer(Store store, ApiServerConfig config) throws IOException {
        Resources resources = Resources.builtIn();
        org.eclipse.jetty.util.thread.QueuedThreadPool pool = new org.eclipse.jetty.util.thread.QueuedThreadPool();
        pool.setName("apiserver");
        // selectors stay on platform threads; each request's handler runs on a virtual thread and blocks at will
        pool.setVirtualThreadsExecutor(executor);
        this.http = new org.eclipse.jetty.server.Server(pool);
        this.secure = config.security() != null;
        this.connector = connector(http, secure ? config.security().tls() : null);
        connector.setHost(config.bind().getAddress().getHostAddress());
        connector.setPort(config.bind().getPort());
        connector.setIdleTimeout(IDLE_TIMEOUT_MS);
        connector.setAcceptQueueSize(1024);
        connector.setReuseAddress(true);
        http.addConnector(connector);
        try {
            connector.open(); // bind now: a port in use fails here, and port 0 learns its number
        } catch (IOException e) {
            throw new IOException("cannot listen on " + config.bind().getAddress().getHostAddress() + ":" + config.bind().getPort()
                    + ": " + e.getMessage(), e);
        }
        this.bound = new InetSocketAddress(config.bind().getAddress(), connector.getLocalPort());
        String address = bound.getHostString() + ":" + bound.getPort();
        this.handlers = new Handlers(resources, store, config.clock(), ServiceAllocator.create(store, config.allocator(), config.clock()),
                new InetSocketAddress(config.advertised(bound.getAddress()), bound.getPort()),
                config.defaultNotReadyTolerationSeconds(), config.defaultUnreachableTolerationSeconds(), config.encryption());
        this.caches = handlers.caches();
        io.kubeha.apiserver.http.Gate gate = null;
        if (secure) {
            ApiSecurity s = config.security();
            var lookup = handlers.lookup();
            var tokens = new io.kubeha.security.tokens.ServiceAccountTokens(s.serviceAccountKeys(), s.extraVerifyKeys(), s.issuer(), config.clock());
            this.serviceAccountTokens = tokens;
            gate = handlers.gate(
                    new io.kubeha.apiserver.auth.Authentication(tokens, s.audiences(), lookup, config.clock(), s.anonymousAuth()),
                    new io.kubeha.apiserver.auth.Authorization(lookup), tokens);
        } else {
            this.serviceAccountTokens = null;
        }
        io.kubeha.apiserver.http.ApiRouter router = handlers.router(resources, store, address, gate, secure
                ? io.kubeha.apiserver.http.AgentClient.tls(config.security().kubeletClient(), config.security().tls().clientCas())
                : io.kubeha.apiserver.http.AgentClient.plain());
        this.audit = secure ? config.security().audit() : null;
        if (audit != null) router.audit(audit);
        http.setHandler(new org.eclipse.jetty.server.Handler.Abstract() {
            @Override
            public boolean handle(org.eclipse.jetty.server.Request request, org.eclipse.jetty.server.Response response,
                                  org.eclipse.jetty.util.Callback callback) {
                try {
                    router.handle(request, response);
                    callback.succeeded();
                } catch (Throwable t) {
                    callback.failed(t);
                }
                return true;
            }
        });
        http.setStopTimeout(0);
    }

    /**
     * HTTPS with HTTP/2 chosen by ALPN (kubectl and client-go ask for h2) and HTTP/1.1 beside it; clients are asked
     * for a certificate but may come without (tokens, anonymous). Without TLS material: plain HTTP/1.1.
     */
    private static org.eclipse.jetty.server.ServerConnector connector(org.eclipse.jetty.server.Server server, ServingTls tls) {
        org.eclipse.jetty.server.HttpConfiguration http = new org.eclipse.jetty.server.HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendDateHeader(true);
        http.setRequestHeaderSize(64 * 1024);
        http.setOutputBufferSize(32 * 1024);
        if (tls == null) {
            return new org.eclipse.jetty.server.ServerConnector(server, new org.eclipse.jetty.server.HttpConnectionFactory(http));
        }
        org.eclipse.jetty.server.SecureRequestCustomizer customizer = new org.eclipse.jetty.server.SecureRequestCustomizer();
        // clients reach the server by IP (127.0.0.1, the VIP) with no SNI: the certificate's SANs are their check
        customizer.setSniHostCheck(false);
        customizer.setSniRequired(false);
        http.addCustomizer(customizer);
        org.eclipse.jetty.util.ssl.SslContextFactory.Server ssl = new org.eclipse.jetty.util.ssl.SslContextFactory.Server();
        ssl.setKeyStore(tls.keyStore());
        ssl.setKeyStorePassword(new String(tls.password()));
        ssl.setKeyManagerPassword(new String(tls.password()));
        ssl.setTrustStore(io.kubeha.security.pki.Pki.trustStore(tls.clientCas().toArray(java.security.cert.X509Certificate[]::new)));
        ssl.setWantClientAuth(true);
        ssl.setNeedClientAuth(false);
        ssl.setSniRequired(false);
        ssl.setEndpointIdentificationAlgorithm(null);
        ssl.setIncludeProtocols("TLSv1.3", "TLSv1.2");
        org.eclipse.jetty.http2.server.HTTP2ServerConnectionFactory h2 = new org.eclipse.jetty.http2.server.HTTP2ServerConnectionFactory(http);
        // many watches share one connection (client-go multiplexes them): kube-apiserver allows 250 streams per connection
        h2.setMaxConcurrentStreams(1000);
        h2.setStreamIdleTimeout(IDLE_TIMEOUT_MS);
        org.eclipse.jetty.server.HttpConnectionFactory h1 = new org.eclipse.jetty.server.HttpConnectionFactory(http);
        org.eclipse.jetty.alpn.server.ALPNServerConnectionFactory alpn = new org.eclipse.jetty.alpn.server.ALPNServerConnectionFactory();
        alpn.setDefaultProtocol(h1.getProtocol());
        org.eclipse.jetty.server.SslConnectionFactory tlsFactory = new org.eclipse.jetty.server.SslConnectionFactory(ssl, alpn.getProtocol());
        return new org.eclipse.jetty.server.ServerConnector(server, tlsFactory, alpn, h2, h1);
    }

    /** Whether this server serves HTTPS. */
    public boolean secure() {
        return secure;
    }

    /** https://HOST:PORT (or http:// without TLS) */
    public String url() {
        InetSocketAddress a = address();
        String host = a.getAddress().isAnyLocalAddress() ? "127.0.0.1" : a.getHostString();
        return (secure ? "https://" : "http://") + (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    /** Starts the watch caches, creates the namespaces every cluster has, and starts serving. */
    public ApiServer start() {
        caches.forEach(WatchCache::start);
        handlers.bootstrap();
        try {
            http.start();
        } catch (Exception e) {
            throw new IllegalStateException("the API server's HTTP server did not start: " + e.getMessage(), e);
        }
        long every = Handlers.endpointInterval().toMillis();
        timers.scheduleWithFixedDelay(() -> {
            try {
                handlers.reconcileEndpoints();
            } catch (RuntimeException e) {
                // the store unreachable for a moment: the lease is renewed on the next round, well within its duration
                log.warn("renewing this server's endpoint lease failed: {}", e.toString());
            }
        }, every, every, java.util.concurrent.TimeUnit.MILLISECONDS);
        log.info("API server serving on {}", address());
        return this;
    }

    public InetSocketAddress address() {
        return bound;
    }

    @Override
    public void close() {
        timers.shutdownNow();
        try {
            // a round under way could renew the lease just removed: let it end first
            timers.awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            handlers.removeEndpoint();
        } catch (RuntimeException e) {
            log.warn("removing this server from the kubernetes Service's endpoints failed (its lease runs out instead): {}", e.toString());
        }
        try {
            http.stop();
        } catch (Exception e) {
            log.warn("stopping the HTTP server: {}", e.toString());
        }
        caches.forEach(WatchCache::close);
        executor.shutdownNow();
        if (audit != null) audit.close();
    }
}
