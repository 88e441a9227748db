package io.kubeha.scheduler;

import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.Pod;

/** A node whose Ready condition is not True is no candidate (kube-scheduler's former CheckNodeCondition). */
final class NodeReady implements Plugin.Filter {
    static final String NAME = "NodeReady";
    static final String REASON = "node(s) were not ready";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Status filter(Pod pod, NodeInfo node) {
        var status = node.node.getStatus();
        if (status != null) {
            for (NodeCondition c : Resources.nullSafe(status.getConditions())) {
                if ("Ready".equals(c.getType())) {
                    return "True".equals(c.getStatus()) ? Status.SUCCESS : Status.unresolvable(NAME, REASON);
                }
            }
        }
        return Status.unresolvable(NAME, REASON);
    }
}
