package io.kubeha.vip;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One candidate for the VIP. Every {@code retryPeriod} it reads the Lease and, as client-go's leader election does:
 * renews it while it holds it and is healthy; gives it up at once (address released first, then the Lease's holder
 * emptied) when its {@link Health} fails; takes it when it is free (no holder) or has not changed for
 * {@code leaseDuration} on this candidate's own monotonic clock and it is healthy. A watchdog releases the address
 * the moment the last successful renewal is {@code renewDeadline} old, also while a renewal hangs: since the
 * deadline is shorter than the lease duration, and the deadline counts from before the renewal was sent while a
 * successor's wait counts from after it saw it, the old holder has let go before anyone may take over.
 *
 * <p>Durations are the candidate's configuration (all candidates must agree), not the Lease's whole-second
 * {@code leaseDurationSeconds}, which is written for people and tools reading the Lease.
 */
public final class VipElection implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(VipElection.class);
    /** After a failed hold (the address is taken elsewhere), this long before trying again. */
    private static final Duration HOLD_FAILURE_BACKOFF = Duration.ofSeconds(5);

    /**
     * Election timings, validated: leaseDuration > renewDeadline > retryPeriod > 0.
     *
     * @param namespace the Lease's namespace (kube-system)
     * @param name      the Lease's name (kubeha-vip)
     * @param identity  this candidate's holder identity
     */
    public record Config(String namespace, String name, String identity, Duration leaseDuration, Duration renewDeadline,
                         Duration retryPeriod) {
        public static final String DEFAULT_NAMESPACE = "kube-system";
        public static final String DEFAULT_NAME = "kubeha-vip";

        public Config {
            Objects.requireNonNull(namespace, "namespace");
            Objects.requireNonNull(name, "name");
            if (identity == null || identity.isBlank()) throw new IllegalArgumentException("the VIP candidate needs an identity");
            if (retryPeriod.isNegative() || retryPeriod.isZero()) throw new IllegalArgumentException("--vip-retry-period must be > 0");
            if (renewDeadline.compareTo(retryPeriod) <= 0) {
                throw new IllegalArgumentException("--vip-renew-deadline (" + renewDeadline.toMillis() + " ms) must be longer than"
                        + " --vip-retry-period (" + retryPeriod.toMillis() + " ms)");
            }
            if (leaseDuration.compareTo(renewDeadline) <= 0) {
                throw new IllegalArgumentException("--vip-lease-duration (" + leaseDuration.toMillis() + " ms) must be longer than"
                        + " --vip-renew-deadline (" + renewDeadline.toMillis() + " ms): a holder must let go before another may take over");
            }
        }

        /** kubeha's defaults: 1.5 s lease, 1 s renew deadline, 150 ms between tries. */
        public static Config defaults(String identity) {
            return new Config(DEFAULT_NAMESPACE, DEFAULT_NAME, identity, Duration.ofMillis(1500), Duration.ofMillis(1000),
                    Duration.ofMillis(150));
        }
    }

    private final KubernetesClient client;
    private final Config config;
    private final Announcer announcer;
    private final Health health;
    private final ScheduledExecutorService timer = Executors.newScheduledThreadPool(2, Thread.ofPlatform().daemon()
            .name("vip-election-", 0).factory());
    private volatile long lastRenewNanos;
    private volatile boolean closed;
    private volatile String observedHolder = "";
    private String observedVersion;
    private long observedAtNanos;
    private long holdBackoffUntilNanos;
    private String lastProblem;

    public VipElection(KubernetesClient client, Config config, Announcer announcer, Health health) {
        this.client = client;
        this.config = config;
        this.announcer = announcer;
        this.health = health;
    }

    public VipElection start() {
        timer.scheduleWithFixedDelay(this::stepSafely, 0, config.retryPeriod().toMillis(), TimeUnit.MILLISECONDS);
        long watch = Math.max(10, config.retryPeriod().toMillis() / 3);
        timer.scheduleWithFixedDelay(this::watchdog, watch, watch, TimeUnit.MILLISECONDS);
        LOG.info("{}: candidate for the VIP ({} mode; Lease {}/{}, lease {} ms, renew deadline {} ms, retry {} ms)", config.identity(),
                announcer.mode(), config.namespace(), config.name(), config.leaseDuration().toMillis(), config.renewDeadline().toMillis(),
                config.retryPeriod().toMillis());
        return this;
    }

    /** Whether this candidate holds the address now. */
    public boolean holding() {
        return announcer.holding();
    }

    /** The holder the Lease last named (this candidate's identity while it holds), or "" for none. */
    public String observedHolder() {
        return observedHolder;
    }

    private void watchdog() {
        if (announcer.holding() && System.nanoTime() - lastRenewNanos > config.renewDeadline().toNanos()) {
            announcer.release();
            LOG.warn("{}: the VIP Lease was not renewed within {} ms: released the address", config.identity(),
                    config.renewDeadline().toMillis());
        }
    }

    private void stepSafely() {
        if (closed) return;
        try {
            step(System.nanoTime());
        } catch (KubernetesClientException e) {
            note("the API server did not answer the Lease request: " + e.getMessage());
        } catch (RuntimeException e) {
            LOG.warn("{}: VIP election step failed", config.identity(), e);
        }
    }

    private void step(long tick) {
        Optional<String> problem = health.problem();
        Lease lease = client.leases().inNamespace(config.namespace()).withName(config.name()).get();
        String me = config.identity();
        if (lease == null) {
            if (problem.isPresent()) {
                note("not a candidate: " + problem.get());
                return;
            }
            Lease fresh = new LeaseBuilder().withNewMetadata().withNamespace(config.namespace()).withName(config.name()).endMetadata()
                    .withNewSpec().withHolderIdentity(me).withLeaseDurationSeconds(seconds(config.leaseDuration()))
                    .withAcquireTime(now()).withRenewTime(now()).withLeaseTransitions(0).endSpec().build();
            try {
                client.leases().inNamespace(config.namespace()).resource(fresh).create();
            } catch (KubernetesClientException e) {
                if (e.getCode() == 409) return; // another candidate made it first
                throw e;
            }
            won(tick, "made the Lease");
            return;
        }
        String holder = lease.getSpec() == null || lease.getSpec().getHolderIdentity() == null ? "" : lease.getSpec().getHolderIdentity();
        observedHolder = holder;
        if (me.equals(holder)) {
            if (problem.isPresent()) {
                giveUp(lease, problem.get());
                return;
            }
            lease.getSpec().setRenewTime(now());
            lease.getSpec().setLeaseDurationSeconds(seconds(config.leaseDuration()));
            if (!update(lease)) return;
            lastRenewNanos = tick;
            if (!announcer.holding()) won(tick, "renewed");
            return;
        }
        if (announcer.holding()) {
            announcer.release();
            LOG.warn("{}: the Lease names {} as the VIP holder: released the address", me, holder);
        }
        if (!lease.getMetadata().getResourceVersion().equals(observedVersion)) {
            observedVersion = lease.getMetadata().getResourceVersion();
            observedAtNanos = tick;
        }
        boolean free = holder.isEmpty() || tick - observedAtNanos > config.leaseDuration().toNanos();
        if (!free) {
            lastProblem = null;
            return;
        }
        if (problem.isPresent()) {
            note("not taking the VIP: " + problem.get());
            return;
        }
        if (tick < holdBackoffUntilNanos) return;
        var spec = lease.getSpec();
        spec.setHolderIdentity(me);
        spec.setAcquireTime(now());
        spec.setRenewTime(now());
        spec.setLeaseDurationSeconds(seconds(config.leaseDuration()));
        spec.setLeaseTransitions((spec.getLeaseTransitions() == null ? 0 : spec.getLeaseTransitions()) + 1);
        if (!update(lease)) return;
        won(tick, holder.isEmpty() ? "the Lease was free" : "the Lease of " + holder + " expired");
    }

    private void won(long tick, String why) {
        lastRenewNanos = tick;
        observedHolder = config.identity();
        try {
            announcer.hold();
            lastProblem = null;
            LOG.info("{}: took the VIP ({})", config.identity(), why);
        } catch (IOException e) {
            LOG.error("{}: {}", config.identity(), e.getMessage());
            holdBackoffUntilNanos = System.nanoTime() + HOLD_FAILURE_BACKOFF.toNanos();
            Lease lease = client.leases().inNamespace(config.namespace()).withName(config.name()).get();
            if (lease != null) giveUp(lease, e.getMessage());
        }
    }

    /** Releases the address first, then empties the Lease's holder, so that a healthy candidate takes over at once. */
    private void giveUp(Lease lease, String why) {
        announcer.release();
        lease.getSpec().setHolderIdentity("");
        lease.getSpec().setLeaseDurationSeconds(1);
        if (update(lease)) LOG.warn("{}: gave the VIP up: {}", config.identity(), why);
        observedHolder = "";
    }

    /** Compare-and-swap on the Lease's resourceVersion; false when another candidate wrote it meanwhile. */
    private boolean update(Lease lease) {
        try {
            client.leases().inNamespace(config.namespace()).resource(lease).update();
            return true;
        } catch (KubernetesClientException e) {
            if (e.getCode() == 409) return false;
            throw e;
        }
    }

    private void note(String problem) {
        if (!problem.equals(lastProblem)) LOG.info("{}: {}", config.identity(), problem);
        lastProblem = problem;
    }

    private static int seconds(Duration d) {
        return (int) Math.max(1, (d.toMillis() + 999) / 1000);
    }

    private static java.time.ZonedDateTime now() {
        return java.time.ZonedDateTime.now(ZoneOffset.UTC);
    }

    /** Stops campaigning; a holder gives the address and the Lease up, so that another takes over at once. */
    @Override
    public void close() {
        closed = true;
        timer.shutdownNow();
        try {
            timer.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        boolean held = announcer.holding();
        announcer.close();
        if (held) {
            try {
                Lease lease = client.leases().inNamespace(config.namespace()).withName(config.name()).get();
                if (lease != null && config.identity().equals(lease.getSpec().getHolderIdentity())) giveUp(lease, "stopping");
            } catch (KubernetesClientException e) {
                LOG.warn("{}: could not give the VIP Lease up on stopping ({}); it expires in {} ms", config.identity(), e.getMessage(),
                        config.leaseDuration().toMillis());
            }
        }
    }
}
