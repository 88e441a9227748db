package io.kubeha.scheduler;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * kube-scheduler's FailedScheduling wording: "0/N nodes are available: " then "COUNT REASON" per distinct reason,
 * sorted as strings and joined with ", ", then what preemption found. This scheduler does not preempt; what it
 * reports for preemption is what kube-scheduler reports when no lower-priority pod could be evicted: nodes that fail
 * for an unresolvable reason (labels, taints, name) are "not helpful", the others have no victims.
 */
final class FitError {
    static final String NO_NODES = "no nodes available to schedule pods";

    private FitError() { }

    static String message(int numNodes, Map<String, Status> perNode) {
        if (numNodes == 0) return NO_NODES;
        Map<String, Integer> reasons = new TreeMap<>();
        int unresolvable = 0, resolvable = 0;
        for (Status s : perNode.values()) {
            for (String r : s.reasons()) reasons.merge(r, 1, Integer::sum);
            switch (s) {
                case Status.Unresolvable u -> unresolvable++;
                case Status.Unschedulable u -> resolvable++;
                case Status.Success ok -> { }
            }
        }
        StringBuilder sb = new StringBuilder("0/").append(numNodes).append(" nodes are available");
        List<String> histogram = histogram(reasons);
        if (!histogram.isEmpty()) sb.append(": ").append(String.join(", ", histogram));
        sb.append('.');
        Map<String, Integer> preemption = new TreeMap<>();
        if (unresolvable > 0) preemption.put("Preemption is not helpful for scheduling", unresolvable);
        if (resolvable > 0) preemption.put("No preemption victims found for incoming pod", resolvable);
        sb.append(" preemption: 0/").append(numNodes).append(" nodes are available: ")
                .append(String.join(", ", histogram(preemption))).append('.');
        return sb.toString();
    }

    private static List<String> histogram(Map<String, Integer> counts) {
        List<String> out = new ArrayList<>();
        counts.forEach((reason, n) -> out.add(n + " " + reason));
        Collections.sort(out);
        return out;
    }
}
