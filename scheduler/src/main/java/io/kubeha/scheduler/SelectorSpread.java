package io.kubeha.scheduler;

import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Spreads the pods of one owner across nodes: pods of the same controller (ReplicaSet, StatefulSet, ...) and pods
 * selected by a Service that selects this pod count as siblings; the fewer siblings on a node, the higher its score
 * (kube-scheduler's SelectorSpread, without its zone part).
 */
final class SelectorSpread implements Plugin.Score {
    static final String NAME = "SelectorSpread";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public long[] score(Pod pod, List<NodeInfo> feasible, ClusterSnapshot snapshot) {
        long[] scores = new long[feasible.size()];
        String ns = pod.getMetadata().getNamespace();
        String owner = controllerUid(pod);
        List<Map<String, String>> selectors = new ArrayList<>();
        for (Service s : snapshot.services()) {
            if (!Objects.equals(ns, s.getMetadata().getNamespace()) || s.getSpec() == null) continue;
            Map<String, String> sel = s.getSpec().getSelector();
            if (sel != null && !sel.isEmpty() && matches(sel, pod.getMetadata().getLabels())) selectors.add(sel);
        }
        if (owner == null && selectors.isEmpty()) {
            java.util.Arrays.fill(scores, MAX);
            return scores;
        }
        long[] counts = new long[feasible.size()];
        long max = 0;
        for (int i = 0; i < counts.length; i++) {
            for (Pod other : feasible.get(i).pods) {
                if (!Objects.equals(ns, other.getMetadata().getNamespace())) continue;
                if (other.getMetadata().getDeletionTimestamp() != null) continue;
                if (isSibling(other, owner, selectors)) counts[i]++;
            }
            max = Math.max(max, counts[i]);
        }
        for (int i = 0; i < scores.length; i++) {
            scores[i] = max == 0 ? MAX : MAX * (max - counts[i]) / max;
        }
        return scores;
    }

    private static boolean isSibling(Pod other, String owner, List<Map<String, String>> selectors) {
        if (owner != null && owner.equals(controllerUid(other))) return true;
        for (Map<String, String> sel : selectors) {
            if (matches(sel, other.getMetadata().getLabels())) return true;
        }
        return false;
    }

    static String controllerUid(Pod pod) {
        for (OwnerReference ref : Resources.nullSafe(pod.getMetadata().getOwnerReferences())) {
            if (Boolean.TRUE.equals(ref.getController())) return ref.getUid();
        }
        return null;
    }

    private static boolean matches(Map<String, String> selector, Map<String, String> labels) {
        if (labels == null) return false;
        for (var e : selector.entrySet()) {
            if (!e.getValue().equals(labels.get(e.getKey()))) return false;
        }
        return true;
    }
}
