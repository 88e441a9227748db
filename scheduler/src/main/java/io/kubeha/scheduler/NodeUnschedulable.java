package io.kubeha.scheduler;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.TaintBuilder;

/** A cordoned node (spec.unschedulable) takes only pods tolerating node.kubernetes.io/unschedulable:NoSchedule. */
final class NodeUnschedulable implements Plugin.Filter {
    static final String NAME = "NodeUnschedulable";
    static final String REASON = "node(s) were unschedulable";
    private static final Taint UNSCHEDULABLE = new TaintBuilder().withKey("node.kubernetes.io/unschedulable").withEffect("NoSchedule").build();

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Status filter(Pod pod, NodeInfo node) {
        var spec = node.node.getSpec();
        if (spec == null || !Boolean.TRUE.equals(spec.getUnschedulable())) return Status.SUCCESS;
        return Tolerations.tolerates(pod, UNSCHEDULABLE) ? Status.SUCCESS : Status.unresolvable(NAME, REASON);
    }
}
