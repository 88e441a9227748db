package io.kubeha.controllers.replicaset;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;

import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The order in which scale-in deletes pods, as kube-controller-manager's ActivePodsWithRanks: first the pods
 * not yet scheduled, then pending before unknown before running, not ready before ready, lower
 * pod-deletion-cost first, pods on nodes that carry more of this ReplicaSet's pods first (so what remains
 * stays spread), the most recently ready, the most restarted, and finally the newest.
 * <p>
 * One departure: kube ranks by the counts per node before any deletion, so when the counts tie (6 and 6, scaled
 * to 3) the age order alone decides and can empty a node. Here the counts are taken again after each pod chosen,
 * so deletions alternate between the fullest nodes and what remains stays spread (the seed's scale-in to 3
 * keeps both workers).
 */
final class PodRanking {
    static final String DELETION_COST = "controller.kubernetes.io/pod-deletion-cost";

    private PodRanking() {
    }

    /** The pods in deletion order (first to delete first). */
    static List<Pod> deletionOrder(List<Pod> pods) {
        return deletionOrder(pods, pods.size());
    }

    /** The first {@code count} pods to delete, in order, each chosen with the per-node counts left by those before it. */
    static List<Pod> deletionOrder(List<Pod> pods, int count) {
        Map<String, Integer> perNode = new HashMap<>();
        for (Pod p : pods) {
            String node = nodeName(p);
            if (!node.isEmpty()) {
                perNode.merge(node, 1, Integer::sum);
            }
        }
        Comparator<Pod> order = order(perNode);
        java.util.List<Pod> remaining = new java.util.ArrayList<>(pods);
        java.util.List<Pod> chosen = new java.util.ArrayList<>();
        while (chosen.size() < count && !remaining.isEmpty()) {
            Pod next = java.util.Collections.min(remaining, order);
            remaining.remove(next);
            chosen.add(next);
            String node = nodeName(next);
            if (!node.isEmpty()) perNode.merge(node, -1, Integer::sum);
        }
        return chosen;
    }

    private static Comparator<Pod> order(Map<String, Integer> perNode) {
        return Comparator
                .comparingInt((Pod p) -> nodeName(p).isEmpty() ? 0 : 1)
                .thenComparingInt(PodRanking::phaseRank)
                .thenComparingInt(p -> isReady(p) ? 1 : 0)
                .thenComparingLong(PodRanking::deletionCost)
                .thenComparing(p -> -perNode.getOrDefault(nodeName(p), 0))
                .thenComparing((a, b) -> {
                    // both ready: the one ready for less time goes first
                    if (isReady(a) && isReady(b)) {
                        Instant ra = readySince(a), rb = readySince(b);
                        if (ra != null && rb != null && !ra.equals(rb)) {
                            return rb.compareTo(ra);
                        }
                    }
                    return 0;
                })
                .thenComparing(p -> -restarts(p))
                .thenComparing((a, b) -> {
                    Instant ca = created(a), cb = created(b);
                    return cb.compareTo(ca);
                });
    }

    static String nodeName(Pod p) {
        String n = p.getSpec() == null ? null : p.getSpec().getNodeName();
        return n == null ? "" : n;
    }

    private static int phaseRank(Pod p) {
        String phase = p.getStatus() == null ? null : p.getStatus().getPhase();
        if (phase == null || phase.equals("Pending")) {
            return 0;
        }
        if (phase.equals("Unknown")) {
            return 1;
        }
        return 2;
    }

    private static long deletionCost(Pod p) {
        Map<String, String> a = p.getMetadata().getAnnotations();
        if (a == null || !a.containsKey(DELETION_COST)) {
            return 0;
        }
        try {
            return Integer.parseInt(a.get(DELETION_COST).strip());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static int restarts(Pod p) {
        if (p.getStatus() == null || p.getStatus().getContainerStatuses() == null) {
            return 0;
        }
        return p.getStatus().getContainerStatuses().stream()
                .mapToInt(c -> c.getRestartCount() == null ? 0 : c.getRestartCount()).max().orElse(0);
    }

    static Instant created(Pod p) {
        String ts = p.getMetadata().getCreationTimestamp();
        return ts == null ? Instant.EPOCH : Instant.parse(ts);
    }

    static PodCondition readyCondition(Pod p) {
        if (p.getStatus() == null || p.getStatus().getConditions() == null) {
            return null;
        }
        return p.getStatus().getConditions().stream().filter(c -> "Ready".equals(c.getType())).findFirst().orElse(null);
    }

    static boolean isReady(Pod p) {
        PodCondition c = readyCondition(p);
        return c != null && "True".equals(c.getStatus());
    }

    static Instant readySince(Pod p) {
        PodCondition c = readyCondition(p);
        if (c == null || c.getLastTransitionTime() == null) {
            return null;
        }
        return Instant.parse(c.getLastTransitionTime());
    }

    /** Ready for at least minReadySeconds at {@code now} (kube's podutil.IsPodAvailable). */
    static boolean isAvailable(Pod p, int minReadySeconds, Instant now) {
        if (!isReady(p)) {
            return false;
        }
        if (minReadySeconds <= 0) {
            return true;
        }
        Instant since = readySince(p);
        return since != null && !since.plusSeconds(minReadySeconds).isAfter(now);
    }
}
