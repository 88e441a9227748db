package io.kubeha.scheduler;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Taint;

/** A node with a NoSchedule or NoExecute taint the pod does not tolerate does not fit (PreferNoSchedule: no effect here). */
final class TaintToleration implements Plugin.Filter {
    static final String NAME = "TaintToleration";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Status filter(Pod pod, NodeInfo node) {
        var spec = node.node.getSpec();
        if (spec == null) return Status.SUCCESS;
        for (Taint taint : Resources.nullSafe(spec.getTaints())) {
            if (!"NoSchedule".equals(taint.getEffect()) && !"NoExecute".equals(taint.getEffect())) continue;
            if (!Tolerations.tolerates(pod, taint)) {
                return Status.unresolvable(NAME, "node(s) had untolerated taint {" + taint.getKey() + ": "
                        + (taint.getValue() == null ? "" : taint.getValue()) + "}");
            }
        }
        return Status.SUCCESS;
    }
}
