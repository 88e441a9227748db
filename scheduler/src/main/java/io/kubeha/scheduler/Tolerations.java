package io.kubeha.scheduler;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.Toleration;

import java.util.List;

/** Whether a pod's tolerations tolerate a taint, with Kubernetes' matching rules. */
final class Tolerations {
    private Tolerations() { }

    static boolean tolerates(Pod pod, Taint taint) {
        List<Toleration> tolerations = pod.getSpec() == null ? List.of() : Resources.nullSafe(pod.getSpec().getTolerations());
        for (Toleration t : tolerations) {
            if (tolerates(t, taint)) return true;
        }
        return false;
    }

    static boolean tolerates(Toleration t, Taint taint) {
        if (t.getEffect() != null && !t.getEffect().isEmpty() && !t.getEffect().equals(taint.getEffect())) return false;
        String key = t.getKey() == null ? "" : t.getKey();
        String op = t.getOperator() == null || t.getOperator().isEmpty() ? "Equal" : t.getOperator();
        if (key.isEmpty()) return op.equals("Exists"); // an empty key with Exists tolerates everything
        if (!key.equals(taint.getKey())) return false;
        return switch (op) {
            case "Exists" -> true;
            case "Equal" -> nz(t.getValue()).equals(nz(taint.getValue()));
            default -> false;
        };
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }
}
