package io.kubeha.scheduler;

import io.fabric8.kubernetes.api.model.Pod;

import java.util.Map;

/** spec.nodeSelector: every label must be on the node with that value. */
final class NodeSelector implements Plugin.Filter {
    static final String NAME = "NodeSelector";
    static final String REASON = "node(s) didn't match Pod's node affinity/selector";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Status filter(Pod pod, NodeInfo node) {
        Map<String, String> selector = pod.getSpec().getNodeSelector();
        if (selector == null || selector.isEmpty()) return Status.SUCCESS;
        Map<String, String> labels = node.node.getMetadata().getLabels() == null ? Map.of() : node.node.getMetadata().getLabels();
        for (var e : selector.entrySet()) {
            if (!e.getValue().equals(labels.get(e.getKey()))) return Status.unresolvable(NAME, REASON);
        }
        return Status.SUCCESS;
    }
}
