package io.kubeha.scheduler;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.kubeha.client.StampedLeaseLock;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/**
 * The scheduler: an API client that watches pods, nodes and services through fabric8 informers, and, while it holds
 * the leader Lease, takes pending pods of its schedulerName from a back-off queue, runs the filter and score plugins
 * ({@link Framework}) and binds each pod through pods/binding. What is on each node is kept incrementally by informer
 * events in a {@link SchedulerCache}; each cycle refreshes its snapshot by copying only the nodes that changed, and
 * filters only until it has found enough feasible nodes (percentageOfNodesToScore), so a cycle costs about the same at
 * 5,000 nodes as at 500. A pod is accounted on its node at once (assumed) so the next decision sees it before the
 * informer does, and its binding is written by a binder thread while the loop goes on to the next pod, as
 * kube-scheduler's binding cycle. A scheduler that loses its lease stops binding at once and stands by for the next
 * election; informers keep running on standbys so a new leader starts with a warm cache.
 *
 * <p>The client is the caller's: build it with {@code Config.onlyHttpWatches} for kubeha's API server, which serves
 * watches as streamed HTTP only (fabric8 otherwise tries a websocket first and falls back after the refusal).
 */
public final class Scheduler implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Scheduler.class);
    /** bindings in flight at once (kube-scheduler: a goroutine per binding, bounded by the client's QPS) */
    private static final int BINDERS = 16;
    private static final int RECORDERS = 4;

    private final KubernetesClient client;
    private final SchedulerConfig config;
    private final Framework framework;
    private final SchedulingQueue queue;
    /** nodes and the pods on them (bound and assumed), maintained by the informer handlers */
    private final SchedulerCache cache = new SchedulerCache();
    /** writes bindings so that the scheduling loop need not wait for the API server (kube-scheduler's binding cycle) */
    private final ExecutorService binder;
    /** writes the Scheduled events, so that a binder is free for the next binding (client-go's event broadcaster) */
    private final ExecutorService recorder;
    private final AtomicBoolean leading = new AtomicBoolean();
    private final AtomicLong term = new AtomicLong();
    private final AtomicLong bindings = new AtomicLong();
    private final AtomicLong eventSeq = new AtomicLong();
    private volatile boolean closed;
    private volatile boolean started;

    private SharedIndexInformer<Pod> pods;
    private SharedIndexInformer<Node> nodes;
    private SharedIndexInformer<Service> services;
    private volatile CompletableFuture<?> election;
    private Thread electionThread;

    public Scheduler(KubernetesClient client, SchedulerConfig config) {
        this(client, config, RandomGenerator.getDefault(), System::nanoTime);
    }

    Scheduler(KubernetesClient client, SchedulerConfig config, RandomGenerator random, LongSupplier nanoClock) {
        this.client = Objects.requireNonNull(client, "client");
        this.config = Objects.requireNonNull(config, "config");
        this.framework = Framework.defaults(random, config.percentageOfNodesToScore());
        this.queue = new SchedulingQueue(config.initialBackoff(), config.maxBackoff(), nanoClock);
        this.binder = Executors.newFixedThreadPool(BINDERS, Thread.ofPlatform().daemon().name("scheduler-binder-", 0).factory());
        this.recorder = Executors.newFixedThreadPool(RECORDERS, Thread.ofPlatform().daemon().name("scheduler-events-", 0).factory());
    }

    /** Starts the informers and the leader election; returns at once. Scheduling begins when this instance leads. */
    public synchronized Scheduler start() {
        if (started) throw new IllegalStateException("already started");
        started = true;
        pods = io.kubeha.client.Informers.keepTrying(client.pods().inAnyNamespace().runnableInformer(0));
        pods.addEventHandler(new PodHandler());
        nodes = io.kubeha.client.Informers.keepTrying(client.nodes().runnableInformer(0));
        nodes.addEventHandler(new NodeHandler());
        services = io.kubeha.client.Informers.keepTrying(client.services().inAnyNamespace().runnableInformer(0));
        pods.start();
        nodes.start();
        services.start();
        electionThread = Thread.ofPlatform().daemon().name("scheduler-election-" + config.identity()).start(this::electLoop);
        return this;
    }

    /** Whether this instance holds the lease and schedules. */
    public boolean isLeader() {
        return leading.get();
    }

    public SchedulerConfig config() {
        return config;
    }

    /** Nodes in this instance's cache: what it decides among (once its informers have caught up). */
    public int nodeCount() {
        return cache.nodeCount();
    }

    /** Pods this instance has bound since it started. */
    public long boundCount() {
        return bindings.get();
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) return;
            closed = true;
        }
        leading.set(false);
        queue.close();
        binder.shutdownNow();
        // the Scheduled events of pods already bound are written (briefly bounded): the binding happened, so should its event
        recorder.shutdown();
        try {
            if (!recorder.awaitTermination(2, java.util.concurrent.TimeUnit.SECONDS)) recorder.shutdownNow();
        } catch (InterruptedException ie) {
            recorder.shutdownNow();
            Thread.currentThread().interrupt();
        }
        CompletableFuture<?> e = election;
        if (e != null) e.cancel(true); // releases the lease (releaseOnCancel) so a standby need not wait it out
        if (electionThread != null) {
            electionThread.interrupt();
            try {
                electionThread.join(5_000);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            }
        }
        for (SharedIndexInformer<?> i : new SharedIndexInformer<?>[] {pods, nodes, services}) {
            if (i != null) i.stop();
        }
    }

    // ---------------------------------------------------------------- leader election

    /** Runs for election again each time a term ends, until closed: a deposed leader becomes a standby. */
    private void electLoop() {
        while (!closed) {
            var lock = new StampedLeaseLock(config.leaseNamespace(), config.leaseName(), config.identity());
            this.lock = lock;
            var electionConfig = new LeaderElectionConfigBuilder()
                    .withName(config.leaseName())
                    .withLeaseDuration(config.leaseDuration())
                    .withRenewDeadline(config.renewDeadline())
                    .withRetryPeriod(config.retryPeriod())
                    .withLock(lock)
                    .withReleaseOnCancel(true)
                    .withLeaderCallbacks(new LeaderCallbacks(this::startedLeading, this::stoppedLeading,
                            leader -> LOG.info("{}: leader is now {}", config.identity(), leader)))
                    .build();
            try {
                CompletableFuture<?> f = client.leaderElector().withConfig(electionConfig).build().start();
                election = f;
                if (closed) {
                    f.cancel(true);
                    return;
                }
                f.get();
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                if (closed) return;
                LOG.warn("{}: leader election ended: {}", config.identity(), e.toString());
            } finally {
                stoppedLeading();
            }
            if (closed) return;
            try {
                Thread.sleep(config.retryPeriod().toMillis());
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void startedLeading() {
        if (closed) return;
        long myTerm = term.incrementAndGet();
        leading.set(true);
        LOG.info("{}: started leading (term {})", config.identity(), myTerm);
        Thread.ofPlatform().daemon().name("scheduler-loop-" + config.identity() + "-" + myTerm).start(() -> scheduleLoop(myTerm));
    }

    private void stoppedLeading() {
        if (leading.compareAndSet(true, false)) {
            term.incrementAndGet(); // the running loop sees a new term and ends
            LOG.info("{}: stopped leading", config.identity());
        }
    }

    /** The lock of the current election: it knows when this process last renewed (see StampedLeaseLock). */
    private volatile StampedLeaseLock lock;

    /**
     * True while this term leads and the lease was renewed within the renew deadline. fabric8's elector is not
     * trusted to notice a renewal that blocks: past the deadline the term ends here, and the election is cancelled so
     * that this process campaigns afresh as a standby.
     */
    private boolean acting(long myTerm) {
        if (!(leading.get() && term.get() == myTerm && !closed)) return false;
        StampedLeaseLock l = lock;
        if (l != null && l.renewedWithin(config.renewDeadline())) return true;
        LOG.warn("{}: lease not renewed within {}: stopping", config.identity(), config.renewDeadline());
        stoppedLeading();
        CompletableFuture<?> e = election;
        if (e != null) e.cancel(true);
        return false;
    }

    // ---------------------------------------------------------------- the scheduling loop

    private void scheduleLoop(long myTerm) {
        waitForSync(myTerm);
        // the handlers may still be catching up with the synced stores: the cache starts from what the stores hold
        for (Node n : nodes.getStore().list()) cache.addOrUpdateNode(n);
        for (Pod p : pods.getStore().list()) cache.podSeen(p, counts(p));
        // everything pending is (re)considered by a new leader, whatever the standby's queue holds
        queue.moveAllToActive();
        for (Pod p : pods.getStore().list()) {
            if (isPendingOurs(p)) queue.add(key(p));
        }
        SchedulerCache.Snapshot snapshot = new SchedulerCache.Snapshot();
        while (acting(myTerm)) {
            String key;
            try {
                key = queue.take(Duration.ofMillis(500));
            } catch (InterruptedException e) {
                return;
            }
            if (key == null) continue;
            try {
                scheduleOne(key, myTerm, snapshot);
            } catch (RuntimeException e) {
                LOG.warn("{}: scheduling {} failed: {}", config.identity(), key, e.toString());
                queue.unschedulable(key);
            }
        }
    }

    private void waitForSync(long myTerm) {
        while (acting(myTerm) && !(pods.hasSynced() && nodes.hasSynced() && services.hasSynced())) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void scheduleOne(String key, long myTerm, SchedulerCache.Snapshot snapshot) {
        Pod pod = pods.getStore().getByKey(key);
        if (pod == null || !isPendingOurs(pod) || cache.isAssumed(key)) {
            queue.delete(key);
            return;
        }
        cache.updateSnapshot(snapshot);
        switch (framework.schedule(pod, new ClusterSnapshot(snapshot.nodes(), List.copyOf(services.getStore().list())))) {
            case Framework.Result.Fit fit -> bind(pod, key, fit.node(), myTerm);
            case Framework.Result.NoFit noFit -> {
                String message = noFit.message();
                queue.unschedulable(key);
                if (!acting(myTerm)) return;
                LOG.debug("{}: {} unschedulable: {}", config.identity(), key, message);
                recordEvent(pod, "Warning", "FailedScheduling", message);
                markUnschedulable(pod, message);
            }
        }
    }

    /** Assumes the pod on the node (the next cycle counts it) and hands the binding to a binder thread. */
    private void bind(Pod pod, String key, String node, long myTerm) {
        if (!acting(myTerm)) { // lost the lease while deciding: the next leader decides again
            queue.delete(key);
            return;
        }
        cache.assume(pod, node);
        try {
            binder.execute(() -> writeBinding(pod, key, node, myTerm));
        } catch (RejectedExecutionException e) { // closing
            cache.forget(pod);
            queue.delete(key);
        }
    }

    private void writeBinding(Pod pod, String key, String node, long myTerm) {
        if (!acting(myTerm)) { // lost the lease since: binding now could make two leaders act
            cache.forget(pod);
            queue.unschedulable(key); // retried when this instance leads again (a new term moves it back at once)
            return;
        }
        String ns = pod.getMetadata().getNamespace();
        String name = pod.getMetadata().getName();
        Map<String, Object> binding = new LinkedHashMap<>();
        binding.put("apiVersion", "v1");
        binding.put("kind", "Binding");
        binding.put("metadata", Map.of("name", name, "namespace", ns, "uid", pod.getMetadata().getUid()));
        binding.put("target", Map.of("apiVersion", "v1", "kind", "Node", "name", node));
        try {
            client.raw(url("api/v1/namespaces/" + ns + "/pods/" + name + "/binding"), "POST", binding);
        } catch (KubernetesClientException e) {
            cache.forget(pod);
            if (e.getCode() == 409 || e.getCode() == 404) {
                // already bound (by a previous leader) or gone: nothing left to do for it
                queue.delete(key);
                return;
            }
            LOG.warn("{}: binding {} to {} failed: {}", config.identity(), key, node, e.getMessage());
            queue.unschedulable(key);
            return;
        } catch (RuntimeException e) { // the client closed under us, or an interrupt on close
            cache.forget(pod);
            queue.unschedulable(key);
            if (!closed) LOG.warn("{}: binding {} to {} failed: {}", config.identity(), key, node, e.toString());
            return;
        }
        LOG.debug("{}: bound {} to {}", config.identity(), key, node);
        bindings.incrementAndGet();
        queue.done(key);
        try {
            recorder.execute(() -> recordEvent(pod, "Normal", "Scheduled", "Successfully assigned " + ns + "/" + name + " to " + node));
        } catch (RejectedExecutionException e) {
            // closing: the binding is what mattered
        }
    }

    private String url(String path) {
        String base = client.getMasterUrl().toString();
        return base.endsWith("/") ? base + path : base + "/" + path;
    }

    /** Every node with the pods bound or assumed there, and the services: an independent copy, for tests. */
    ClusterSnapshot snapshot() {
        return new ClusterSnapshot(cache.copyAll(), List.copyOf(services.getStore().list()));
    }

    // ---------------------------------------------------------------- events and status

    /** The last event recorded per pod, so a repeat of it counts up instead of piling up (client-go's correlator). */
    private record Recorded(String uid, String reason, String message, String name, int count) { }

    private final Map<String, Recorded> lastEvent = new ConcurrentHashMap<>();

    private void recordEvent(Pod pod, String type, String reason, String message) {
        String podKey = key(pod);
        String uid = pod.getMetadata().getUid();
        String ns = pod.getMetadata().getNamespace();
        String ts = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        Recorded last = lastEvent.get(podKey);
        if (last != null && Objects.equals(last.uid(), uid) && last.reason().equals(reason) && last.message().equals(message)) {
            int count = last.count() + 1;
            try {
                client.v1().events().inNamespace(ns).withName(last.name()).patch(PatchContext.of(PatchType.JSON_MERGE),
                        client.getKubernetesSerialization().asJson(Map.of("count", count, "lastTimestamp", ts)));
                lastEvent.put(podKey, new Recorded(uid, reason, message, last.name(), count));
                return;
            } catch (KubernetesClientException e) {
                // gone (events expire) or unreadable: record a new one
            }
        }
        String name = pod.getMetadata().getName() + "." + Long.toHexString(System.currentTimeMillis() * 1000 + eventSeq.incrementAndGet() % 1000);
        Event event = new EventBuilder()
                .withNewMetadata().withName(name).withNamespace(ns).endMetadata()
                .withNewInvolvedObject()
                .withApiVersion("v1").withKind("Pod").withNamespace(ns).withName(pod.getMetadata().getName())
                .withUid(uid).withResourceVersion(pod.getMetadata().getResourceVersion())
                .endInvolvedObject()
                .withType(type).withReason(reason).withMessage(message)
                .withNewSource().withComponent(config.schedulerName()).endSource()
                .withReportingComponent(config.schedulerName()).withReportingInstance(config.identity())
                .withAction(reason.equals("Scheduled") ? "Binding" : "Scheduling")
                .withFirstTimestamp(ts).withLastTimestamp(ts).withCount(1)
                .build();
        try {
            client.v1().events().inNamespace(ns).resource(event).create();
            lastEvent.put(podKey, new Recorded(uid, reason, message, name, 1));
        } catch (RuntimeException e) { // refused, or the client closed under a late event: events are best effort
            LOG.debug("event for {} not recorded: {}", podKey, e.toString());
        }
    }

    /** PodScheduled=False, reason Unschedulable, with the FailedScheduling message: what kubectl describe shows. */
    private void markUnschedulable(Pod pod, String message) {
        List<Map<String, Object>> conditions = new ArrayList<>();
        boolean unchanged = false;
        if (pod.getStatus() != null) {
            for (var c : Resources.nullSafe(pod.getStatus().getConditions())) {
                if ("PodScheduled".equals(c.getType())) {
                    unchanged = "False".equals(c.getStatus()) && "Unschedulable".equals(c.getReason()) && message.equals(c.getMessage());
                    continue;
                }
                @SuppressWarnings("unchecked")
                Map<String, Object> asMap = client.getKubernetesSerialization().convertValue(c, Map.class);
                conditions.add(asMap);
            }
        }
        if (unchanged) return;
        Map<String, Object> scheduled = new LinkedHashMap<>();
        scheduled.put("type", "PodScheduled");
        scheduled.put("status", "False");
        scheduled.put("lastProbeTime", null);
        scheduled.put("lastTransitionTime", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        scheduled.put("reason", "Unschedulable");
        scheduled.put("message", message);
        conditions.add(scheduled);
        Map<String, Object> patch = Map.of("status", Map.of("conditions", conditions));
        try {
            client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName())
                    .subresource("status").patch(PatchContext.of(PatchType.JSON_MERGE), client.getKubernetesSerialization().asJson(patch));
        } catch (KubernetesClientException e) {
            LOG.debug("status of {} not updated: {}", key(pod), e.getMessage());
        }
    }

    // ---------------------------------------------------------------- informer handlers

    static String key(Pod p) {
        return p.getMetadata().getNamespace() + "/" + p.getMetadata().getName();
    }

    private boolean isPendingOurs(Pod p) {
        if (p.getSpec() == null || p.getMetadata().getDeletionTimestamp() != null || isTerminal(p)) return false;
        String nodeName = p.getSpec().getNodeName();
        if (nodeName != null && !nodeName.isEmpty()) return false;
        String name = p.getSpec().getSchedulerName();
        return Objects.equals(name == null || name.isEmpty() ? SchedulerConfig.DEFAULT_SCHEDULER_NAME : name, config.schedulerName());
    }

    private static boolean isTerminal(Pod p) {
        String phase = p.getStatus() == null ? null : p.getStatus().getPhase();
        return "Succeeded".equals(phase) || "Failed".equals(phase);
    }

    /** Whether the pod takes room on its node: bound and not finished (a terminating pod still runs). */
    private static boolean counts(Pod p) {
        return isBound(p) && !isTerminal(p);
    }

    private static boolean isBound(Pod p) {
        return p.getSpec() != null && p.getSpec().getNodeName() != null && !p.getSpec().getNodeName().isEmpty();
    }

    private final class PodHandler implements ResourceEventHandler<Pod> {
        @Override
        public void onAdd(Pod p) {
            cache.podSeen(p, counts(p));
            if (isPendingOurs(p)) queue.add(key(p));
        }

        @Override
        public void onUpdate(Pod old, Pod p) {
            String k = key(p);
            cache.podSeen(p, counts(p)); // confirms what we assumed once the informer shows it bound
            if (isPendingOurs(p)) {
                queue.add(k);
                return;
            }
            queue.delete(k);
            if (isBound(old) && !isTerminal(old) && (isTerminal(p) || p.getMetadata().getDeletionTimestamp() != null)) {
                queue.moveAllToActive(); // a pod finishing frees its node's resources
            }
        }

        @Override
        public void onDelete(Pod p, boolean unknownFinalState) {
            String k = key(p);
            cache.podDeleted(p);
            queue.delete(k);
            lastEvent.remove(k);
            if (isBound(p)) queue.moveAllToActive();
        }
    }

    private final class NodeHandler implements ResourceEventHandler<Node> {
        @Override
        public void onAdd(Node n) {
            cache.addOrUpdateNode(n);
            queue.moveAllToActive();
        }

        @Override
        public void onUpdate(Node old, Node n) {
            // heartbeats change nothing a filter looks at: leave the cache (and the snapshot) alone for them, and
            // only retry waiting pods on changes that may make room
            if (!Objects.equals(old.getMetadata().getLabels(), n.getMetadata().getLabels())
                    || !Objects.equals(old.getSpec(), n.getSpec())
                    || !Objects.equals(allocatable(old), allocatable(n))
                    || ready(old) != ready(n)) {
                cache.addOrUpdateNode(n);
                queue.moveAllToActive();
            }
        }

        @Override
        public void onDelete(Node n, boolean unknownFinalState) {
            cache.removeNode(n.getMetadata().getName());
        }

        private static Object allocatable(Node n) {
            return n.getStatus() == null ? null : n.getStatus().getAllocatable();
        }

        private static boolean ready(Node n) {
            if (n.getStatus() == null) return false;
            for (NodeCondition c : Resources.nullSafe(n.getStatus().getConditions())) {
                if ("Ready".equals(c.getType())) return "True".equals(c.getStatus());
            }
            return false;
        }
    }
}
