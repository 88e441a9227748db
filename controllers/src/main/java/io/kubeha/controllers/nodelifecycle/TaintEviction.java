package io.kubeha.controllers.nodelifecycle;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.Toleration;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** The taint eviction controller's decisions for one pod, as pure functions (tested without a server or a wait). */
final class TaintEviction {
    private TaintEviction() {
    }

    /**
     * How long the pod may stay on a node with these NoExecute taints, as kube's taint manager: {@link Duration#ZERO}
     * when some taint is not tolerated (it goes at once); else the smallest tolerationSeconds among the tolerations
     * that match a taint (the first match of each; zero or less means at once); null when every one of those
     * tolerates forever (or there is no taint).
     */
    static Duration tolerationTime(Pod pod, List<Taint> noExecute) {
        if (noExecute.isEmpty()) {
            return null;
        }
        List<Toleration> tolerations = pod.getSpec() == null || pod.getSpec().getTolerations() == null
                ? List.of() : pod.getSpec().getTolerations();
        Long min = null;
        for (Taint taint : noExecute) {
            Toleration used = tolerations.stream().filter(t -> Taints.tolerates(t, taint)).findFirst().orElse(null);
            if (used == null) {
                return Duration.ZERO;
            }
            if (used.getTolerationSeconds() != null) {
                long s = Math.max(0, used.getTolerationSeconds());
                min = min == null ? s : Math.min(min, s);
            }
        }
        return min == null ? null : Duration.ofSeconds(min);
    }

    /**
     * From when the pod's toleration time counts: the earliest timeAdded of the node's NoExecute taints, but not
     * before the pod was bound to the node (a pod that arrives on a tainted node gets its whole toleration, as kube
     * counts from when it first sees the pod there), and never after {@code now} (a taint without timeAdded).
     */
    static Instant start(Pod pod, List<Taint> noExecute, Instant now) {
        Instant earliest = null;
        for (Taint t : noExecute) {
            Instant added = parse(t.getTimeAdded());
            if (added != null && (earliest == null || added.isBefore(earliest))) {
                earliest = added;
            }
        }
        if (earliest == null || earliest.isAfter(now)) {
            earliest = now;
        }
        Instant bound = boundAt(pod);
        if (bound != null && bound.isAfter(earliest)) {
            earliest = bound.isAfter(now) ? now : bound;
        }
        return earliest;
    }

    /** When the pod was bound: its PodScheduled=True transition, else its creation. */
    static Instant boundAt(Pod pod) {
        if (pod.getStatus() != null && pod.getStatus().getConditions() != null) {
            for (PodCondition c : pod.getStatus().getConditions()) {
                if ("PodScheduled".equals(c.getType()) && "True".equals(c.getStatus())) {
                    Instant t = parse(c.getLastTransitionTime());
                    if (t != null) {
                        return t;
                    }
                }
            }
        }
        return parse(pod.getMetadata().getCreationTimestamp());
    }

    private static Instant parse(String ts) {
        if (ts == null || ts.isEmpty()) {
            return null;
        }
        try {
            return Instant.parse(ts);
        } catch (RuntimeException e) {
            return null;
        }
    }
}
