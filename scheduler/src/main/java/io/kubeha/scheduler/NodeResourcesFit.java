package io.kubeha.scheduler;

import io.fabric8.kubernetes.api.model.Pod;

import java.util.ArrayList;
import java.util.List;

/**
 * The pod's cpu and memory requests plus those of the pods on the node must fit the node's allocatable, and one
 * more pod must fit its allocatable pod count. Every shortfall is a reason of its own, as kube-scheduler reports.
 */
final class NodeResourcesFit implements Plugin.Filter {
    static final String NAME = "NodeResourcesFit";
    private final PerPod<Resources.Requests> requests = new PerPod<>(Resources::requests);

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Status filter(Pod pod, NodeInfo node) {
        List<String> reasons = new ArrayList<>();
        if (node.pods.size() + 1 > node.allocatablePods()) reasons.add("Too many pods");
        Resources.Requests r = requests.get(pod);
        if (r.milliCpu() > 0 && node.requestedMilliCpu + r.milliCpu() > node.allocatableMilliCpu()) reasons.add("Insufficient cpu");
        if (r.memory() > 0 && node.requestedMemory + r.memory() > node.allocatableMemory()) reasons.add("Insufficient memory");
        return reasons.isEmpty() ? Status.SUCCESS : new Status.Unschedulable(NAME, reasons);
    }
}
