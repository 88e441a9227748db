package io.kubeha.apiserver.http;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TolerationBuilder;

import java.util.ArrayList;
import java.util.List;

/**
 * kube-apiserver's DefaultTolerationSeconds admission plugin: a pod that does not already tolerate the node
 * lifecycle controller's NoExecute taints {@code node.kubernetes.io/not-ready} and {@code node.kubernetes.io/unreachable}
 * gets a toleration for each (operator Exists, tolerationSeconds from the server's flags, 300 by default). That is
 * what makes pods on a failed node wait five minutes before the taint eviction controller deletes them, instead of
 * going at once. A toleration counts as tolerating a key when its key is that key or empty and its effect is
 * NoExecute or empty (the plugin's own rule: it does not look at operator or value).
 */
final class DefaultTolerationSeconds {
    static final String NOT_READY = "node.kubernetes.io/not-ready";
    static final String UNREACHABLE = "node.kubernetes.io/unreachable";

    private final long notReadySeconds;
    private final long unreachableSeconds;

    DefaultTolerationSeconds(long notReadySeconds, long unreachableSeconds) {
        this.notReadySeconds = notReadySeconds;
        this.unreachableSeconds = unreachableSeconds;
    }

    /** Adds the missing default tolerations to the pod's spec (in place). */
    void apply(Pod pod) {
        if (pod.getSpec() == null) return;
        List<Toleration> tolerations = pod.getSpec().getTolerations() == null ? List.of() : pod.getSpec().getTolerations();
        boolean notReady = false, unreachable = false;
        for (Toleration t : tolerations) {
            String key = t.getKey() == null ? "" : t.getKey();
            boolean noExecute = t.getEffect() == null || t.getEffect().isEmpty() || t.getEffect().equals("NoExecute");
            if (!noExecute) continue;
            if (key.isEmpty() || key.equals(NOT_READY)) notReady = true;
            if (key.isEmpty() || key.equals(UNREACHABLE)) unreachable = true;
        }
        if (notReady && unreachable) return;
        List<Toleration> out = new ArrayList<>(tolerations);
        if (!notReady) out.add(toleration(NOT_READY, notReadySeconds));
        if (!unreachable) out.add(toleration(UNREACHABLE, unreachableSeconds));
        pod.getSpec().setTolerations(out);
    }

    private static Toleration toleration(String key, long seconds) {
        return new TolerationBuilder().withKey(key).withOperator("Exists").withEffect("NoExecute").withTolerationSeconds(seconds).build();
    }
}
