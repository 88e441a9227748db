package io.kubeha.scheduler;

import io.fabric8.kubernetes.api.model.Pod;

import java.util.List;

/**
 * Prefers the node with the most cpu and memory left after placing the pod (mean of the two free fractions), counting
 * containers without requests at kube-scheduler's non-zero defaults so that request-less pods still spread.
 */
final class LeastAllocated implements Plugin.Score {
    static final String NAME = "NodeResourcesLeastAllocated";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public long[] score(Pod pod, List<NodeInfo> feasible, ClusterSnapshot snapshot) {
        Resources.Requests want = Resources.nonZeroRequests(pod);
        long[] scores = new long[feasible.size()];
        for (int i = 0; i < scores.length; i++) {
            NodeInfo n = feasible.get(i);
            long cpu = free(n.allocatableMilliCpu(), n.nonZeroMilliCpu + want.milliCpu());
            long mem = free(n.allocatableMemory(), n.nonZeroMemory + want.memory());
            scores[i] = (cpu + mem) / 2;
        }
        return scores;
    }

    private static long free(long capacity, long requested) {
        if (capacity <= 0 || requested > capacity) return 0;
        return (capacity - requested) * MAX / capacity;
    }
}
