package io.kubeha.agent.proxy;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * The service proxy of a node, kube-proxy's role, in user space: for every Service it listens on each ClusterIP
 * port and, for NodePort and LoadBalancer services, on the node IP at each nodePort, and forwards every TCP
 * connection or UDP flow to one of the service's endpoints, read from discovery.k8s.io/v1 EndpointSlices.
 * <p>
 * A plain API client: two fabric8 informers (Services, EndpointSlices) only signal that something changed; a single
 * sync thread then recomputes every listener and route from their caches ({@link Routes}, level-triggered) and opens,
 * re-routes or closes listeners to match. A listener whose address is taken is logged once and retried every
 * {@code bindRetry}, never fatal.
 * <p>
 * <b>ClusterIPs on one machine.</b> In loopback mode ClusterIPs are loopback addresses (127.20.0.0/16 by default)
 * that need no set-up to bind, and several agents run on one machine, each proxying every ClusterIP. ClusterIP
 * listeners are therefore bound with SO_REUSEPORT (Linux): every agent holds the same address and port, the kernel
 * spreads new connections (and UDP flows, by their address pair) over them, and when one agent stops or dies its
 * socket goes and the others keep serving. SO_REUSEPORT only groups sockets of the same user, so all agents of a
 * machine must run as one user. Node ports are bound without it, on the agent's own node IP, so a port taken by
 * something else is noticed and reported. In netns mode ClusterIPs are routable addresses, made local to the node by
 * the {@link Addresses} given at construction before they are bound (see the package documentation).
 * <p>
 * <b>Endpoint changes.</b> Only new connections follow the routes: a connection keeps its endpoint until one side
 * closes it, even when the endpoint stops being ready or the service goes (as established flows outlive such
 * changes in kube-proxy); {@link #close()} closes everything.
 */
public final class ServiceProxy implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ServiceProxy.class);
    private static final String BY_SERVICE = "service";

    /**
     * @param nodeName           this node, for the Local traffic policies
     * @param nodeIp             where node ports listen
     * @param clusterIps         whether ClusterIPs are proxied here (loopback mode: yes)
     * @param connectTimeout     how long a connect to one endpoint may take before another one is tried
     * @param maxConnectAttempts how many endpoints a connection tries at most
     * @param udpIdleTimeout     how long a UDP session lives without traffic
     * @param bindRetry          how often a listener that could not bind is tried again
     */
    public record Config(String nodeName, String nodeIp, boolean clusterIps, Duration connectTimeout, int maxConnectAttempts,
                         Duration udpIdleTimeout, Duration bindRetry) {
        public Config {
            Objects.requireNonNull(nodeName, "nodeName");
            Objects.requireNonNull(nodeIp, "nodeIp");
            if (maxConnectAttempts < 1) throw new IllegalArgumentException("maxConnectAttempts must be at least 1");
            if (connectTimeout.isNegative() || connectTimeout.isZero()) throw new IllegalArgumentException("connectTimeout must be positive");
            if (udpIdleTimeout.isNegative() || udpIdleTimeout.isZero()) throw new IllegalArgumentException("udpIdleTimeout must be positive");
        }

        /** kube-proxy's choices: UDP flows idle for 30s end (conntrack's UDP stream timeout); a connect may take 2s. */
        public static Config defaults(String nodeName, String nodeIp) {
            return new Config(nodeName, nodeIp, true, Duration.ofSeconds(2), 3, Duration.ofSeconds(30), Duration.ofSeconds(5));
        }

        public Config withUdpIdleTimeout(Duration udpIdleTimeout) {
            return new Config(nodeName, nodeIp, clusterIps, connectTimeout, maxConnectAttempts, udpIdleTimeout, bindRetry);
        }

        public Config withBindRetry(Duration bindRetry) {
            return new Config(nodeName, nodeIp, clusterIps, connectTimeout, maxConnectAttempts, udpIdleTimeout, bindRetry);
        }
    }

    /**
     * Makes the addresses the proxy is about to bind local ones of the node, before it binds them: netns mode's
     * ClusterIPs (see io.kubeha.agent.net.ServiceAddresses). Loopback mode needs none: all of 127/8 is local.
     */
    public interface Addresses {
        /** Exactly these ClusterIPs and externalIPs are wanted now (others it made may go). */
        void keep(java.util.Collection<String> ips) throws IOException;

        Addresses NONE = ips -> { };
    }

    private final KubernetesClient client;
    private final Config config;
    private final Addresses addresses;
    private final LogOnce logs = new LogOnce(LOG);
    private final Map<ListenerKey, Listener> listeners = new HashMap<>();
    private final AtomicBoolean syncPending = new AtomicBoolean();
    private final AtomicBoolean retryPending = new AtomicBoolean();
    private final ScheduledExecutorService sync = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "service-proxy-sync");
        t.setDaemon(true);
        return t;
    });
    private SharedIndexInformer<Service> services;
    private SharedIndexInformer<EndpointSlice> slices;
    private volatile boolean synced;
    private volatile boolean closed;

    public ServiceProxy(KubernetesClient client, Config config) {
        this(client, config, Addresses.NONE);
    }

    /** A proxy that has {@code addresses} make its ClusterIPs local before binding them (netns mode). */
    public ServiceProxy(KubernetesClient client, Config config, Addresses addresses) {
        this.client = client;
        this.config = config;
        this.addresses = Objects.requireNonNull(addresses, "addresses");
    }

    public ServiceProxy start() {
        services = io.kubeha.client.Informers.keepTrying(client.services().inAnyNamespace().runnableInformer(0));
        slices = io.kubeha.client.Informers.keepTrying(client.discovery().v1().endpointSlices().inAnyNamespace().runnableInformer(0));
        slices.addIndexers(Map.of(BY_SERVICE, (Function<EndpointSlice, List<String>>) ServiceProxy::serviceKey));
        services.addEventHandler(changes());
        slices.addEventHandler(changes());
        services.start();
        slices.start();
        Thread.ofVirtual().name("service-proxy-wait-sync").start(() -> {
            try {
                while (!closed && !(services.hasSynced() && slices.hasSynced())) Thread.sleep(20);
            } catch (InterruptedException e) {
                return;
            }
            synced = true;
            requestSync();
        });
        LOG.info("service proxy for node {}: node ports on {}{}", config.nodeName(), config.nodeIp(),
                config.clusterIps() ? ", ClusterIPs shared with SO_REUSEPORT" : "");
        return this;
    }

    private <T extends HasMetadata> ResourceEventHandler<T> changes() {
        return new ResourceEventHandler<>() {
            @Override
            public void onAdd(T obj) {
                requestSync();
            }

            @Override
            public void onUpdate(T oldObj, T newObj) {
                requestSync();
            }

            @Override
            public void onDelete(T obj, boolean deletedFinalStateUnknown) {
                requestSync();
            }
        };
    }

    /** Coalesces bursts of changes into one sync. */
    private void requestSync() {
        if (closed || !synced || !syncPending.compareAndSet(false, true)) return;
        try {
            sync.execute(() -> {
                syncPending.set(false);
                syncNow();
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing
        }
    }

    private void syncNow() {
        if (closed) return;
        Map<ListenerKey, Route> want;
        try {
            want = Routes.compute(services.getStore().list(), key -> slices.getIndexer().byIndex(BY_SERVICE, key), config.nodeIp(),
                    config.nodeName(), config.clusterIps());
        } catch (RuntimeException e) {
            LOG.warn("service proxy: cannot compute routes: {}", LogOnce.cause(e));
            retryLater();
            return;
        }
        var it = listeners.entrySet().iterator();
        while (it.hasNext()) {
            var e = it.next();
            if (!want.containsKey(e.getKey())) {
                e.getValue().close(false);
                it.remove();
                LOG.info("service proxy: stopped listening on {} ({})", e.getKey(), e.getValue().route.service());
            }
        }
        boolean failed = false;
        try {
            addresses.keep(want.keySet().stream().filter(ListenerKey::shared).map(ListenerKey::ip).distinct().toList());
            logs.recovered("service addresses", null);
        } catch (IOException | RuntimeException ex) {
            failed = true; // the binds below say which addresses are missing
            logs.warn("service addresses", LogOnce.cause(ex), "service proxy: cannot add the ClusterIPs to this node: " + LogOnce.cause(ex));
        }
        for (var e : want.entrySet()) {
            Listener have = listeners.get(e.getKey());
            if (have != null) {
                have.route(e.getValue());
                continue;
            }
            Listener l = Listener.of(e.getKey(), e.getValue(), config, logs);
            try {
                l.start();
                listeners.put(e.getKey(), l);
                logs.recovered("bind " + e.getKey(), null);
                LOG.info("service proxy: listening on {} for {} ({} endpoints)", e.getKey(), e.getValue().service(),
                        e.getValue().backends().size());
            } catch (IOException | RuntimeException ex) {
                failed = true;
                logs.warn("bind " + e.getKey(), LogOnce.cause(ex), "service proxy: cannot listen on " + e.getKey() + " for "
                        + e.getValue().service() + ": " + LogOnce.cause(ex) + hint(e.getKey(), ex) + "; retrying every "
                        + config.bindRetry().toMillis() + "ms");
            }
        }
        if (failed) retryLater();
    }

    /** What to do about a bind error a user can fix. */
    private static String hint(ListenerKey key, Exception e) {
        String cause = LogOnce.cause(e);
        if (key.port() < 1024 && cause.contains("Permission denied")) {
            return " (ports below 1024 need root, CAP_NET_BIND_SERVICE, or sysctl net.ipv4.ip_unprivileged_port_start=0)";
        }
        if (cause.contains("Cannot assign requested address")) return " (the address is not one of this machine's)";
        if (cause.contains("in use")) return " (another process holds it)";
        return "";
    }

    private void retryLater() {
        if (closed || !retryPending.compareAndSet(false, true)) return;
        try {
            sync.schedule(() -> {
                retryPending.set(false);
                syncNow();
            }, config.bindRetry().toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing
        }
    }

    /** The addresses listened on now (ip:port/protocol), as this proxy's state for logs and tests. */
    public List<String> listening() {
        try {
            return sync.submit(() -> listeners.keySet().stream().map(ListenerKey::toString).sorted().toList()).get();
        } catch (Exception e) {
            return List.of();
        }
    }

    /** Stops the informers and closes every listener, connection and UDP session. */
    @Override
    public void close() {
        closed = true;
        if (services != null) services.stop();
        if (slices != null) slices.stop();
        sync.shutdown();
        try {
            if (!sync.awaitTermination(5, TimeUnit.SECONDS)) sync.shutdownNow();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        listeners.values().forEach(l -> l.close(true));
        listeners.clear();
    }

    private static List<String> serviceKey(EndpointSlice s) {
        Map<String, String> labels = s.getMetadata().getLabels();
        String svc = labels == null ? null : labels.get(Routes.SERVICE_NAME_LABEL);
        return svc == null ? List.of() : List.of(s.getMetadata().getNamespace() + "/" + svc);
    }
}
