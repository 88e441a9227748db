package io.kubeha.controllers.daemonset;

import io.kubeha.controllers.OwnerRefs;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.apps.ControllerRevision;
import io.fabric8.kubernetes.api.model.apps.ControllerRevisionBuilder;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetBuilder;
import io.fabric8.kubernetes.api.model.apps.DaemonSetStatus;
import io.fabric8.kubernetes.api.model.apps.RollingUpdateDaemonSet;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.kubeha.controllers.ControllerContext;
import io.kubeha.controllers.ControllerRefManager;
import io.kubeha.controllers.EventRecorder;
import io.kubeha.controllers.Expectations;
import io.kubeha.controllers.InformerController;
import io.kubeha.controllers.OwnedPodEvents;
import io.kubeha.controllers.OwnerLookup;
import io.kubeha.controllers.PodControl;
import io.kubeha.controllers.LabelSelectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Runs one pod of each DaemonSet on every eligible node (see the package documentation). */
public final class DaemonSetController extends InformerController {
    public static final String NAME = "daemonset";
    /** At most this many creates or deletes per sync, as kube's burstReplicas. */
    static final int BURST_REPLICAS = 250;
    /** Back-off before a failed daemon pod on the same node is killed again (kube: 1s doubling to 15 minutes). */
    static final Duration FAILED_POD_BACKOFF = Duration.ofSeconds(1);
    static final Duration FAILED_POD_BACKOFF_MAX = Duration.ofMinutes(15);
    private static final Logger log = LoggerFactory.getLogger(DaemonSetController.class);

    private final Expectations expectations;
    private final EventRecorder events;
    private final PodControl podControl;
    private final Revisions revisions;
    private final KubernetesSerialization json;
    /** "ns/ds/node" -> the back-off of killing failed pods there. */
    private final Map<String, Backoff> failedPodBackoff = new ConcurrentHashMap<>();
    private SharedIndexInformer<DaemonSet> daemonSets;
    private SharedIndexInformer<Pod> pods;
    private OwnerLookup<DaemonSet> owners;
    private SharedIndexInformer<Node> nodes;
    private SharedIndexInformer<ControllerRevision> histories;

    private record Backoff(Instant lastUpdate, Duration delay) {
    }

    public DaemonSetController(ControllerContext ctx) {
        this(ctx, new Expectations());
    }

    public DaemonSetController(ControllerContext ctx, Expectations expectations) {
        super(ctx);
        this.expectations = expectations;
        this.events = new EventRecorder(ctx, "daemonset-controller");
        this.podControl = new PodControl(ctx, expectations, events);
        this.json = ctx.client().getKubernetesSerialization();
        this.revisions = new Revisions(json);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    protected void setUp() {
        daemonSets = inform(ctx.client().apps().daemonSets().inAnyNamespace(), handler(
                ds -> queue.add(key(ds)),
                (oldDs, newDs) -> queue.add(key(newDs)),
                ds -> {
                    expectations.delete(key(ds));
                    failedPodBackoff.keySet().removeIf(k -> k.startsWith(key(ds) + "/"));
                    queue.add(key(ds));
                }));
        owners = new OwnerLookup<>(daemonSets, DaemonSet.class, ds -> ds.getSpec().getSelector());
        OwnedPodEvents<DaemonSet> podEvents = new OwnedPodEvents<>(queue, expectations, owners,
                DaemonSetController::minReadySeconds, Placement::isReady);
        pods = inform(ctx.client().pods().inAnyNamespace(), handler(podEvents::added, podEvents::updated, podEvents::deleted));
        nodes = inform(ctx.client().nodes(), handler(
                node -> enqueueAll(),
                (oldNode, newNode) -> {
                    if (placementChanged(oldNode, newNode)) {
                        enqueueAll();
                    }
                },
                node -> enqueueAll()));
        histories = inform(ctx.client().apps().controllerRevisions().inAnyNamespace(), enqueueing(this::daemonSetsOf));
    }

    // ---- event handlers: only bookkeeping of expectations and enqueueing keys ----

    private void enqueueAll() {
        daemonSets.getStore().list().forEach(ds -> queue.add(key(ds)));
    }

    /** Heartbeats change nothing for placement; labels, taints, cordoning and conditions may. */
    private static boolean placementChanged(Node a, Node b) {
        return !Objects.equals(a.getMetadata().getLabels(), b.getMetadata().getLabels())
                || !Objects.equals(a.getSpec() == null ? null : a.getSpec().getTaints(), b.getSpec() == null ? null : b.getSpec().getTaints())
                || !Objects.equals(a.getSpec() == null ? null : a.getSpec().getUnschedulable(), b.getSpec() == null ? null : b.getSpec().getUnschedulable())
                || !conditionStates(a).equals(conditionStates(b));
    }

    private static Map<String, String> conditionStates(Node n) {
        Map<String, String> out = new HashMap<>();
        if (n.getStatus() != null && n.getStatus().getConditions() != null) {
            for (NodeCondition c : n.getStatus().getConditions()) {
                out.put(c.getType(), c.getStatus());
            }
        }
        return out;
    }

    /** The owner of a revision, or for an orphan every DaemonSet that may adopt it. */
    private List<String> daemonSetsOf(ControllerRevision r) {
        OwnerReference ref = OwnerRefs.controllerOf(r);
        if (ref != null) {
            DaemonSet ds = owners.resolve(r.getMetadata().getNamespace(), ref);
            return ds == null ? List.of() : List.of(key(ds));
        }
        return owners.selecting(r).stream().map(InformerController::key).toList();
    }

    private static int minReadySeconds(DaemonSet ds) {
        Integer m = ds.getSpec().getMinReadySeconds();
        return m == null ? 0 : m;
    }

    // ---- reconcile ----

    /** One sync's view: the DaemonSet, every node, and its pods by the node they are for. */
    private record View(DaemonSet ds, List<Node> nodes, Map<String, List<Pod>> podsByNode, String hash, Long generation) {
    }

    @Override
    public Duration reconcile(String key) throws Exception {
        DaemonSet ds = daemonSets.getStore().getByKey(key);
        if (ds == null) {
            expectations.delete(key);
            return null;
        }
        if (LabelSelectors.isEmpty(ds.getSpec().getSelector())) {
            events.warning(ds, "SelectingAll", "This daemon set is selecting all pods. A non-empty selector is required.");
            return null;
        }
        if (ds.getMetadata().getDeletionTimestamp() != null) {
            // its pods and revisions may be going (garbage collector) or staying (orphaned): no status to trust
            return null;
        }
        List<Node> nodeList = nodes.getStore().list();
        History history = constructHistory(ds);
        String hash = history.current().getMetadata().getLabels().get(Revisions.HASH_LABEL);
        Long generation = Revisions.templateGeneration(ds, history.current());

        Duration again = null;
        if (!expectations.satisfied(key)) {
            // only the status; observedGeneration stays, this generation has not been acted on
            return updateStatus(new View(ds, nodeList, podsByNode(ds, false), hash, generation), false);
        }
        Exception error = null;
        try {
            again = manage(key, new View(ds, nodeList, podsByNode(ds, false), hash, generation));
            if (expectations.satisfied(key) && "RollingUpdate".equals(strategy(ds))) {
                rollingUpdate(key, new View(ds, nodeList, podsByNode(ds, false), hash, generation));
            }
            cleanupHistory(ds, history.old());
        } catch (Exception e) {
            error = e;
        }
        Duration statusAgain = updateStatus(new View(ds, nodeList, podsByNode(ds, false), hash, generation), true);
        if (error != null) {
            throw error;
        }
        return earliest(again, statusAgain);
    }

    private static Duration earliest(Duration a, Duration b) {
        if (a == null) {
            return b;
        }
        return b == null || a.compareTo(b) <= 0 ? a : b;
    }

    private static String strategy(DaemonSet ds) {
        return ds.getSpec().getUpdateStrategy() == null || ds.getSpec().getUpdateStrategy().getType() == null
                ? "RollingUpdate" : ds.getSpec().getUpdateStrategy().getType();
    }

    /**
     * The DaemonSet's pods (claimed: adopting matching orphans, releasing owned pods that stopped matching) by
     * their target node; deleted pods that have also finished are left out unless asked for.
     */
    private Map<String, List<Pod>> podsByNode(DaemonSet ds, boolean includeDeletedTerminal) {
        List<Pod> candidates = pods.getIndexer().byIndex(Cache.NAMESPACE_INDEX, ds.getMetadata().getNamespace());
        Map<String, List<Pod>> out = new LinkedHashMap<>();
        for (Pod pod : claim(ds, candidates)) {
            if (!includeDeletedTerminal && Placement.isTerminal(pod) && pod.getMetadata().getDeletionTimestamp() != null) {
                continue;
            }
            String node = Placement.targetNode(pod);
            if (node == null) {
                log.debug("{}: pod {} names no node; ignored", key(ds), key(pod));
                continue;
            }
            out.computeIfAbsent(node, n -> new ArrayList<>()).add(pod);
        }
        return out;
    }

    /** kube's ControllerRefManager.ClaimPods. */
    private List<Pod> claim(DaemonSet ds, List<Pod> candidates) {
        return new ControllerRefManager<>(ctx, ds, ds.getSpec().getSelector(), Pod.class).claim(candidates);
    }

    // ---- placement: create and delete pods per node ----

    /** podsShouldBeOnNode over every node, then the creates and deletes (syncNodes). */
    private Duration manage(String key, View v) throws Exception {
        DaemonSet ds = v.ds();
        boolean surge = maxSurgeConfigured(ds);
        List<String> create = new ArrayList<>();
        List<Pod> delete = new ArrayList<>();
        Duration again = null;
        Instant now = Instant.now(ctx.clock());
        Set<String> known = new HashSet<>();
        for (Node node : v.nodes()) {
            String name = node.getMetadata().getName();
            known.add(name);
            Placement.Decision d = Placement.decide(node, ds);
            List<Pod> there = v.podsByNode().get(name);
            if (d.shouldRun() && there == null) {
                create.add(name);
                continue;
            }
            if (there == null) {
                continue;
            }
            if (!d.shouldContinueRunning()) {
                there.stream().filter(p -> p.getMetadata().getDeletionTimestamp() == null).forEach(delete::add);
                continue;
            }
            List<Pod> running = new ArrayList<>();
            for (Pod pod : there) {
                if (pod.getMetadata().getDeletionTimestamp() != null) {
                    continue;
                }
                if ("Failed".equals(Placement.phase(pod))) {
                    // kubelets may keep rejecting a pod: kill it, but back off per node so as not to hot-loop
                    String bk = key + "/" + name;
                    Backoff b = failedPodBackoff.get(bk);
                    if (b != null && now.isBefore(b.lastUpdate().plus(b.delay()))) {
                        again = earliest(again, Duration.between(now, b.lastUpdate().plus(b.delay())));
                        continue;
                    }
                    Duration next = b == null || now.isAfter(b.lastUpdate().plus(FAILED_POD_BACKOFF_MAX.multipliedBy(2)))
                            ? FAILED_POD_BACKOFF : min(b.delay().multipliedBy(2), FAILED_POD_BACKOFF_MAX);
                    failedPodBackoff.put(bk, new Backoff(now, next));
                    events.warning(ds, "FailedDaemonPod", "Found failed daemon pod " + key(pod) + " on node " + name + ", will try to kill it");
                    delete.add(pod);
                } else if ("Succeeded".equals(Placement.phase(pod))) {
                    delete.add(pod);
                } else {
                    running.add(pod);
                }
            }
            if (running.size() <= 1) {
                if (running.isEmpty() && surge && d.shouldRun()) {
                    create.add(name);
                }
                continue;
            }
            running.sort(OLDEST_FIRST);
            if (!surge) {
                // more than one: keep the oldest
                delete.addAll(running.subList(1, running.size()));
                continue;
            }
            // surging: an old and a new pod may overlap while the new one becomes available; any others go
            Pod oldestNew = null, oldestOld = null;
            for (Pod pod : running) {
                if (isUpdated(pod, v)) {
                    if (oldestNew == null) {
                        oldestNew = pod;
                        continue;
                    }
                } else if (oldestOld == null) {
                    oldestOld = pod;
                    continue;
                }
                delete.add(pod);
            }
            if (oldestNew != null && oldestOld != null
                    && (!Placement.isReady(oldestOld) || Placement.isAvailable(oldestNew, minReadySeconds(ds), now))) {
                delete.add(oldestOld);
            }
        }
        // pods pinned to nodes that no longer exist would wait for a scheduler forever
        for (var e : v.podsByNode().entrySet()) {
            if (!known.contains(e.getKey())) {
                for (Pod pod : e.getValue()) {
                    if (pod.getMetadata().getDeletionTimestamp() == null && (pod.getSpec().getNodeName() == null || pod.getSpec().getNodeName().isEmpty())) {
                        delete.add(pod);
                    }
                }
            }
        }
        syncNodes(key, ds, v, delete, create);
        return again;
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    /** Scheduled pods first, then by creation time, then by name (podByCreationTimestampAndPhase). */
    static final Comparator<Pod> OLDEST_FIRST = Comparator
            .comparing((Pod p) -> p.getSpec().getNodeName() == null || p.getSpec().getNodeName().isEmpty())
            .thenComparing(p -> p.getMetadata().getCreationTimestamp() == null ? Instant.EPOCH : Instant.parse(p.getMetadata().getCreationTimestamp()))
            .thenComparing(p -> p.getMetadata().getName());

    /** A pod runs the current template: its revision hash, or its template generation, is the current one. */
    private static boolean isUpdated(Pod pod, View v) {
        Map<String, String> labels = pod.getMetadata().getLabels() == null ? Map.of() : pod.getMetadata().getLabels();
        return (v.hash() != null && !v.hash().isEmpty() && v.hash().equals(labels.get(Revisions.HASH_LABEL)))
                || (v.generation() != null && String.valueOf(v.generation()).equals(labels.get(Revisions.GENERATION_LABEL)));
    }

    /** Creates (slow start: batches of 1, 2, 4, ...) and deletes, each bounded by the burst, under expectations. */
    private void syncNodes(String key, DaemonSet ds, View v, List<Pod> delete, List<String> create) throws Exception {
        Map<String, Pod> unique = new LinkedHashMap<>();
        delete.forEach(p -> unique.putIfAbsent(key(p), p));
        List<Pod> victims = new ArrayList<>(unique.values());
        List<String> targets = create.stream().distinct().toList();
        int creates = Math.min(targets.size(), BURST_REPLICAS);
        if (victims.size() > BURST_REPLICAS) {
            victims = victims.subList(0, BURST_REPLICAS);
        }
        if (creates == 0 && victims.isEmpty()) {
            return;
        }
        Set<String> deleteKeys = new LinkedHashSet<>();
        victims.forEach(p -> deleteKeys.add(key(p)));
        expectations.expect(key, creates, deleteKeys);
        log.debug("{}: creating on {}, deleting {}", key, targets.subList(0, creates), deleteKeys);

        // deletions first, then creations (kube's syncNodes starts both at once): a surge pod for the next node is
        // only created once the old pod it replaces elsewhere is on its way out, so at no moment do more than
        // desired + maxSurge pods stand
        List<Exception> errors = podControl.deletePods(ds, key, victims);
        errors.forEach(e -> events.warning(ds, "FailedDelete", "Error deleting: " + e.getMessage()));
        Exception createError = podControl.createPods(ds, key, creates, i -> newPod(ds, v, targets.get(i)));
        if (!errors.isEmpty()) {
            throw errors.getFirst();
        }
        if (createError != null) {
            throw createError;
        }
    }

    /**
     * The template as a pod for {@code node} (CreatePodTemplate + ReplaceDaemonSetPodNodeNameNodeAffinity): the
     * daemon tolerations, the revision hash and template generation labels, and a required node affinity that
     * only the target node satisfies, so that the default scheduler binds it there.
     */
    private Pod newPod(DaemonSet ds, View v, String node) {
        var template = json.clone(ds.getSpec().getTemplate());
        Map<String, String> labels = template.getMetadata() == null || template.getMetadata().getLabels() == null
                ? new HashMap<>() : new HashMap<>(template.getMetadata().getLabels());
        if (v.generation() != null) {
            labels.put(Revisions.GENERATION_LABEL, String.valueOf(v.generation()));
        }
        if (v.hash() != null && !v.hash().isEmpty()) {
            labels.put(Revisions.HASH_LABEL, v.hash());
        }
        PodSpec spec = template.getSpec();
        spec.setTolerations(Placement.daemonTolerations(spec));
        spec.setAffinity(Placement.pinnedTo(spec.getAffinity(), node));
        return new PodBuilder()
                .withNewMetadata()
                .withGenerateName(ds.getMetadata().getName() + "-")
                .withNamespace(ds.getMetadata().getNamespace())
                .withLabels(labels)
                .withAnnotations(template.getMetadata() == null ? null : template.getMetadata().getAnnotations())
                .withFinalizers(template.getMetadata() == null ? null : template.getMetadata().getFinalizers())
                .withOwnerReferences(ControllerRefManager.controllerRef(ds))
                .endMetadata()
                .withSpec(spec)
                .build();
    }

    // ---- rolling update ----

    private static boolean maxSurgeConfigured(DaemonSet ds) {
        RollingUpdateDaemonSet ru = rollingUpdateOf(ds);
        return ru != null && ru.getMaxSurge() != null && scaled(ru.getMaxSurge(), 100) > 0;
    }

    private static RollingUpdateDaemonSet rollingUpdateOf(DaemonSet ds) {
        return "RollingUpdate".equals(strategy(ds)) ? ds.getSpec().getUpdateStrategy().getRollingUpdate() : null;
    }

    /** An int, or a percentage of {@code total} rounded up (GetScaledValueFromIntOrPercent, roundUp). */
    static int scaled(IntOrString v, int total) {
        if (v == null) {
            return 0;
        }
        if (v.getIntVal() != null) {
            return v.getIntVal();
        }
        String s = v.getStrVal() == null ? "" : v.getStrVal().trim();
        if (s.endsWith("%")) {
            try {
                int pct = Integer.parseInt(s.substring(0, s.length() - 1));
                return (int) Math.ceil(pct * (double) total / 100.0);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("invalid value for IntOrString: invalid value \"" + s + "\": " + e.getMessage());
            }
        }
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid value for IntOrString: invalid type: string is not a percentage");
        }
    }

    /**
     * Replaces old pods without ever having more than maxUnavailable desired nodes without an available pod
     * (maxSurge 0), or by starting a new pod beside at most maxSurge available old ones and deleting the old one
     * once the new one is available. The manage step creates the replacements.
     */
    private void rollingUpdate(String key, View v) throws Exception {
        DaemonSet ds = v.ds();
        Map<String, List<Pod>> byNode = new LinkedHashMap<>(v.podsByNode());
        int desired = 0;
        Map<String, Node> nodeByName = new HashMap<>();
        for (Node node : v.nodes()) {
            nodeByName.put(node.getMetadata().getName(), node);
            if (Placement.decide(node, ds).shouldRun()) {
                desired++;
                byNode.putIfAbsent(node.getMetadata().getName(), List.of());
            }
        }
        RollingUpdateDaemonSet ru = rollingUpdateOf(ds);
        int maxUnavailable = ru == null ? 1 : scaled(ru.getMaxUnavailable(), desired);
        int maxSurge = ru == null ? 0 : scaled(ru.getMaxSurge(), desired);
        if (desired > 0 && maxUnavailable == 0 && maxSurge == 0) {
            maxUnavailable = 1; // an impossible configuration: accept unavailability, as kube
        }
        Instant now = Instant.now(ctx.clock());
        int minReady = minReadySeconds(ds);

        if (maxSurge == 0) {
            int unavailable = 0;
            List<Pod> replace = new ArrayList<>(), candidates = new ArrayList<>();
            for (var e : byNode.entrySet()) {
                Pod[] split = split(e.getValue(), v);
                if (split == null) {
                    unavailable++; // excess pods: the manage step cleans up; count the node unavailable
                    continue;
                }
                Pod fresh = split[0], old = split[1];
                if ((fresh == null) == (old == null)) {
                    unavailable++; // nothing yet, or both: manage creates or deletes
                } else if (fresh != null) {
                    if (!Placement.isAvailable(fresh, minReady, now)) {
                        unavailable++;
                    }
                } else if (!Placement.isAvailable(old, minReady, now)) {
                    replace.add(old); // not serving anyway: replace it at once
                    unavailable++;
                } else if (unavailable < maxUnavailable) {
                    candidates.add(old);
                }
            }
            int budget = Math.max(0, Math.min(maxUnavailable - unavailable, candidates.size()));
            replace.addAll(candidates.subList(0, budget));
            syncNodes(key, ds, v, replace, List.of());
            return;
        }

        List<Pod> delete = new ArrayList<>();
        List<String> allowedNew = new ArrayList<>(), candidateNew = new ArrayList<>();
        int surging = 0;
        for (var e : byNode.entrySet()) {
            Pod[] split = split(e.getValue(), v);
            if (split == null) {
                surging++;
                continue;
            }
            Pod fresh = split[0], old = split[1];
            if (old == null) {
                continue;
            }
            Node node = nodeByName.get(e.getKey());
            boolean shouldRun = node != null && Placement.decide(node, ds).shouldRun();
            if (fresh == null) {
                if (!Placement.isAvailable(old, minReady, now)) {
                    if (!shouldRun) {
                        delete.add(old);
                    } else {
                        allowedNew.add(e.getKey());
                    }
                } else if (shouldRun && surging < maxSurge) {
                    candidateNew.add(e.getKey());
                }
            } else if (!Placement.isAvailable(fresh, minReady, now)) {
                surging++;
            } else {
                delete.add(old);
            }
        }
        int budget = Math.max(0, Math.min(maxSurge - surging, candidateNew.size()));
        allowedNew.addAll(candidateNew.subList(0, budget));
        syncNodes(key, ds, v, delete, allowedNew);
    }

    /** {new, old} pods of a node ignoring deleted ones; null when there are two of either (findUpdatedPodsOnNode). */
    private static Pod[] split(List<Pod> podsOnNode, View v) {
        Pod fresh = null, old = null;
        for (Pod pod : podsOnNode) {
            if (pod.getMetadata().getDeletionTimestamp() != null) {
                continue;
            }
            if (isUpdated(pod, v)) {
                if (fresh != null) {
                    return null;
                }
                fresh = pod;
            } else {
                if (old != null) {
                    return null;
                }
                old = pod;
            }
        }
        return new Pod[] {fresh, old};
    }

    // ---- history ----

    private record History(ControllerRevision current, List<ControllerRevision> old) {
    }

    /**
     * The DaemonSet's revisions (adopting matching orphans): the one holding the current template (created if
     * missing, renumbered to the newest if an older one matches, as after a rollback) and the others.
     */
    private History constructHistory(DaemonSet ds) {
        List<ControllerRevision> current = new ArrayList<>(), old = new ArrayList<>();
        for (ControllerRevision r : controlledHistories(ds)) {
            if (revisions.matches(ds, r)) {
                current.add(r);
            } else {
                old.add(r);
            }
        }
        long next = old.stream().mapToLong(r -> r.getRevision() == null ? 0 : r.getRevision()).max().orElse(0) + 1;
        ControllerRevision cur;
        if (current.isEmpty()) {
            cur = snapshot(ds, next);
        } else {
            current.sort(Comparator.comparingLong((ControllerRevision r) -> r.getRevision() == null ? 0 : r.getRevision()).reversed());
            cur = current.getFirst();
            // duplicates of the current template (after a hash collision): keep the newest, move the pods of the
            // others over to its hash (they run the same template), then delete them
            for (ControllerRevision dup : current.subList(1, current.size())) {
                relabelPods(ds, hashOf(dup), hashOf(cur));
                deleteRevision(dup);
            }
            if (cur.getRevision() == null || cur.getRevision() < next) {
                ctx.checkActing();
                ControllerRevision renumbered = new ControllerRevisionBuilder(cur).withRevision(next).build();
                cur = ctx.client().apps().controllerRevisions().inNamespace(ds.getMetadata().getNamespace()).resource(renumbered).update();
            }
        }
        if (cur.getMetadata().getLabels() == null || !cur.getMetadata().getLabels().containsKey(Revisions.HASH_LABEL)) {
            // a revision written by someone else: the name is as good a hash as any
            ctx.checkActing();
            Map<String, String> labels = new HashMap<>(cur.getMetadata().getLabels() == null ? Map.of() : cur.getMetadata().getLabels());
            labels.put(Revisions.HASH_LABEL, cur.getMetadata().getName());
            cur = ctx.client().apps().controllerRevisions().inNamespace(ds.getMetadata().getNamespace())
                    .resource(new ControllerRevisionBuilder(cur).editMetadata().withLabels(labels).endMetadata().build()).update();
        }
        return new History(cur, old);
    }

    private static String hashOf(ControllerRevision r) {
        Map<String, String> labels = r.getMetadata().getLabels();
        return labels == null || labels.get(Revisions.HASH_LABEL) == null ? r.getMetadata().getName() : labels.get(Revisions.HASH_LABEL);
    }

    private void relabelPods(DaemonSet ds, String from, String to) {
        for (List<Pod> ps : podsByNode(ds, true).values()) {
            for (Pod p : ps) {
                if (p.getMetadata().getLabels() != null && from.equals(p.getMetadata().getLabels().get(Revisions.HASH_LABEL))) {
                    ctx.checkActing();
                    ctx.client().pods().inNamespace(p.getMetadata().getNamespace()).withName(p.getMetadata().getName())
                            .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"metadata\":{\"labels\":{\"" + Revisions.HASH_LABEL
                                    + "\":\"" + to + "\"}}}");
                }
            }
        }
    }

    /** kube's ControllerRefManager.ClaimControllerRevisions. */
    private List<ControllerRevision> controlledHistories(DaemonSet ds) {
        return new ControllerRefManager<>(ctx, ds, ds.getSpec().getSelector(), ControllerRevision.class)
                .claim(histories.getIndexer().byIndex(Cache.NAMESPACE_INDEX, ds.getMetadata().getNamespace()));
    }

    /** Writes the revision for the current template; on a name taken by another template, bumps the collision count. */
    private ControllerRevision snapshot(DaemonSet ds, long number) {
        Integer collisions = ds.getStatus() == null ? null : ds.getStatus().getCollisionCount();
        String hash = revisions.hash(ds.getSpec().getTemplate(), collisions);
        String name = ds.getMetadata().getName() + "-" + hash;
        Map<String, String> labels = new HashMap<>(ds.getSpec().getTemplate().getMetadata() == null
                || ds.getSpec().getTemplate().getMetadata().getLabels() == null ? Map.of() : ds.getSpec().getTemplate().getMetadata().getLabels());
        labels.put(Revisions.HASH_LABEL, hash);
        ControllerRevision r = new ControllerRevisionBuilder()
                .withNewMetadata().withName(name).withNamespace(ds.getMetadata().getNamespace())
                .withLabels(labels).withAnnotations(ds.getMetadata().getAnnotations())
                .withOwnerReferences(ControllerRefManager.controllerRef(ds)).endMetadata()
                .withData(Revisions.canonical(revisions.patch(ds)))
                .withRevision(number)
                .build();
        var op = ctx.client().apps().controllerRevisions().inNamespace(ds.getMetadata().getNamespace());
        ctx.checkActing();
        try {
            return op.resource(r).create();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e;
            }
            ControllerRevision existing = op.withName(name).get();
            if (existing != null && revisions.matches(ds, existing)) {
                return existing;
            }
            DaemonSet fresh = ctx.client().apps().daemonSets().inNamespace(ds.getMetadata().getNamespace()).withName(ds.getMetadata().getName()).get();
            if (fresh == null) {
                throw e;
            }
            Integer freshCollisions = fresh.getStatus() == null ? null : fresh.getStatus().getCollisionCount();
            if (!Objects.equals(freshCollisions, collisions)) {
                throw new IllegalStateException("stale collision count of DaemonSet " + key(ds) + " (" + collisions + ", now "
                        + freshCollisions + "): will retry");
            }
            DaemonSetStatus status = fresh.getStatus() == null ? new DaemonSetStatus() : fresh.getStatus();
            status.setCollisionCount(collisions == null ? 1 : collisions + 1);
            ctx.checkActing();
            ctx.client().apps().daemonSets().inNamespace(ds.getMetadata().getNamespace())
                    .resource(new DaemonSetBuilder(fresh).withStatus(status).build()).updateStatus();
            throw new IllegalStateException("hash collision for DaemonSet " + key(ds) + " on revision " + name
                    + ": collision count bumped to " + status.getCollisionCount());
        }
    }

    private void deleteRevision(ControllerRevision r) {
        ctx.checkActing();
        try {
            ctx.client().apps().controllerRevisions().inNamespace(r.getMetadata().getNamespace()).withName(r.getMetadata().getName()).delete();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404) {
                throw e;
            }
        }
    }

    /** Deletes the oldest old revisions beyond revisionHistoryLimit, never one a live pod still runs. */
    private void cleanupHistory(DaemonSet ds, List<ControllerRevision> old) {
        int limit = ds.getSpec().getRevisionHistoryLimit() == null ? 10 : ds.getSpec().getRevisionHistoryLimit();
        int toKill = old.size() - limit;
        if (toKill <= 0) {
            return;
        }
        Set<String> live = new HashSet<>();
        for (List<Pod> ps : podsByNode(ds, true).values()) {
            for (Pod p : ps) {
                String h = p.getMetadata().getLabels() == null ? null : p.getMetadata().getLabels().get(Revisions.HASH_LABEL);
                if (h != null) {
                    live.add(h);
                }
            }
        }
        List<ControllerRevision> oldest = new ArrayList<>(old);
        oldest.sort(Comparator.comparingLong(r -> r.getRevision() == null ? 0 : r.getRevision()));
        for (ControllerRevision r : oldest) {
            if (toKill <= 0) {
                break;
            }
            String h = r.getMetadata().getLabels() == null ? null : r.getMetadata().getLabels().get(Revisions.HASH_LABEL);
            if (h != null && live.contains(h)) {
                continue;
            }
            deleteRevision(r);
            toKill--;
        }
    }

    // ---- status ----

    /** Counts per node as `kubectl get ds` shows them; writes them only when something changed. */
    private Duration updateStatus(View v, boolean observe) {
        DaemonSet ds = v.ds();
        int desired = 0, current = 0, misscheduled = 0, ready = 0, updated = 0, available = 0;
        Instant now = Instant.now(ctx.clock());
        int minReady = minReadySeconds(ds);
        for (Node node : v.nodes()) {
            boolean shouldRun = Placement.decide(node, ds).shouldRun();
            List<Pod> there = v.podsByNode().getOrDefault(node.getMetadata().getName(), List.of());
            boolean scheduled = !there.isEmpty();
            if (!shouldRun) {
                if (scheduled) {
                    misscheduled++;
                }
                continue;
            }
            desired++;
            if (!scheduled) {
                continue;
            }
            current++;
            Pod pod = there.stream().sorted(OLDEST_FIRST).findFirst().orElseThrow();
            if (Placement.isReady(pod)) {
                ready++;
                if (Placement.isAvailable(pod, minReady, now)) {
                    available++;
                }
            }
            if (isUpdated(pod, v)) {
                updated++;
            }
        }
        int unavailable = desired - available;
        DaemonSetStatus old = ds.getStatus() == null ? new DaemonSetStatus() : ds.getStatus();
        long generation = ds.getMetadata().getGeneration() == null ? 0 : ds.getMetadata().getGeneration();
        long observed = old.getObservedGeneration() == null ? 0 : old.getObservedGeneration();
        Duration again = minReady > 0 && ready != available ? Duration.ofSeconds(minReady) : null;
        if (n(old.getDesiredNumberScheduled()) == desired && n(old.getCurrentNumberScheduled()) == current
                && n(old.getNumberMisscheduled()) == misscheduled && n(old.getNumberReady()) == ready
                && n(old.getUpdatedNumberScheduled()) == updated && n(old.getNumberAvailable()) == available
                && n(old.getNumberUnavailable()) == unavailable && observed >= generation) {
            return again;
        }
        DaemonSetStatus status = json.clone(old);
        status.setDesiredNumberScheduled(desired);
        status.setCurrentNumberScheduled(current);
        status.setNumberMisscheduled(misscheduled);
        status.setNumberReady(ready);
        status.setUpdatedNumberScheduled(updated);
        status.setNumberAvailable(available);
        status.setNumberUnavailable(unavailable);
        if (observe) {
            status.setObservedGeneration(generation);
        }
        var op = ctx.client().apps().daemonSets().inNamespace(ds.getMetadata().getNamespace());
        ctx.checkActing();
        try {
            op.resource(new DaemonSetBuilder(ds).withStatus(status).build()).updateStatus();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e;
            }
            DaemonSet fresh = op.withName(ds.getMetadata().getName()).get();
            if (fresh == null || !Objects.equals(fresh.getMetadata().getUid(), ds.getMetadata().getUid())) {
                return again;
            }
            if (fresh.getStatus() != null) {
                status.setCollisionCount(fresh.getStatus().getCollisionCount());
                if (!observe) {
                    status.setObservedGeneration(fresh.getStatus().getObservedGeneration());
                }
            }
            ctx.checkActing();
            op.resource(new DaemonSetBuilder(fresh).withStatus(status).build()).updateStatus();
        }
        log.debug("{}: status {}", key(ds), status);
        return again;
    }

    private static int n(Integer i) {
        return i == null ? 0 : i;
    }
}
