package io.kubeha.scheduler;

import io.fabric8.kubernetes.api.model.Pod;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * One scheduling decision over a snapshot: every filter plugin on every node (a node fails at its first failing
 * filter, as kube-scheduler), then the weighted scores of the nodes that passed; the highest total wins, ties broken
 * at random. Pure: no I/O, so its decisions are tested without an API server.
 */
final class Framework {
    record WeightedScore(Plugin.Score plugin, int weight) { }

    /** Every plugin by its name, so a profile can name the ones it wants. */
    static final Map<String, Supplier<? extends Plugin>> REGISTRY = Map.of(
            NodeReady.NAME, NodeReady::new,
            NodeUnschedulable.NAME, NodeUnschedulable::new,
            NodeName.NAME, NodeName::new,
            TaintToleration.NAME, TaintToleration::new,
            NodeSelector.NAME, NodeSelector::new,
            NodeAffinity.NAME, NodeAffinity::new,
            NodePorts.NAME, NodePorts::new,
            NodeResourcesFit.NAME, NodeResourcesFit::new,
            SelectorSpread.NAME, SelectorSpread::new,
            LeastAllocated.NAME, LeastAllocated::new);

    /** The default profile: filters in kube-scheduler's order, score weights as its defaults (affinity 2, spread 2, allocation 1). */
    static final List<String> DEFAULT_FILTERS = List.of(NodeReady.NAME, NodeUnschedulable.NAME, NodeName.NAME, TaintToleration.NAME,
            NodeSelector.NAME, NodeAffinity.NAME, NodePorts.NAME, NodeResourcesFit.NAME);
    static final Map<String, Integer> DEFAULT_SCORES = orderedMap(NodeAffinity.NAME, 2, SelectorSpread.NAME, 2, LeastAllocated.NAME, 1);

    sealed interface Result {
        record Fit(String node) implements Result { }

        /** Nothing fits; {@code perNode} says why of each node, in snapshot order. */
        record NoFit(int numNodes, Map<String, Status> perNode) implements Result {
            String message() {
                return FitError.message(numNodes, perNode);
            }
        }
    }

    private final List<Plugin.Filter> filters;
    private final List<WeightedScore> scores;
    private final RandomGenerator random;

    Framework(List<Plugin.Filter> filters, List<WeightedScore> scores, RandomGenerator random) {
        this.filters = List.copyOf(filters);
        this.scores = List.copyOf(scores);
        this.random = random;
    }

    static Framework of(List<String> filterNames, Map<String, Integer> scoreWeights, RandomGenerator random) {
        List<Plugin.Filter> filters = new ArrayList<>();
        for (String n : filterNames) {
            if (!(create(n) instanceof Plugin.Filter f)) throw new IllegalArgumentException("not a filter plugin: " + n);
            filters.add(f);
        }
        List<WeightedScore> scores = new ArrayList<>();
        scoreWeights.forEach((n, w) -> {
            if (!(create(n) instanceof Plugin.Score s)) throw new IllegalArgumentException("not a score plugin: " + n);
            scores.add(new WeightedScore(s, w));
        });
        return new Framework(filters, scores, random);
    }

    static Framework defaults(RandomGenerator random) {
        return of(DEFAULT_FILTERS, DEFAULT_SCORES, random);
    }

    private static Plugin create(String name) {
        var s = REGISTRY.get(name);
        if (s == null) throw new IllegalArgumentException("unknown plugin " + name + "; known: " + new TreeMap<>(REGISTRY).keySet());
        return s.get();
    }

    Result schedule(Pod pod, ClusterSnapshot snapshot) {
        List<NodeInfo> feasible = new ArrayList<>();
        Map<String, Status> failures = new LinkedHashMap<>();
        for (NodeInfo node : snapshot.nodes()) {
            Status status = runFilters(pod, node);
            if (status.isSuccess()) feasible.add(node);
            else failures.put(node.name(), status);
        }
        if (feasible.isEmpty()) return new Result.NoFit(snapshot.nodes().size(), failures);
        if (feasible.size() == 1) return new Result.Fit(feasible.get(0).name());
        long[] total = new long[feasible.size()];
        for (WeightedScore ws : scores) {
            long[] s = ws.plugin().score(pod, feasible, snapshot);
            for (int i = 0; i < total.length; i++) total[i] += s[i] * ws.weight();
        }
        // reservoir sampling over the best: each of k tied nodes wins with probability 1/k
        int best = 0, ties = 1;
        for (int i = 1; i < total.length; i++) {
            if (total[i] > total[best]) {
                best = i;
                ties = 1;
            } else if (total[i] == total[best]) {
                ties++;
                if (random.nextInt(ties) == 0) best = i;
            }
        }
        return new Result.Fit(feasible.get(best).name());
    }

    Status runFilters(Pod pod, NodeInfo node) {
        for (Plugin.Filter f : filters) {
            Status s = f.filter(pod, node);
            if (!s.isSuccess()) return s;
        }
        return Status.SUCCESS;
    }

    private static Map<String, Integer> orderedMap(Object... kv) {
        Map<String, Integer> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], (Integer) kv[i + 1]);
        return java.util.Collections.unmodifiableMap(m);
    }
}
