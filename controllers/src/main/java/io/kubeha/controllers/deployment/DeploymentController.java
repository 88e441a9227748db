package io.kubeha.controllers.deployment;

import io.kubeha.controllers.OwnerRefs;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentCondition;
import io.fabric8.kubernetes.api.model.apps.DeploymentList;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatus;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetList;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.RollableScalableResource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.kubeha.controllers.ControllerContext;
import io.kubeha.controllers.ControllerRefManager;
import io.kubeha.controllers.EventRecorder;
import io.kubeha.controllers.InformerController;
import io.kubeha.controllers.LabelSelectors;
import io.kubeha.controllers.OwnerLookup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import static io.kubeha.controllers.deployment.Replicas.n;
import static io.kubeha.controllers.deployment.Replicas.replicas;

/**
 * Rolls Deployments out through the ReplicaSets they own (see the package documentation). Level-triggered: each
 * sync reads the Deployment, its ReplicaSets and (for Recreate) their pods from the informer caches and takes
 * the next step; every write of a ReplicaSet or of the status carries the resourceVersion it was computed from,
 * so a step computed from a stale cache fails with a conflict and is retried instead of being applied.
 */
public final class DeploymentController extends InformerController {
    public static final String NAME = "deployment";
    static final String COMPONENT = "deployment-controller";
    private static final String CONTROLLER_UID = "controller-uid";
    private static final Logger log = LoggerFactory.getLogger(DeploymentController.class);

    private final EventRecorder events;
    private final KubernetesSerialization serialization;
    private SharedIndexInformer<Deployment> deployments;
    private SharedIndexInformer<ReplicaSet> replicaSets;
    private SharedIndexInformer<Pod> pods;
    private OwnerLookup<Deployment> owners;

    public DeploymentController(ControllerContext ctx) {
        super(ctx);
        this.events = new EventRecorder(ctx, COMPONENT);
        this.serialization = ctx.client().getKubernetesSerialization();
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    protected void setUp() {
        deployments = inform(ctx.client().apps().deployments().inAnyNamespace(), enqueueing(d -> List.of(key(d))));
        owners = new OwnerLookup<>(deployments, Deployment.class, d -> d.getSpec().getSelector());
        replicaSets = inform(ctx.client().apps().replicaSets().inAnyNamespace(), handler(
                this::replicaSetAdded, this::replicaSetUpdated,
                rs -> {
                    Deployment d = owners.controllerOf(rs);
                    if (d != null) {
                        queue.add(key(d));
                    }
                }));
        pods = inform(ctx.client().pods().inAnyNamespace(), handler(pod -> {
        }, (oldPod, newPod) -> podChanged(newPod), this::podChanged));
        pods.addIndexers(Map.of(CONTROLLER_UID, p -> {
            OwnerReference ref = OwnerRefs.controllerOf(p.getMetadata().getOwnerReferences());
            return ref == null ? List.of() : List.of(ref.getUid());
        }));
    }

    // ---- event handlers: only enqueue keys ----

    private void replicaSetAdded(ReplicaSet rs) {
        OwnerReference ref = OwnerRefs.controllerOf(rs);
        if (ref != null) {
            Deployment d = owners.resolve(rs.getMetadata().getNamespace(), ref);
            if (d != null) {
                queue.add(key(d));
            }
            return;
        }
        owners.selecting(rs).forEach(d -> queue.add(key(d)));
    }

    private void replicaSetUpdated(ReplicaSet oldRs, ReplicaSet newRs) {
        if (Objects.equals(oldRs.getMetadata().getResourceVersion(), newRs.getMetadata().getResourceVersion())) {
            return;
        }
        OwnerReference oldRef = OwnerRefs.controllerOf(oldRs), newRef = OwnerRefs.controllerOf(newRs);
        boolean refChanged = !Objects.equals(oldRef, newRef);
        if (refChanged && oldRef != null) {
            Deployment d = owners.resolve(oldRs.getMetadata().getNamespace(), oldRef);
            if (d != null) {
                queue.add(key(d));
            }
        }
        if (newRef != null) {
            Deployment d = owners.resolve(newRs.getMetadata().getNamespace(), newRef);
            if (d != null) {
                queue.add(key(d));
            }
            return;
        }
        boolean labelsChanged = !Objects.equals(oldRs.getMetadata().getLabels(), newRs.getMetadata().getLabels());
        if (labelsChanged || refChanged) {
            owners.selecting(newRs).forEach(d -> queue.add(key(d)));
        }
    }

    /** A Recreate Deployment waits for its old pods to be gone: their deletion (or end) must wake it. */
    private void podChanged(Pod pod) {
        OwnerReference ref = OwnerRefs.controllerOf(pod.getMetadata().getOwnerReferences());
        if (ref == null || !"ReplicaSet".equals(ref.getKind())) {
            return;
        }
        ReplicaSet rs = replicaSets.getStore().getByKey(pod.getMetadata().getNamespace() + "/" + ref.getName());
        if (rs == null || !Objects.equals(rs.getMetadata().getUid(), ref.getUid())) {
            return;
        }
        Deployment d = owners.controllerOf(rs);
        if (d != null && Replicas.isRecreate(d)) {
            queue.add(key(d));
        }
    }

    // ---- reconcile ----

    @Override
    public Duration reconcile(String key) throws Exception {
        Deployment cached = deployments.getStore().getByKey(key);
        if (cached == null) {
            return null;
        }
        Deployment d = serialization.clone(cached);
        if (d.getStatus() == null) {
            d.setStatus(new DeploymentStatus());
        }
        if (LabelSelectors.isEmpty(d.getSpec().getSelector())) {
            events.warning(d, "SelectingAll", "This deployment is selecting all pods. A non-empty selector is required.");
            if (n(toInt(d.getStatus().getObservedGeneration())) < n(toInt(d.getMetadata().getGeneration()))) {
                d.getStatus().setObservedGeneration(d.getMetadata().getGeneration());
                writeStatus(d);
            }
            return null;
        }
        List<ReplicaSet> rsList = claimReplicaSets(d);
        if (d.getMetadata().getDeletionTimestamp() != null) {
            Split s = split(d, rsList, false);
            syncDeploymentStatus(s.all(), s.newRS(), d);
            return null;
        }
        checkPausedConditions(d);
        if (Boolean.TRUE.equals(d.getSpec().getPaused())) {
            sync(d, rsList);
            return null;
        }
        if (isScalingEvent(d, rsList)) {
            sync(d, rsList);
            return null;
        }
        return Replicas.isRecreate(d) ? rolloutRecreate(d, rsList) : rolloutRolling(d, rsList);
    }

    private static Integer toInt(Long l) {
        return l == null ? null : (int) (long) l;
    }

    // ---- ownership: ClaimReplicaSets ----

    private List<ReplicaSet> claimReplicaSets(Deployment d) {
        return new ControllerRefManager<>(ctx, d, d.getSpec().getSelector(), ReplicaSet.class)
                .claim(replicaSets.getIndexer().byIndex(Cache.NAMESPACE_INDEX, d.getMetadata().getNamespace()));
    }

    private NonNamespaceOperation<ReplicaSet, ReplicaSetList, RollableScalableResource<ReplicaSet>> replicaSetsApi(ReplicaSet rs) {
        return ctx.client().apps().replicaSets().inNamespace(rs.getMetadata().getNamespace());
    }

    private NonNamespaceOperation<Deployment, DeploymentList, RollableScalableResource<Deployment>> deploymentsApi(Deployment d) {
        return ctx.client().apps().deployments().inNamespace(d.getMetadata().getNamespace());
    }

    // ---- new and old ReplicaSets ----

    /** The new ReplicaSet (null if there is none) and all the others. */
    record Split(ReplicaSet newRS, List<ReplicaSet> old) {
        List<ReplicaSet> all() {
            List<ReplicaSet> all = new ArrayList<>(old);
            if (newRS != null) {
                all.add(newRS);
            }
            return all;
        }
    }

    /** FindNewReplicaSet: the oldest ReplicaSet whose template equals the Deployment's, ignoring the hash label. */
    private ReplicaSet findNewReplicaSet(Deployment d, List<ReplicaSet> rsList) {
        return rsList.stream().sorted(Replicas.BY_CREATION)
                .filter(rs -> PodTemplates.equalIgnoreHash(rs.getSpec().getTemplate(), d.getSpec().getTemplate(), serialization))
                .findFirst().orElse(null);
    }

    /** getAllReplicaSetsAndSyncRevision: finds (or creates) the new ReplicaSet and keeps revisions in step. */
    private Split split(Deployment d, List<ReplicaSet> rsList, boolean create) {
        ReplicaSet existing = findNewReplicaSet(d, rsList);
        List<ReplicaSet> old = rsList.stream()
                .filter(rs -> existing == null || !Objects.equals(rs.getMetadata().getUid(), existing.getMetadata().getUid())).toList();
        ReplicaSet newRS = newReplicaSet(d, existing, old, create);
        return new Split(newRS, old);
    }

    private ReplicaSet newReplicaSet(Deployment d, ReplicaSet existing, List<ReplicaSet> old, boolean create) {
        long newRevision = Revisions.maxRevision(old) + 1;
        Instant now = Instant.now(ctx.clock());
        if (existing != null) {
            ReplicaSet copy = serialization.clone(existing);
            boolean annotationsUpdated = Revisions.setNewReplicaSetAnnotations(d, copy, newRevision, true);
            boolean minReadyChanged = n(copy.getSpec().getMinReadySeconds()) != n(d.getSpec().getMinReadySeconds());
            if (annotationsUpdated || minReadyChanged) {
                copy.getSpec().setMinReadySeconds(d.getSpec().getMinReadySeconds());
                ctx.checkActing();
                return replicaSetsApi(copy).resource(copy).update();
            }
            setDeploymentRevision(d, copy.getMetadata().getAnnotations().get(Revisions.REVISION));
            if (Statuses.hasProgressDeadline(d) && Conditions.get(d.getStatus(), Conditions.PROGRESSING) == null) {
                Conditions.set(d.getStatus(), Conditions.condition(Conditions.PROGRESSING, "True", Conditions.FOUND_NEW_RS,
                        "Found new replica set \"" + copy.getMetadata().getName() + "\"", now));
                writeStatus(d);
            }
            return copy;
        }
        if (!create) {
            return null;
        }
        PodTemplateSpec template = serialization.clone(d.getSpec().getTemplate());
        String hash = PodTemplates.hash(template, d.getStatus().getCollisionCount(), serialization);
        Map<String, String> labels = new LinkedHashMap<>(template.getMetadata() == null || template.getMetadata().getLabels() == null
                ? Map.of() : template.getMetadata().getLabels());
        labels.put(PodTemplates.HASH_LABEL, hash);
        if (template.getMetadata() == null) {
            template.setMetadata(new ObjectMeta());
        }
        template.getMetadata().setLabels(labels);
        LabelSelector selector = new LabelSelectorBuilder(d.getSpec().getSelector()).build();
        Map<String, String> matchLabels = new LinkedHashMap<>(selector.getMatchLabels() == null ? Map.of() : selector.getMatchLabels());
        matchLabels.put(PodTemplates.HASH_LABEL, hash);
        selector.setMatchLabels(matchLabels);
        ReplicaSet rs = new ReplicaSetBuilder()
                .withNewMetadata()
                .withName(d.getMetadata().getName() + "-" + hash)
                .withNamespace(d.getMetadata().getNamespace())
                .withOwnerReferences(ControllerRefManager.controllerRef(d))
                .withLabels(new LinkedHashMap<>(labels))
                .endMetadata()
                .withNewSpec()
                .withReplicas(0)
                .withMinReadySeconds(d.getSpec().getMinReadySeconds())
                .withSelector(selector)
                .withTemplate(template)
                .endSpec()
                .build();
        List<ReplicaSet> all = new ArrayList<>(old);
        all.add(rs);
        int newReplicas = Replicas.newRSNewReplicas(d, all, rs);
        rs.getSpec().setReplicas(newReplicas);
        Revisions.setNewReplicaSetAnnotations(d, rs, newRevision, false);

        boolean alreadyExists = false;
        ReplicaSet created;
        try {
            ctx.checkActing();
            created = replicaSetsApi(rs).resource(rs).create();
        } catch (KubernetesClientException e) {
            if (e.getCode() == 409 && "AlreadyExists".equals(e.getStatus() == null ? null : e.getStatus().getReason())) {
                // a slow cache, or a hash collision: read the one that exists
                ReplicaSet there = replicaSetsApi(rs).withName(rs.getMetadata().getName()).get();
                OwnerReference ref = there == null ? null : OwnerRefs.controllerOf(there);
                if (there != null && ref != null && Objects.equals(ref.getUid(), d.getMetadata().getUid())
                        && PodTemplates.equalIgnoreHash(d.getSpec().getTemplate(), there.getSpec().getTemplate(), serialization)) {
                    created = there;
                    alreadyExists = true;
                } else {
                    if (there == null) {
                        throw e; // deleted meanwhile: try again
                    }
                    int count = d.getStatus().getCollisionCount() == null ? 0 : d.getStatus().getCollisionCount();
                    d.getStatus().setCollisionCount(count + 1);
                    writeStatus(d);
                    log.info("{}: hash collision with replica set {}: collisionCount now {}", key(d), rs.getMetadata().getName(), count + 1);
                    throw e;
                }
            } else if (namespaceTerminating(e)) {
                throw e; // every create will fail until the namespace is gone: nothing to report
            } else {
                String msg = "Failed to create new replica set \"" + rs.getMetadata().getName() + "\": " + e.getMessage();
                if (Statuses.hasProgressDeadline(d)) {
                    Conditions.set(d.getStatus(), Conditions.condition(Conditions.PROGRESSING, "False", Conditions.FAILED_RS_CREATE, msg, now));
                    try {
                        writeStatus(d);
                    } catch (RuntimeException ignored) {
                        // the failure to create is what is reported
                    }
                }
                events.warning(d, Conditions.FAILED_RS_CREATE, msg);
                throw e;
            }
        }
        if (!alreadyExists && newReplicas > 0) {
            events.normal(d, "ScalingReplicaSet", "Scaled up replica set " + created.getMetadata().getName() + " from 0 to " + newReplicas);
        }
        setDeploymentRevision(d, String.valueOf(newRevision));
        if (!alreadyExists && Statuses.hasProgressDeadline(d)) {
            Conditions.set(d.getStatus(), Conditions.condition(Conditions.PROGRESSING, "True", Conditions.NEW_RS_CREATED,
                    "Created new replica set \"" + created.getMetadata().getName() + "\"", now));
            writeStatus(d);
        }
        return created;
    }

    /** Kubernetes' NamespaceTerminating cause, or its message (a 403 from a server that gives no cause). */
    private static boolean namespaceTerminating(KubernetesClientException e) {
        var status = e.getStatus();
        if (status != null && status.getDetails() != null && status.getDetails().getCauses() != null
                && status.getDetails().getCauses().stream().anyMatch(c -> "NamespaceTerminating".equals(c.getReason()))) {
            return true;
        }
        return e.getCode() == 403 && status != null && status.getMessage() != null
                && status.getMessage().contains("because it is being terminated");
    }

    /**
     * The Deployment's revision annotation follows its new ReplicaSet's. Kubernetes writes it with the status;
     * here the status subresource changes only the status, so it is a merge patch of that one annotation.
     */
    private void setDeploymentRevision(Deployment d, String revision) {
        if (revision == null || revision.equals(Revisions.annotations(d).get(Revisions.REVISION))) {
            return;
        }
        ctx.checkActing();
        String patch = "{\"metadata\":{\"annotations\":{\"" + Revisions.REVISION + "\":\"" + revision + "\"}}}";
        Deployment out = deploymentsApi(d).withName(d.getMetadata().getName()).patch(PatchContext.of(PatchType.JSON_MERGE), patch);
        if (!Objects.equals(out.getMetadata().getUid(), d.getMetadata().getUid())
                || !Objects.equals(out.getMetadata().getGeneration(), d.getMetadata().getGeneration())) {
            throw new IllegalStateException("deployment " + key(d) + " changed while being synced: syncing again");
        }
        Revisions.annotations(d).put(Revisions.REVISION, revision);
        d.getMetadata().setResourceVersion(out.getMetadata().getResourceVersion());
    }

    // ---- scaling ----

    /** scaleReplicaSetAndRecordEvent; returns the ReplicaSet as written, or null if nothing was to do. */
    private ReplicaSet scaleReplicaSet(ReplicaSet rs, int newScale, Deployment d) {
        if (replicas(rs) == newScale) {
            return null;
        }
        return scaleReplicaSet(rs, newScale, d, replicas(rs) < newScale ? "up" : "down");
    }

    private ReplicaSet scaleReplicaSet(ReplicaSet rs, int newScale, Deployment d, String operation) {
        int desired = replicas(d), max = desired + Replicas.maxSurge(d);
        boolean sizeChanges = replicas(rs) != newScale;
        if (!sizeChanges && !Revisions.replicasAnnotationsNeedUpdate(rs, desired, max)) {
            return null;
        }
        int oldScale = replicas(rs);
        ReplicaSet copy = serialization.clone(rs);
        copy.getSpec().setReplicas(newScale);
        Revisions.setReplicasAnnotations(copy, desired, max);
        ctx.checkActing();
        ReplicaSet out = replicaSetsApi(copy).resource(copy).update();
        if (sizeChanges) {
            events.normal(d, "ScalingReplicaSet", "Scaled " + operation + " replica set " + out.getMetadata().getName()
                    + " from " + oldScale + " to " + newScale);
        }
        return sizeChanges ? out : null;
    }

    /** isScalingEvent: an active ReplicaSet was sized for another replica count than the Deployment's now. */
    private boolean isScalingEvent(Deployment d, List<ReplicaSet> rsList) {
        Split s = split(d, rsList, false);
        for (ReplicaSet rs : Replicas.active(s.all())) {
            int desired = Revisions.intAnnotation(rs, Revisions.DESIRED_REPLICAS);
            if (desired >= 0 && desired != replicas(d)) {
                return true;
            }
        }
        return false;
    }

    /** sync: scaling and the status while paused or resized; no rollout step. */
    private void sync(Deployment d, List<ReplicaSet> rsList) {
        Split s = split(d, rsList, false);
        scale(d, s.newRS(), s.old());
        if (Boolean.TRUE.equals(d.getSpec().getPaused())) {
            cleanup(d, s.old());
        }
        syncDeploymentStatus(s.all(), s.newRS(), d);
    }

    /** scale: the whole replica count to a lone active ReplicaSet, else proportionally over the active ones. */
    private void scale(Deployment d, ReplicaSet newRS, List<ReplicaSet> oldRSs) {
        ReplicaSet activeOrLatest = activeOrLatest(newRS, oldRSs);
        if (activeOrLatest != null) {
            if (replicas(activeOrLatest) != replicas(d)) {
                scaleReplicaSet(activeOrLatest, replicas(d), d);
            }
            return;
        }
        if (isSaturated(d, newRS)) {
            for (ReplicaSet old : Replicas.active(oldRSs)) {
                scaleReplicaSet(old, 0, d);
            }
            return;
        }
        if (!Replicas.isRollingUpdate(d)) {
            return;
        }
        List<ReplicaSet> all = new ArrayList<>(oldRSs);
        if (newRS != null) {
            all.add(newRS);
        }
        all = new ArrayList<>(Replicas.active(all));
        int current = Replicas.specReplicas(all);
        int allowed = replicas(d) > 0 ? replicas(d) + Replicas.maxSurge(d) : 0;
        int toAdd = allowed - current;
        String operation = "";
        if (toAdd > 0) {
            all.sort(Replicas.BY_SIZE_NEWER);
            operation = "up";
        } else if (toAdd < 0) {
            all.sort(Replicas.BY_SIZE_OLDER);
            operation = "down";
        }
        int added = 0;
        Map<String, Integer> sizes = new HashMap<>();
        for (ReplicaSet rs : all) {
            if (toAdd != 0) {
                int p = Replicas.proportion(rs, d, toAdd, added);
                sizes.put(rs.getMetadata().getName(), replicas(rs) + p);
                added += p;
            } else {
                sizes.put(rs.getMetadata().getName(), replicas(rs));
            }
        }
        for (int i = 0; i < all.size(); i++) {
            ReplicaSet rs = all.get(i);
            if (i == 0 && toAdd != 0) {
                int size = sizes.get(rs.getMetadata().getName()) + toAdd - added;
                sizes.put(rs.getMetadata().getName(), Math.max(size, 0));
            }
            scaleReplicaSet(rs, sizes.get(rs.getMetadata().getName()), d, operation);
        }
    }

    /** FindActiveOrLatest: the one active ReplicaSet, or the newest if none is active; null if several are. */
    private static ReplicaSet activeOrLatest(ReplicaSet newRS, List<ReplicaSet> oldRSs) {
        if (newRS == null && oldRSs.isEmpty()) {
            return null;
        }
        List<ReplicaSet> sortedOld = new ArrayList<>(oldRSs);
        sortedOld.sort(Replicas.BY_CREATION.reversed());
        List<ReplicaSet> all = new ArrayList<>(sortedOld);
        if (newRS != null) {
            all.add(newRS);
        }
        List<ReplicaSet> active = Replicas.active(all);
        return switch (active.size()) {
            case 0 -> newRS != null ? newRS : sortedOld.getFirst();
            case 1 -> active.getFirst();
            default -> null;
        };
    }

    private static boolean isSaturated(Deployment d, ReplicaSet rs) {
        if (rs == null) {
            return false;
        }
        int desired = Revisions.intAnnotation(rs, Revisions.DESIRED_REPLICAS);
        return desired >= 0 && replicas(rs) == replicas(d) && desired == replicas(d) && Replicas.availableReplicas(rs) == replicas(d);
    }

    // ---- RollingUpdate ----

    private Duration rolloutRolling(Deployment d, List<ReplicaSet> rsList) {
        Split s = split(d, rsList, true);
        List<ReplicaSet> all = s.all();
        ReplicaSet newRS = s.newRS();
        if (reconcileNewReplicaSet(all, newRS, d)) {
            return syncRolloutStatus(all, newRS, d);
        }
        if (reconcileOldReplicaSets(all, Replicas.active(s.old()), newRS, d)) {
            return syncRolloutStatus(all, newRS, d);
        }
        if (Statuses.isComplete(d, d.getStatus())) {
            cleanup(d, s.old());
        }
        return syncRolloutStatus(all, newRS, d);
    }

    private boolean reconcileNewReplicaSet(List<ReplicaSet> all, ReplicaSet newRS, Deployment d) {
        if (replicas(newRS) == replicas(d)) {
            return false;
        }
        if (replicas(newRS) > replicas(d)) {
            return scaleReplicaSet(newRS, replicas(d), d) != null;
        }
        return scaleReplicaSet(newRS, Replicas.newRSNewReplicas(d, all, newRS), d) != null;
    }

    private boolean reconcileOldReplicaSets(List<ReplicaSet> all, List<ReplicaSet> oldRSs, ReplicaSet newRS, Deployment d) {
        int oldPods = Replicas.specReplicas(oldRSs);
        if (oldPods == 0) {
            return false;
        }
        int allPods = Replicas.specReplicas(all);
        int minAvailable = replicas(d) - Replicas.maxUnavailable(d);
        int newUnavailable = replicas(newRS) - Math.min(Replicas.availableReplicas(newRS), replicas(newRS));
        int maxScaledDown = allPods - minAvailable - newUnavailable;
        if (maxScaledDown <= 0) {
            return false;
        }
        List<ReplicaSet> old = new ArrayList<>(oldRSs);
        int cleanedUp = cleanupUnhealthyReplicas(old, d, maxScaledDown);
        List<ReplicaSet> allNow = new ArrayList<>(old);
        allNow.add(newRS);
        int scaledDown = scaleDownOldReplicaSetsForRollingUpdate(allNow, old, d);
        return cleanedUp + scaledDown > 0;
    }

    /** Scales old ReplicaSets down by their pods that are not available: that costs no availability. */
    private int cleanupUnhealthyReplicas(List<ReplicaSet> oldRSs, Deployment d, int maxCleanup) {
        oldRSs.sort(Replicas.BY_CREATION);
        int total = 0;
        for (int i = 0; i < oldRSs.size(); i++) {
            ReplicaSet rs = oldRSs.get(i);
            if (total >= maxCleanup) {
                break;
            }
            int unavailable = replicas(rs) - Replicas.availableReplicas(rs);
            if (replicas(rs) == 0 || unavailable <= 0) {
                // none unavailable, or a status that still counts pods of an earlier, larger size
                continue;
            }
            int count = Math.min(maxCleanup - total, unavailable);
            ReplicaSet out = scaleReplicaSet(rs, replicas(rs) - count, d);
            total += count;
            if (out != null) {
                oldRSs.set(i, out);
            }
        }
        return total;
    }

    private int scaleDownOldReplicaSetsForRollingUpdate(List<ReplicaSet> all, List<ReplicaSet> oldRSs, Deployment d) {
        int minAvailable = replicas(d) - Replicas.maxUnavailable(d);
        int available = Replicas.availableBound(all);
        if (available <= minAvailable) {
            return 0;
        }
        List<ReplicaSet> old = new ArrayList<>(oldRSs);
        old.sort(Replicas.BY_CREATION);
        int total = 0, target = available - minAvailable;
        for (ReplicaSet rs : old) {
            if (total >= target) {
                break;
            }
            if (replicas(rs) == 0) {
                continue;
            }
            int count = Math.min(replicas(rs), target - total);
            scaleReplicaSet(rs, replicas(rs) - count, d);
            total += count;
        }
        return total;
    }

    // ---- Recreate ----

    private Duration rolloutRecreate(Deployment d, List<ReplicaSet> rsList) {
        Split s = split(d, rsList, false);
        ReplicaSet newRS = s.newRS();
        List<ReplicaSet> old = s.old();
        boolean scaledDown = false;
        for (ReplicaSet rs : Replicas.active(old)) {
            scaleReplicaSet(rs, 0, d);
            scaledDown = true;
        }
        if (scaledDown) {
            return syncRolloutStatus(s.all(), newRS, d);
        }
        if (oldPodsRunning(d, newRS, old)) {
            return syncRolloutStatus(s.all(), newRS, d);
        }
        if (newRS == null) {
            s = split(d, rsList, true);
            newRS = s.newRS();
            old = s.old();
        }
        scaleReplicaSet(newRS, replicas(d), d);
        if (Statuses.isComplete(d, d.getStatus())) {
            cleanup(d, old);
        }
        return syncRolloutStatus(s.all(), newRS, d);
    }

    /** oldPodsRunning: an old ReplicaSet still reports pods, or a pod of one is still in the cache and not over. */
    private boolean oldPodsRunning(Deployment d, ReplicaSet newRS, List<ReplicaSet> oldRSs) {
        if (Replicas.actualReplicas(oldRSs) > 0) {
            return true;
        }
        for (ReplicaSet rs : oldRSs) {
            if (newRS != null && Objects.equals(newRS.getMetadata().getUid(), rs.getMetadata().getUid())) {
                continue;
            }
            for (Pod p : pods.getIndexer().byIndex(CONTROLLER_UID, rs.getMetadata().getUid())) {
                if (!Objects.equals(p.getMetadata().getNamespace(), d.getMetadata().getNamespace())
                        || !LabelSelectors.matches(d.getSpec().getSelector(), p.getMetadata().getLabels())) {
                    continue;
                }
                String phase = p.getStatus() == null ? null : p.getStatus().getPhase();
                if (!"Failed".equals(phase) && !"Succeeded".equals(phase)) {
                    return true;
                }
            }
        }
        return false;
    }

    // ---- history ----

    /** cleanupDeployment: deletes the oldest revisions beyond revisionHistoryLimit that have no pods left. */
    private void cleanup(Deployment d, List<ReplicaSet> oldRSs) {
        Integer limit = d.getSpec().getRevisionHistoryLimit();
        if (limit == null) {
            return;
        }
        List<ReplicaSet> cleanable = new ArrayList<>(oldRSs.stream().filter(rs -> rs.getMetadata().getDeletionTimestamp() == null).toList());
        int diff = cleanable.size() - limit;
        if (diff <= 0) {
            return;
        }
        cleanable.sort(Replicas.BY_REVISION);
        for (int i = 0; i < diff; i++) {
            ReplicaSet rs = cleanable.get(i);
            long observed = rs.getStatus() == null || rs.getStatus().getObservedGeneration() == null ? 0 : rs.getStatus().getObservedGeneration();
            long generation = rs.getMetadata().getGeneration() == null ? 0 : rs.getMetadata().getGeneration();
            if ((rs.getStatus() != null && n(rs.getStatus().getReplicas()) != 0) || replicas(rs) != 0 || generation > observed) {
                continue;
            }
            ctx.checkActing();
            try {
                replicaSetsApi(rs).withName(rs.getMetadata().getName()).delete();
            } catch (KubernetesClientException e) {
                if (e.getCode() != 404) {
                    throw e;
                }
            }
        }
    }

    // ---- status ----

    /** syncDeploymentStatus: the status without estimating progress (paused, scaling, being deleted). */
    private void syncDeploymentStatus(List<ReplicaSet> all, ReplicaSet newRS, Deployment d) {
        DeploymentStatus s = Statuses.calculate(all, newRS, d, Instant.now(ctx.clock()));
        if (Statuses.same(d.getStatus(), s)) {
            return;
        }
        d.setStatus(s);
        writeStatus(d);
    }

    /** syncRolloutStatus: writes the status if it changed; else the delay after which to check the deadline. */
    private Duration syncRolloutStatus(List<ReplicaSet> all, ReplicaSet newRS, Deployment d) {
        Instant now = Instant.now(ctx.clock());
        DeploymentStatus s = Statuses.rollout(all, newRS, d, now);
        if (Statuses.same(d.getStatus(), s)) {
            return Statuses.requeueStuck(d, s, now);
        }
        d.setStatus(s);
        writeStatus(d);
        return null;
    }

    /** checkPausedConditions: Progressing Unknown with DeploymentPaused while paused, DeploymentResumed after. */
    private void checkPausedConditions(Deployment d) {
        if (!Statuses.hasProgressDeadline(d)) {
            return;
        }
        DeploymentCondition c = Conditions.get(d.getStatus(), Conditions.PROGRESSING);
        if (c != null && Conditions.TIMED_OUT.equals(c.getReason())) {
            return;
        }
        boolean pausedCond = c != null && Conditions.PAUSED.equals(c.getReason());
        boolean paused = Boolean.TRUE.equals(d.getSpec().getPaused());
        Instant now = Instant.now(ctx.clock());
        if (paused && !pausedCond) {
            Conditions.set(d.getStatus(), Conditions.condition(Conditions.PROGRESSING, "Unknown", Conditions.PAUSED, "Deployment is paused", now));
        } else if (!paused && pausedCond) {
            Conditions.set(d.getStatus(), Conditions.condition(Conditions.PROGRESSING, "Unknown", Conditions.RESUMED, "Deployment is resumed", now));
        } else {
            return;
        }
        writeStatus(d);
    }

    /** UpdateStatus with the resourceVersion the sync started from; the Deployment then carries the new one. */
    private void writeStatus(Deployment d) {
        ctx.checkActing();
        Deployment out = deploymentsApi(d).resource(d).updateStatus();
        d.getMetadata().setResourceVersion(out.getMetadata().getResourceVersion());
    }
}
