package io.kubeha.scheduler;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PreferredSchedulingTerm;

import java.util.List;

/**
 * Node affinity: required terms (spec and legacy alpha annotation) filter, preferred terms score by the sum of the
 * weights of the terms a node matches, normalised so the best node gets {@link Plugin.Score#MAX}.
 */
final class NodeAffinity implements Plugin.Filter, Plugin.Score {
    static final String NAME = "NodeAffinity";
    /** the legacy annotation is JSON: parsed once per pod, not once per node */
    private final PerPod<List<io.fabric8.kubernetes.api.model.NodeAffinity>> affinities = new PerPod<>(Affinities::nodeAffinities);

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Status filter(Pod pod, NodeInfo node) {
        for (var affinity : affinities.get(pod)) {
            var required = affinity.getRequiredDuringSchedulingIgnoredDuringExecution();
            if (required == null) continue;
            if (!Affinities.matchesAnyTerm(Resources.nullSafe(required.getNodeSelectorTerms()), node.node)) {
                return Status.unresolvable(NAME, NodeSelector.REASON);
            }
        }
        return Status.SUCCESS;
    }

    @Override
    public long[] score(Pod pod, List<NodeInfo> feasible, ClusterSnapshot snapshot) {
        List<PreferredSchedulingTerm> preferred = Affinities.preferred(pod);
        long[] scores = new long[feasible.size()];
        if (preferred.isEmpty()) return scores;
        long max = 0;
        for (int i = 0; i < scores.length; i++) {
            for (PreferredSchedulingTerm t : preferred) {
                if (t.getPreference() != null && t.getWeight() != null && Affinities.matches(t.getPreference(), feasible.get(i).node)) {
                    scores[i] += t.getWeight();
                }
            }
            max = Math.max(max, scores[i]);
        }
        if (max > 0) {
            for (int i = 0; i < scores.length; i++) scores[i] = scores[i] * MAX / max;
        }
        return scores;
    }
}
