package io.kubeha.controllers.nodelifecycle;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.NodeConditionBuilder;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.TaintBuilder;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The node lifecycle controller's decisions for one node, as pure functions of the node, whether its heartbeat is
 * stale, and the time (so they are tested without a server or a wait).
 */
final class NodePlan {
    /** The conditions set to Unknown when a node stops posting status (kube leaves NetworkUnavailable alone). */
    static final List<String> MONITORED = List.of("Ready", "MemoryPressure", "DiskPressure", "PIDPressure");
    static final String UNKNOWN_REASON = "NodeStatusUnknown";
    static final String UNKNOWN_MESSAGE = "Kubelet stopped posting node status.";
    static final String NEVER_REASON = "NodeStatusNeverUpdated";
    static final String NEVER_MESSAGE = "Kubelet never posted node status.";

    /** TaintNodesByCondition: condition type -> status -> the NoSchedule taint's key. */
    private static final Map<String, Map<String, String>> CONDITION_TAINTS = Map.of(
            "Ready", Map.of("False", Taints.NOT_READY, "Unknown", Taints.UNREACHABLE),
            "MemoryPressure", Map.of("True", Taints.MEMORY_PRESSURE),
            "DiskPressure", Map.of("True", Taints.DISK_PRESSURE),
            "NetworkUnavailable", Map.of("True", Taints.NETWORK_UNAVAILABLE),
            "PIDPressure", Map.of("True", Taints.PID_PRESSURE));
    private static final java.util.Set<String> CONDITION_TAINT_KEYS = java.util.Set.of(Taints.NOT_READY, Taints.UNREACHABLE,
            Taints.MEMORY_PRESSURE, Taints.DISK_PRESSURE, Taints.NETWORK_UNAVAILABLE, Taints.PID_PRESSURE, Taints.UNSCHEDULABLE);

    private NodePlan() {
    }

    private static List<NodeCondition> conditions(Node node) {
        return node.getStatus() == null || node.getStatus().getConditions() == null ? List.of() : node.getStatus().getConditions();
    }

    static String timestamp(Instant t) {
        return t.truncatedTo(ChronoUnit.SECONDS).toString();
    }

    /**
     * The node's conditions after the grace period ran out without a heartbeat: Ready, MemoryPressure, DiskPressure
     * and PIDPressure Unknown ("Kubelet stopped posting node status.", transition now; heartbeat kept), or added
     * as Unknown with reason NodeStatusNeverUpdated when the kubelet never posted them. Null when nothing changes.
     */
    static List<NodeCondition> staleConditions(Node node, Instant now) {
        List<NodeCondition> out = new ArrayList<>();
        boolean changed = false;
        for (NodeCondition c : conditions(node)) {
            if (MONITORED.contains(c.getType()) && !"Unknown".equals(c.getStatus())) {
                out.add(new NodeConditionBuilder(c).withStatus("Unknown").withReason(UNKNOWN_REASON)
                        .withMessage(UNKNOWN_MESSAGE).withLastTransitionTime(timestamp(now)).build());
                changed = true;
            } else {
                out.add(c);
            }
        }
        for (String type : MONITORED) {
            if (Taints.condition(out, type) == null) {
                out.add(new NodeConditionBuilder().withType(type).withStatus("Unknown").withReason(NEVER_REASON)
                        .withMessage(NEVER_MESSAGE).withLastHeartbeatTime(node.getMetadata().getCreationTimestamp())
                        .withLastTransitionTime(timestamp(now)).build());
                changed = true;
            }
        }
        return changed ? out : null;
    }

    /**
     * The node's taints as the controller wants them, or null when they are right already. The NoSchedule taints
     * follow the conditions and spec.unschedulable (TaintNodesByCondition); the NoExecute taint follows Ready:
     * not-ready for False, unreachable for Unknown (the two swapped, never both), none for True, and none at all
     * while every node is down ({@code withholdNoExecute}: kube then assumes its own connectivity is at fault and
     * evicts nothing; also when the zone's rate allows no new one now). Taints the controller does not own are kept as they are; a taint it keeps keeps its
     * timeAdded, one it adds gets {@code now}.
     */
    static List<Taint> taints(Node node, List<NodeCondition> conditions, boolean withholdNoExecute, Instant now) {
        Map<String, String> wanted = new LinkedHashMap<>(); // key -> effect, for the taints this controller owns
        for (NodeCondition c : conditions) {
            Map<String, String> byStatus = CONDITION_TAINTS.get(c.getType());
            if (byStatus != null && byStatus.containsKey(c.getStatus())) {
                wanted.put(byStatus.get(c.getStatus()) + "\u0000" + Taints.NO_SCHEDULE, Taints.NO_SCHEDULE);
            }
        }
        if (node.getSpec() != null && Boolean.TRUE.equals(node.getSpec().getUnschedulable())) {
            wanted.put(Taints.UNSCHEDULABLE + "\u0000" + Taints.NO_SCHEDULE, Taints.NO_SCHEDULE);
        }
        NodeCondition ready = Taints.condition(conditions, "Ready");
        if (ready != null && !withholdNoExecute) {
            if ("False".equals(ready.getStatus())) {
                wanted.put(Taints.NOT_READY + "\u0000" + Taints.NO_EXECUTE, Taints.NO_EXECUTE);
            } else if ("Unknown".equals(ready.getStatus())) {
                wanted.put(Taints.UNREACHABLE + "\u0000" + Taints.NO_EXECUTE, Taints.NO_EXECUTE);
            }
        }
        List<Taint> out = new ArrayList<>();
        boolean changed = false;
        for (Taint t : Taints.of(node)) {
            String id = t.getKey() + "\u0000" + t.getEffect();
            if (!owned(t)) {
                out.add(t);
            } else if (wanted.remove(id) != null) {
                out.add(t);
            } else {
                changed = true; // ours, and no longer wanted
            }
        }
        for (String id : wanted.keySet()) {
            String key = id.substring(0, id.indexOf('\u0000'));
            out.add(new TaintBuilder().withKey(key).withEffect(wanted.get(id)).withTimeAdded(timestamp(now)).build());
            changed = true;
        }
        return changed ? out : null;
    }

    /** Whether {@code after} has a NoExecute taint of the controller's while the node has none: a new one, not a swap. */
    static boolean addsNoExecute(Node node, List<Taint> after) {
        return Taints.of(node).stream().noneMatch(t -> owned(t) && Taints.NO_EXECUTE.equals(t.getEffect()))
                && after.stream().anyMatch(t -> owned(t) && Taints.NO_EXECUTE.equals(t.getEffect()));
    }

    /** Whether the controller owns the taint: a condition taint with NoSchedule, or not-ready/unreachable with NoExecute. */
    private static boolean owned(Taint t) {
        if (Taints.NO_SCHEDULE.equals(t.getEffect())) {
            return CONDITION_TAINT_KEYS.contains(t.getKey());
        }
        return Taints.NO_EXECUTE.equals(t.getEffect()) && (Taints.NOT_READY.equals(t.getKey()) || Taints.UNREACHABLE.equals(t.getKey()));
    }
}
