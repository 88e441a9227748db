package io.kubeha.controllers.nodelifecycle;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.kubeha.controllers.ControllerContext;
import io.kubeha.controllers.EventRecorder;
import io.kubeha.controllers.InformerController;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * kube-controller-manager's taint eviction controller: a pod bound to a node with NoExecute taints is deleted at
 * once when it does not tolerate them all, and after the smallest tolerationSeconds of the tolerations it uses when
 * it does (never when they all tolerate forever). The time counts from the taints' timeAdded (or from the pod's
 * binding, when it came later), so a new leader keeps the schedule the old one had; a deletion not yet due is
 * cancelled when the taints go. Before the delete the pod gets the DisruptionTarget condition, as in Kubernetes.
 */
public final class TaintEvictionController extends InformerController {
    public static final String NAME = "tainteviction";
    private static final Logger log = LoggerFactory.getLogger(TaintEvictionController.class);

    private final EventRecorder events;
    /** Pods with a deletion scheduled, and since when their toleration counts (a swap of taints keeps it). */
    private final Map<String, Instant> pending = new ConcurrentHashMap<>();
    /** Pods deleted by this controller whose deletion the cache has not shown yet (key -> uid): not deleted twice. */
    private final Map<String, String> deleted = new ConcurrentHashMap<>();
    private SharedIndexInformer<Node> nodes;
    private SharedIndexInformer<Pod> pods;

    public TaintEvictionController(ControllerContext ctx) {
        super(ctx);
        this.events = new EventRecorder(ctx, "taint-eviction-controller");
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    protected void setUp() {
        pods = inform(ctx.client().pods().inAnyNamespace(), enqueueing(p -> NodeLifecycleController.nodeName(p).isEmpty()
                ? List.of() : List.of(key(p))));
        pods.addIndexers(Map.of(NodeLifecycleController.BY_NODE, p -> List.of(NodeLifecycleController.nodeName(p))));
        nodes = inform(ctx.client().nodes(), new ResourceEventHandler<>() {
            @Override
            public void onAdd(Node node) {
                if (!Taints.noExecute(node).isEmpty()) {
                    enqueuePodsOn(node);
                }
            }

            @Override
            public void onUpdate(Node oldNode, Node newNode) {
                if (!Objects.equals(Taints.noExecute(oldNode), Taints.noExecute(newNode))) {
                    enqueuePodsOn(newNode);
                }
            }

            @Override
            public void onDelete(Node node, boolean unknown) {
                enqueuePodsOn(node);
            }
        });
    }

    private void enqueuePodsOn(Node node) {
        for (Pod p : pods.getIndexer().byIndex(NodeLifecycleController.BY_NODE, node.getMetadata().getName())) {
            queue.add(key(p));
        }
    }

    @Override
    public Duration reconcile(String key) throws Exception {
        Pod pod = pods.getStore().getByKey(key);
        if (pod == null || pod.getMetadata().getDeletionTimestamp() != null) {
            pending.remove(key);
            deleted.remove(key);
            return null;
        }
        if (pod.getMetadata().getUid().equals(deleted.get(key))) {
            return null;
        }
        String nodeName = NodeLifecycleController.nodeName(pod);
        Node node = nodeName.isEmpty() ? null : nodes.getStore().getByKey(nodeName);
        List<Taint> taints = node == null ? List.of() : Taints.noExecute(node);
        Duration tolerated = TaintEviction.tolerationTime(pod, taints);
        Instant now = Instant.now(ctx.clock());
        if (tolerated == null) {
            if (pending.remove(key) != null) {
                events.normal(pod, "TaintManagerEviction", "Cancelling deletion of Pod " + key);
            }
            return null;
        }
        Instant start = pending.merge(key, TaintEviction.start(pod, taints, now), (a, b) -> a.isBefore(b) ? a : b);
        Instant due = start.plus(tolerated);
        if (now.isBefore(due)) {
            log.debug("pod {} on tainted node {}: deletion due at {}", key, nodeName, due);
            return Duration.between(now, due);
        }
        evict(pod, key);
        deleted.put(key, pod.getMetadata().getUid());
        pending.remove(key);
        return null;
    }

    private void evict(Pod pod, String key) {
        String ns = pod.getMetadata().getNamespace();
        log.info("deleting pod {}: its node {} has NoExecute taints it does not tolerate (any more)", key, NodeLifecycleController.nodeName(pod));
        events.normal(pod, "TaintManagerEviction", "Marking for deletion Pod " + key);
        ctx.checkActing();
        try {
            ctx.client().pods().inNamespace(ns).resource(withDisruptionTarget(pod)).updateStatus();
        } catch (KubernetesClientException e) {
            if (e.getCode() == 404) {
                return;
            }
            if (e.getCode() != 409) {
                throw e;
            }
            // the pod changed meanwhile: the condition is informative, the deletion is what matters
        }
        ctx.checkActing();
        try {
            ctx.client().pods().inNamespace(ns).withName(pod.getMetadata().getName()).delete();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404) {
                throw e;
            }
        }
    }

    private Pod withDisruptionTarget(Pod pod) {
        List<PodCondition> conditions = new ArrayList<>();
        if (pod.getStatus() != null && pod.getStatus().getConditions() != null) {
            pod.getStatus().getConditions().stream().filter(c -> !"DisruptionTarget".equals(c.getType())).forEach(conditions::add);
        }
        conditions.add(new PodConditionBuilder().withType("DisruptionTarget").withStatus("True")
                .withReason("DeletionByTaintManager").withMessage("Taint manager: deleting due to NoExecute taint")
                .withLastTransitionTime(NodePlan.timestamp(Instant.now(ctx.clock()))).build());
        return new PodBuilder(pod).editOrNewStatus().withConditions(conditions).endStatus().build();
    }
}
