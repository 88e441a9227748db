package io.kubeha.controllers.replicaset;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetStatus;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.kubeha.controllers.ControllerContext;
import io.kubeha.controllers.ControllerRefManager;
import io.kubeha.controllers.EventRecorder;
import io.kubeha.controllers.Expectations;
import io.kubeha.controllers.InformerController;
import io.kubeha.controllers.OwnedPodEvents;
import io.kubeha.controllers.OwnerLookup;
import io.kubeha.controllers.PodControl;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/** Keeps each ReplicaSet's pods at spec.replicas (see the package documentation). */
public final class ReplicaSetController extends InformerController {
    public static final String NAME = "replicaset";
    /** At most this many creates or deletes per sync, as kube's burstReplicas. */
    static final int BURST_REPLICAS = 500;
    private static final Logger log = LoggerFactory.getLogger(ReplicaSetController.class);

    private final Expectations expectations;
    private final EventRecorder events;
    private final PodControl podControl;
    private SharedIndexInformer<ReplicaSet> replicaSets;
    private SharedIndexInformer<Pod> pods;

    public ReplicaSetController(ControllerContext ctx) {
        this(ctx, new Expectations());
    }

    public ReplicaSetController(ControllerContext ctx, Expectations expectations) {
        super(ctx);
        this.expectations = expectations;
        this.events = new EventRecorder(ctx, "replicaset-controller");
        this.podControl = new PodControl(ctx, expectations, events);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    protected void setUp() {
        replicaSets = inform(ctx.client().apps().replicaSets().inAnyNamespace(), handler(
                rs -> queue.add(key(rs)),
                (oldRs, newRs) -> queue.add(key(newRs)),
                rs -> {
                    expectations.delete(key(rs));
                    queue.add(key(rs));
                }));
        OwnerLookup<ReplicaSet> owners = new OwnerLookup<>(replicaSets, ReplicaSet.class, rs -> rs.getSpec().getSelector());
        OwnedPodEvents<ReplicaSet> podEvents = new OwnedPodEvents<>(queue, expectations, owners,
                ReplicaSetController::minReadySeconds, PodRanking::isReady);
        pods = inform(ctx.client().pods().inAnyNamespace(), handler(podEvents::added, podEvents::updated, podEvents::deleted));
    }

    // ---- event handlers: only bookkeeping of expectations and enqueueing keys ----

    private static int minReadySeconds(ReplicaSet rs) {
        Integer m = rs.getSpec().getMinReadySeconds();
        return m == null ? 0 : m;
    }

    private static boolean isActive(Pod p) {
        String phase = p.getStatus() == null ? null : p.getStatus().getPhase();
        return p.getMetadata().getDeletionTimestamp() == null && !"Succeeded".equals(phase) && !"Failed".equals(phase);
    }

    // ---- reconcile ----

    @Override
    public Duration reconcile(String key) throws Exception {
        ReplicaSet rs = replicaSets.getStore().getByKey(key);
        if (rs == null) {
            expectations.delete(key);
            return null;
        }
        boolean needsSync = expectations.satisfied(key) && rs.getMetadata().getDeletionTimestamp() == null;
        List<Pod> active = pods.getIndexer().byIndex(Cache.NAMESPACE_INDEX, rs.getMetadata().getNamespace()).stream()
                .filter(ReplicaSetController::isActive).toList();
        List<Pod> owned = claim(rs, active);
        log.debug("sync {}: needsSync={} owned={} want={} expectations {}", key, needsSync, owned.size(),
                rs.getSpec().getReplicas(), expectations.describe(key));

        Exception manageError = null;
        if (needsSync) {
            try {
                manage(rs, key, owned);
            } catch (Exception e) {
                manageError = e;
            }
        }
        Instant now = Instant.now(ctx.clock());
        ReplicaSetStatus status = status(rs, owned, now);
        updateStatus(rs, status);
        if (manageError != null) {
            throw manageError;
        }
        int minReady = minReadySeconds(rs);
        if (minReady > 0 && !Objects.equals(status.getReadyReplicas(), status.getAvailableReplicas())) {
            return Duration.ofSeconds(minReady);
        }
        return null;
    }

    /** The ReplicaSet's pods after adopting matching orphans and releasing owned pods that stopped matching. */
    private List<Pod> claim(ReplicaSet rs, List<Pod> candidates) {
        return new ControllerRefManager<>(ctx, rs, rs.getSpec().getSelector(), Pod.class).claim(candidates);
    }

    private void manage(ReplicaSet rs, String key, List<Pod> owned) throws Exception {
        int want = rs.getSpec().getReplicas() == null ? 1 : rs.getSpec().getReplicas();
        int diff = owned.size() - want;
        if (diff < 0) {
            int create = Math.min(-diff, BURST_REPLICAS);
            expectations.expect(key, create, Set.of());
            createPods(rs, key, create);
        } else if (diff > 0) {
            int delete = Math.min(diff, BURST_REPLICAS);
            List<Pod> victims = PodRanking.deletionOrder(owned, delete);
            Set<String> keys = new LinkedHashSet<>();
            victims.forEach(p -> keys.add(key(p)));
            expectations.expect(key, 0, keys);
            deletePods(rs, key, victims);
        }
    }

    Pod newPod(ReplicaSet rs) {
        var template = rs.getSpec().getTemplate();
        Map<String, String> labels = template.getMetadata() == null || template.getMetadata().getLabels() == null
                ? Map.of() : template.getMetadata().getLabels();
        Map<String, String> annotations = template.getMetadata() == null || template.getMetadata().getAnnotations() == null
                ? Map.of() : template.getMetadata().getAnnotations();
        return new PodBuilder()
                .withNewMetadata()
                .withGenerateName(rs.getMetadata().getName() + "-")
                .withNamespace(rs.getMetadata().getNamespace())
                .withLabels(new HashMap<>(labels))
                .withAnnotations(new HashMap<>(annotations))
                .withFinalizers(template.getMetadata() == null ? null : template.getMetadata().getFinalizers())
                .withOwnerReferences(ControllerRefManager.controllerRef(rs))
                .endMetadata()
                .withSpec(template.getSpec())
                .build();
    }

    /** Slow start, as kube: batches of 1, 2, 4, ...; the first failing batch stops the rest (not expected any more). */
    private void createPods(ReplicaSet rs, String key, int count) throws Exception {
        Exception error = podControl.createPods(rs, key, count, i -> newPod(rs));
        if (error != null) {
            throw error;
        }
    }

    private void deletePods(ReplicaSet rs, String key, List<Pod> victims) throws Exception {
        List<Exception> errors = podControl.deletePods(rs, key, victims);
        if (!errors.isEmpty()) {
            events.warning(rs, "FailedDelete", "Error deleting: " + errors.getFirst().getMessage());
            throw errors.getFirst();
        }
    }

    private static ReplicaSetStatus status(ReplicaSet rs, List<Pod> owned, Instant now) {
        Map<String, String> templateLabels = rs.getSpec().getTemplate() == null || rs.getSpec().getTemplate().getMetadata() == null
                || rs.getSpec().getTemplate().getMetadata().getLabels() == null
                ? Map.of() : rs.getSpec().getTemplate().getMetadata().getLabels();
        int fullyLabeled = 0, ready = 0, available = 0;
        int minReady = minReadySeconds(rs);
        for (Pod p : owned) {
            Map<String, String> labels = p.getMetadata().getLabels() == null ? Map.of() : p.getMetadata().getLabels();
            if (labels.entrySet().containsAll(templateLabels.entrySet())) {
                fullyLabeled++;
            }
            if (PodRanking.isReady(p)) {
                ready++;
                if (PodRanking.isAvailable(p, minReady, now)) {
                    available++;
                }
            }
        }
        ReplicaSetStatus old = rs.getStatus();
        return new ReplicaSetStatusBuilder()
                .withReplicas(owned.size())
                .withFullyLabeledReplicas(fullyLabeled)
                .withReadyReplicas(ready)
                .withAvailableReplicas(available)
                .withObservedGeneration(rs.getMetadata().getGeneration())
                .withConditions(old == null ? null : old.getConditions())
                .build();
    }

    private static int n(Integer i) {
        return i == null ? 0 : i;
    }

    private static boolean sameStatus(ReplicaSetStatus a, ReplicaSetStatus b) {
        return a != null && n(a.getReplicas()) == n(b.getReplicas())
                && n(a.getFullyLabeledReplicas()) == n(b.getFullyLabeledReplicas())
                && n(a.getReadyReplicas()) == n(b.getReadyReplicas())
                && n(a.getAvailableReplicas()) == n(b.getAvailableReplicas())
                && Objects.equals(a.getObservedGeneration(), b.getObservedGeneration());
    }

    private void updateStatus(ReplicaSet rs, ReplicaSetStatus status) {
        if (sameStatus(rs.getStatus(), status)) {
            return;
        }
        ctx.checkActing();
        var op = ctx.client().apps().replicaSets().inNamespace(rs.getMetadata().getNamespace());
        try {
            op.resource(new ReplicaSetBuilder(rs).withStatus(status).build()).updateStatus();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e;
            }
            ReplicaSet fresh = op.withName(rs.getMetadata().getName()).get();
            if (fresh == null || !Objects.equals(fresh.getMetadata().getUid(), rs.getMetadata().getUid())) {
                return;
            }
            ctx.checkActing();
            op.resource(new ReplicaSetBuilder(fresh).withStatus(status).build()).updateStatus();
        }
        log.debug("{}: status {}", key(rs), status);
    }
}
