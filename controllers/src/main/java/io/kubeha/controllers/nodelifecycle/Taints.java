package io.kubeha.controllers.nodelifecycle;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.Toleration;

import java.util.List;
import java.util.Objects;

/** The taint keys the node lifecycle controller owns, Kubernetes' toleration matching, and node condition lookups. */
final class Taints {
    static final String NOT_READY = "node.kubernetes.io/not-ready";
    static final String UNREACHABLE = "node.kubernetes.io/unreachable";
    static final String MEMORY_PRESSURE = "node.kubernetes.io/memory-pressure";
    static final String DISK_PRESSURE = "node.kubernetes.io/disk-pressure";
    static final String PID_PRESSURE = "node.kubernetes.io/pid-pressure";
    static final String NETWORK_UNAVAILABLE = "node.kubernetes.io/network-unavailable";
    static final String UNSCHEDULABLE = "node.kubernetes.io/unschedulable";
    static final String NO_EXECUTE = "NoExecute";
    static final String NO_SCHEDULE = "NoSchedule";

    private Taints() {
    }

    static List<Taint> of(Node node) {
        return node.getSpec() == null || node.getSpec().getTaints() == null ? List.of() : node.getSpec().getTaints();
    }

    static List<Taint> noExecute(Node node) {
        return of(node).stream().filter(t -> NO_EXECUTE.equals(t.getEffect())).toList();
    }

    static boolean sameKeyAndEffect(Taint a, Taint b) {
        return Objects.equals(a.getKey(), b.getKey()) && Objects.equals(a.getEffect(), b.getEffect());
    }

    /** Kubernetes' ToleratesTaint: effect empty or equal; empty key with Exists matches all; Exists or Equal value. */
    static boolean tolerates(Toleration t, Taint taint) {
        if (t.getEffect() != null && !t.getEffect().isEmpty() && !t.getEffect().equals(taint.getEffect())) {
            return false;
        }
        String key = t.getKey() == null ? "" : t.getKey();
        String op = t.getOperator() == null || t.getOperator().isEmpty() ? "Equal" : t.getOperator();
        if (key.isEmpty()) {
            return op.equals("Exists");
        }
        if (!key.equals(taint.getKey())) {
            return false;
        }
        return switch (op) {
            case "Exists" -> true;
            case "Equal" -> nz(t.getValue()).equals(nz(taint.getValue()));
            default -> false;
        };
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }

    static NodeCondition condition(List<NodeCondition> conditions, String type) {
        if (conditions == null) {
            return null;
        }
        return conditions.stream().filter(c -> type.equals(c.getType())).findFirst().orElse(null);
    }

    static NodeCondition ready(Node node) {
        return node.getStatus() == null ? null : condition(node.getStatus().getConditions(), "Ready");
    }

    /** The Ready condition's status, or null when the node has none. */
    static String readyStatus(Node node) {
        NodeCondition c = ready(node);
        return c == null ? null : c.getStatus();
    }
}
