package io.kubeha.controllers;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.kubeha.client.Identity;
import io.kubeha.client.StampedLeaseLock;
import io.kubeha.controllers.namespace.NamespaceController;
import io.kubeha.controllers.nodelifecycle.NodeLifecycleController;
import io.kubeha.controllers.nodelifecycle.NodeLifecycleOptions;
import io.kubeha.controllers.nodelifecycle.TaintEvictionController;
import io.kubeha.controllers.replicaset.ReplicaSetController;
import io.kubeha.controllers.serviceaccount.ServiceAccountController;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The controller-manager: runs the configured controllers only while it holds the leader Lease
 * (kube-system/kube-controller-manager by default), through fabric8's leader elector. The moment the lease is
 * lost (not renewed within the renew deadline) every controller's leader gate closes, so no write goes out after
 * that, and the controllers are stopped; the manager then campaigns again with fresh controllers. Because the
 * renew deadline is shorter than the lease duration, a standby can only take over after the old leader has
 * stopped acting.
 */
public final class ControllerManager implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ControllerManager.class);

    /** Controllers by name, in start order. */
    public static final Map<String, Function<ControllerContext, Controller>> CONTROLLERS;

    static {
        Map<String, Function<ControllerContext, Controller>> m = new LinkedHashMap<>();
        m.put(ReplicaSetController.NAME, ReplicaSetController::new);
        m.put(io.kubeha.controllers.deployment.DeploymentController.NAME, io.kubeha.controllers.deployment.DeploymentController::new);
        m.put(NamespaceController.NAME, NamespaceController::new);
        m.put(ServiceAccountController.NAME, ServiceAccountController::new);
        m.put(io.kubeha.controllers.endpoints.EndpointsController.NAME, io.kubeha.controllers.endpoints.EndpointsController::new);
        m.put(io.kubeha.controllers.gc.GarbageCollector.NAME, io.kubeha.controllers.gc.GarbageCollector::new);
        m.put(io.kubeha.controllers.daemonset.DaemonSetController.NAME, io.kubeha.controllers.daemonset.DaemonSetController::new);
        // acts only with a cluster CIDR (Config.nodeIpam, kube's --allocate-node-cidrs with --cluster-cidr; see build)
        m.put(io.kubeha.controllers.nodeipam.NodeIpamController.NAME, ctx -> null);
        // with default options here; a term builds it with Config.nodeLifecycle() (see build)
        m.put(NodeLifecycleController.NAME, NodeLifecycleController::new);
        m.put(TaintEvictionController.NAME, TaintEvictionController::new);
        m.put(io.kubeha.controllers.certificates.CsrApprovingController.NAME, io.kubeha.controllers.certificates.CsrApprovingController::new);
        // signs only with a CA handed over (withCsrSigner), as kube's needs --cluster-signing-cert-file
        m.put(io.kubeha.controllers.certificates.CsrSigningController.NAME, ctx -> new io.kubeha.controllers.certificates.CsrSigningController(ctx, null));
        m.put(io.kubeha.controllers.bootstrap.BootstrapSignerController.NAME, io.kubeha.controllers.bootstrap.BootstrapSignerController::new);
        m.put(io.kubeha.controllers.rbac.ClusterRoleAggregationController.NAME, io.kubeha.controllers.rbac.ClusterRoleAggregationController::new);
        // publishes the CA handed over (withRootCa), else the one the manager's own client trusts (kube's --root-ca-file)
        m.put(io.kubeha.controllers.serviceaccount.RootCaCertPublisher.NAME, ctx -> null);
        // signs legacy token Secrets only with the key handed over (withServiceAccountTokens), as kube's needs
        // --service-account-private-key-file
        m.put(io.kubeha.controllers.serviceaccount.TokensController.NAME, ctx -> null);
        CONTROLLERS = java.util.Collections.unmodifiableMap(m);
    }

    /**
     * Leader election and controller selection; validated here: leaseDuration > renewDeadline > retryPeriod > 0.
     *
     * @param identity    the Lease holder identity (defaults name host and process)
     * @param controllers names from {@link #CONTROLLERS}
     * @param workers     concurrent reconciles per controller
     * @param nodeLifecycle the node lifecycle controller's periods (--node-monitor-period, --node-monitor-grace-period,
     *                    --node-startup-grace-period)
     * @param nodeIpam    the node IPAM controller's cluster CIDR and mask size (--cluster-cidr, --node-cidr-mask-size);
     *                    null: it is off (kube's --allocate-node-cidrs=false)
     */
    public record Config(String leaseNamespace, String leaseName, String identity, Duration leaseDuration,
                         Duration renewDeadline, Duration retryPeriod, Set<String> controllers, int workers,
                         NodeLifecycleOptions nodeLifecycle, io.kubeha.controllers.nodeipam.NodeIpamOptions nodeIpam) {
        public Config {
            Objects.requireNonNull(nodeLifecycle, "nodeLifecycle");
            Objects.requireNonNull(leaseNamespace, "leaseNamespace");
            Objects.requireNonNull(leaseName, "leaseName");
            Objects.requireNonNull(identity, "identity");
            if (identity.isBlank()) {
                throw new IllegalArgumentException("identity must not be blank");
            }
            if (retryPeriod.isNegative() || retryPeriod.isZero()) {
                throw new IllegalArgumentException("retryPeriod must be positive, got " + retryPeriod);
            }
            if (leaseDuration.compareTo(renewDeadline) <= 0) {
                throw new IllegalArgumentException("leaseDuration (" + leaseDuration + ") must be greater than renewDeadline (" + renewDeadline + ")");
            }
            if (renewDeadline.compareTo(retryPeriod) <= 0) {
                throw new IllegalArgumentException("renewDeadline (" + renewDeadline + ") must be greater than retryPeriod (" + retryPeriod + ")");
            }
            controllers = Set.copyOf(controllers);
            for (String c : controllers) {
                if (!CONTROLLERS.containsKey(c)) {
                    throw new IllegalArgumentException("unknown controller " + c + "; known: " + CONTROLLERS.keySet());
                }
            }
            if (workers < 1) {
                throw new IllegalArgumentException("workers must be >= 1, got " + workers);
            }
        }

        /** Kubernetes' defaults: kube-system/kube-controller-manager, 15s/10s/2s, every controller, 5 workers. */
        public static Config defaults() {
            return new Config("kube-system", "kube-controller-manager", defaultIdentity(), Duration.ofSeconds(15),
                    Duration.ofSeconds(10), Duration.ofSeconds(2), CONTROLLERS.keySet(), 5, NodeLifecycleOptions.defaults(), null);
        }

        public Config withTimings(Duration leaseDuration, Duration renewDeadline, Duration retryPeriod) {
            return new Config(leaseNamespace, leaseName, identity, leaseDuration, renewDeadline, retryPeriod, controllers, workers, nodeLifecycle, nodeIpam);
        }

        public Config withIdentity(String identity) {
            return new Config(leaseNamespace, leaseName, identity, leaseDuration, renewDeadline, retryPeriod, controllers, workers, nodeLifecycle, nodeIpam);
        }

        public Config withControllers(Set<String> controllers) {
            return new Config(leaseNamespace, leaseName, identity, leaseDuration, renewDeadline, retryPeriod, controllers, workers, nodeLifecycle, nodeIpam);
        }

        public Config withLease(String namespace, String name) {
            return new Config(namespace, name, identity, leaseDuration, renewDeadline, retryPeriod, controllers, workers, nodeLifecycle, nodeIpam);
        }

        /** The node lifecycle controller's periods. */
        public Config withNodeLifecycle(NodeLifecycleOptions options) {
            return new Config(leaseNamespace, leaseName, identity, leaseDuration, renewDeadline, retryPeriod, controllers, workers, options, nodeIpam);
        }

        /** Node IPAM from this cluster CIDR (kube's --allocate-node-cidrs); null turns it off. */
        public Config withNodeIpam(io.kubeha.controllers.nodeipam.NodeIpamOptions options) {
            return new Config(leaseNamespace, leaseName, identity, leaseDuration, renewDeadline, retryPeriod, controllers, workers, nodeLifecycle, options);
        }
    }

    /** host_pid_random: names the host and the process, unique even for several managers in one JVM. */
    public static String defaultIdentity() {
        return Identity.forThisProcess();
    }

    /** One leadership term: its gate and its controllers. */
    private final class Term {
        final long election;
        volatile boolean active = true;

        Term(long election) {
            this.election = election;
        }

        final List<Controller> controllers = new ArrayList<>();

        void start() {
            ControllerContext ctx = new ControllerContext(client, () -> active && !closed && renewedWithinDeadline(), clock, scheduler, config.workers());
            for (String name : CONTROLLERS.keySet()) {
                if (!config.controllers().contains(name)) {
                    continue;
                }
                Controller c = build(name, ctx);
                if (c == null) {
                    log.info("{}: controller {} is off: {}", config.identity(), name, offReason(name));
                    continue;
                }
                synchronized (this) {
                    if (!active) {
                        return;
                    }
                    controllers.add(c);
                }
                try {
                    c.start();
                } catch (Exception e) {
                    log.error("{}: controller {} failed to start", config.identity(), name, e);
                }
            }
        }

        void stop() {
            active = false;
            List<Controller> cs;
            synchronized (this) {
                cs = List.copyOf(controllers);
            }
            for (Controller c : cs.reversed()) {
                try {
                    c.close();
                } catch (RuntimeException e) {
                    log.warn("{}: closing {} failed", config.identity(), c.name(), e);
                }
            }
        }
    }

    /** Sign approved client-certificate requests with this CA (kube's --cluster-signing-cert-file); set before start. */
    public ControllerManager withCsrSigner(io.kubeha.controllers.certificates.CsrSigner signer) {
        this.csrSigner = signer;
        return this;
    }

    /** Publish this CA (PEM) as every namespace's kube-root-ca.crt, and put it in legacy token Secrets (--root-ca-file). */
    public ControllerManager withRootCa(String caPem) {
        this.rootCa = caPem;
        return this;
    }

    /** Sign legacy service-account token Secrets with this (kube's --service-account-private-key-file); set before start. */
    public ControllerManager withServiceAccountTokens(io.kubeha.security.tokens.ServiceAccountTokens tokens) {
        this.serviceAccountTokens = tokens;
        return this;
    }

    /** The CA to publish: the one handed over, else the one this manager's client trusts, else null. */
    private String rootCa() {
        if (rootCa != null) return rootCa;
        var config = client.getConfiguration();
        try {
            if (config.getCaCertData() != null && !config.getCaCertData().isEmpty()) {
                return new String(java.util.Base64.getDecoder().decode(config.getCaCertData()), java.nio.charset.StandardCharsets.UTF_8);
            }
            if (config.getCaCertFile() != null && !config.getCaCertFile().isEmpty()) {
                return java.nio.file.Files.readString(java.nio.file.Path.of(config.getCaCertFile()));
            }
        } catch (java.io.IOException | IllegalArgumentException e) {
            log.warn("{}: cannot read the CA of the manager's kubeconfig: {}", this.config.identity(), e.getMessage());
        }
        return null;
    }

    private static String offReason(String name) {
        if (name.equals(io.kubeha.controllers.serviceaccount.TokensController.NAME)) return "no service-account signing key was given";
        if (name.equals(io.kubeha.controllers.nodeipam.NodeIpamController.NAME)) {
            return "no cluster CIDR was given (--cluster-cidr, with --allocate-node-cidrs)";
        }
        return "no CA to publish was given, and the manager's own client trusts none";
    }

    /** A controller for one term; those with options in the Config get them here; null when it lacks what it needs. */
    private Controller build(String name, ControllerContext ctx) {
        if (name.equals(io.kubeha.controllers.serviceaccount.RootCaCertPublisher.NAME)) {
            String ca = rootCa();
            return ca == null ? null : new io.kubeha.controllers.serviceaccount.RootCaCertPublisher(ctx, ca);
        }
        if (name.equals(io.kubeha.controllers.serviceaccount.TokensController.NAME)) {
            return serviceAccountTokens == null ? null
                    : new io.kubeha.controllers.serviceaccount.TokensController(ctx, serviceAccountTokens, rootCa());
        }
        if (name.equals(NodeLifecycleController.NAME)) {
            return new NodeLifecycleController(ctx, config.nodeLifecycle());
        }
        if (name.equals(io.kubeha.controllers.nodeipam.NodeIpamController.NAME)) {
            return config.nodeIpam() == null ? null : new io.kubeha.controllers.nodeipam.NodeIpamController(ctx, config.nodeIpam());
        }
        if (name.equals(io.kubeha.controllers.certificates.CsrSigningController.NAME)) {
            return new io.kubeha.controllers.certificates.CsrSigningController(ctx, csrSigner);
        }
        return CONTROLLERS.get(name).apply(ctx);
    }

    private final KubernetesClient client;
    private final Config config;
    private volatile io.kubeha.controllers.certificates.CsrSigner csrSigner;
    private volatile String rootCa;
    private volatile io.kubeha.security.tokens.ServiceAccountTokens serviceAccountTokens;
    private final Clock clock;
    private final ScheduledExecutorService scheduler;
    private volatile boolean closed;
    private volatile Term term;
    private CompletableFuture<?> election;
    private long elections; // guarded by this
    private volatile String observedLeader;
    /** The lock of the current election: it knows when this process last renewed (see StampedLeaseLock). */
    private volatile StampedLeaseLock lock;

    private boolean renewedWithinDeadline() {
        StampedLeaseLock l = lock;
        return l != null && l.renewedWithin(config.renewDeadline());
    }

    /** Stops the term the moment renewals have failed for the renew deadline, and campaigns afresh. */
    private void watchdog() {
        Term t = term;
        if (t == null || !t.active || renewedWithinDeadline()) {
            return;
        }
        log.warn("{}: lease not renewed within {}: stopping all controllers", config.identity(), config.renewDeadline());
        stopTerm();
        CompletableFuture<?> f;
        synchronized (this) {
            f = election;
        }
        if (f != null) {
            f.cancel(true); // ends this election; its completion campaigns again
        }
    }

    public ControllerManager(KubernetesClient client, Config config) {
        this(client, config, Clock.systemUTC());
    }

    public ControllerManager(KubernetesClient client, Config config, Clock clock) {
        this.client = Objects.requireNonNull(client, "client");
        this.config = Objects.requireNonNull(config, "config");
        this.clock = clock;
        this.scheduler = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("controller-manager-delays").factory());
    }

    public Config config() {
        return config;
    }

    /** Starts campaigning for the lease; controllers start when it is won. */
    public synchronized ControllerManager start() {
        if (closed) {
            throw new IllegalStateException("closed");
        }
        if (election == null) {
            campaign();
            long period = Math.max(10, config.retryPeriod().toMillis() / 4);
            scheduler.scheduleAtFixedRate(this::watchdog, period, period, TimeUnit.MILLISECONDS);
        }
        return this;
    }

    private synchronized void campaign() {
        if (closed) {
            return;
        }
        // callbacks of an election that has ended (they may come late) must not touch a later election's term
        long generation = ++elections;
        // a fresh lock per election: a term's gate opens only with a renewal of this election
        var lock = new StampedLeaseLock(config.leaseNamespace(), config.leaseName(), config.identity());
        this.lock = lock;
        var electionConfig = new LeaderElectionConfigBuilder()
                .withName(config.leaseName())
                .withLock(lock)
                .withLeaseDuration(config.leaseDuration())
                .withRenewDeadline(config.renewDeadline())
                .withRetryPeriod(config.retryPeriod())
                .withReleaseOnCancel(true)
                .withLeaderCallbacks(new LeaderCallbacks(() -> startedLeading(generation), () -> stoppedLeading(generation),
                        l -> observedLeader = l))
                .build();
        CompletableFuture<?> f = client.leaderElector().withConfig(electionConfig).build().start();
        election = f;
        f.whenComplete((r, e) -> {
            stoppedLeading(generation);
            if (!closed) {
                log.info("{}: election ended ({}); campaigning again", config.identity(), e == null ? "lease lost" : e.toString());
                Thread.ofVirtual().start(this::campaign);
            }
        });
    }

    private void startedLeading(long generation) {
        Term t;
        synchronized (this) {
            if (closed || generation != elections) {
                return;
            }
            stopTerm();
            t = new Term(generation);
            term = t;
        }
        log.info("{}: became leader of {}/{}", config.identity(), config.leaseNamespace(), config.leaseName());
        // controllers wait for their caches: never on the elector's thread, which must keep renewing
        Thread.ofVirtual().name("controller-manager-term").start(t::start);
    }

    private void stoppedLeading(long generation) {
        Term t;
        synchronized (this) {
            t = term;
            if (t == null || t.election != generation) {
                return;
            }
            t.active = false;
            term = null;
        }
        log.info("{}: stopped leading", config.identity());
        t.stop();
    }

    /** Ends the current term, if any: its gate closes at once; stopping informers and workers may take a moment. */
    private void stopTerm() {
        Term t;
        synchronized (this) {
            t = term;
            if (t == null) {
                return;
            }
            t.active = false;
            term = null;
        }
        log.info("{}: stopped leading", config.identity());
        t.stop();
    }

    /** True while this manager holds the lease and its controllers act. */
    public boolean isLeader() {
        Term t = term;
        return t != null && t.active && !closed && renewedWithinDeadline();
    }

    /** The holder identity last reported by the elector (may be another process). */
    public String observedLeader() {
        return observedLeader;
    }

    /** Stops acting at once, stops the controllers, then releases the lease so a standby can take over. */
    @Override
    public void close() {
        CompletableFuture<?> f;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            f = election;
        }
        stopTerm();
        if (f != null) {
            f.cancel(true);
        }
        scheduler.shutdownNow();
    }
}
