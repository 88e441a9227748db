package io.kubeha.scheduler;

import io.fabric8.kubernetes.api.model.Pod;

/** A pod that names a node in spec.nodeName (unbound so far) fits only there. */
final class NodeName implements Plugin.Filter {
    static final String NAME = "NodeName";
    static final String REASON = "node(s) didn't match the requested node name";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Status filter(Pod pod, NodeInfo node) {
        String wanted = pod.getSpec().getNodeName();
        if (wanted == null || wanted.isEmpty() || wanted.equals(node.name())) return Status.SUCCESS;
        return Status.unresolvable(NAME, REASON);
    }
}
