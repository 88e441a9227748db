package io.kubeha.scheduler;

import io.fabric8.kubernetes.api.model.Pod;

/** A hostPort (per protocol and host IP; 0.0.0.0 conflicts with every IP) can be used by one pod per node. */
final class NodePorts implements Plugin.Filter {
    static final String NAME = "NodePorts";
    static final String REASON = "node(s) didn't have free ports for the requested pod ports";
    private final PerPod<java.util.List<NodeInfo.HostPort>> wantedPorts = new PerPod<>(Resources::hostPorts);

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Status filter(Pod pod, NodeInfo node) {
        for (var wanted : wantedPorts.get(pod)) {
            for (var used : node.usedPorts) {
                if (wanted.conflicts(used)) return Status.unschedulable(NAME, REASON);
            }
        }
        return Status.SUCCESS;
    }
}
