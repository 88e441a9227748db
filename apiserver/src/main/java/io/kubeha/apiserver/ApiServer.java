package io.kubeha.apiserver;

import com.sun.net.httpserver.HttpServer;
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

    private final HttpServer http;
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
        this.http = HttpServer.create(config.bind(), 1024);
        String address = http.getAddress().getHostString() + ":" + http.getAddress().getPort();
        this.handlers = new Handlers(resources, store, config.clock(), ServiceAllocator.create(store, config.allocator(), config.clock()),
                new InetSocketAddress(config.advertised(http.getAddress().getAddress()), http.getAddress().getPort()),
                config.defaultNotReadyTolerationSeconds(), config.defaultUnreachableTolerationSeconds());
        this.caches = handlers.caches();
        http.setExecutor(executor);
        http.createContext("/", handlers.router(resources, store, address));
    }

    /** Starts the watch caches, creates the namespaces every cluster has, and starts serving. */
    public ApiServer start() {
        caches.forEach(WatchCache::start);
        handlers.bootstrap();
        http.start();
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
        return http.getAddress();
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
        http.stop(0);
        caches.forEach(WatchCache::close);
        executor.shutdownNow();
    }
}
