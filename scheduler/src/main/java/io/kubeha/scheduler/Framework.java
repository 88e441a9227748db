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
 * One scheduling decision over a snapshot: the filter plugins on the nodes (a node fails at its first failing
 * filter, as kube-scheduler), then the weighted scores of the nodes that passed; the highest total wins, ties broken
 * at random. No I/O, so its decisions are tested without an API server.
 *
 * <p>As kube-scheduler, a cycle stops filtering once it has found enough feasible nodes
 * ({@link #numFeasibleNodesToFind}: all of a cluster under 100 nodes, else percentageOfNodesToScore of them, by
 * default 50% minus 1% per 125 nodes, never under 5% or 100 nodes), and the next cycle starts where this one stopped,
 * so every node gets its turn across pods. A pod that fits nowhere has been tried on every node, so its
 * FailedScheduling message still counts all of them. Not thread-safe: one scheduling loop uses it (the rotating start
 * is its state).
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

    /** Below this many nodes every node is filtered and scored; never fewer feasible nodes are looked for. */
    static final int MIN_FEASIBLE_NODES_TO_FIND = 100;
    /** The adaptive percentage never goes below this. */
    static final int MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5;

    sealed interface Result {
        /**
         * The chosen node; {@code evaluated} nodes were filtered to find {@code feasible} that fit (which were scored).
         */
        record Fit(String node, int evaluated, int feasible) implements Result { }

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
    /** 0: adaptive, as kube-scheduler's default */
    private final int percentageOfNodesToScore;
    /** where the next cycle starts filtering: where the last one stopped */
    private int nextStartNodeIndex;

    Framework(List<Plugin.Filter> filters, List<WeightedScore> scores, RandomGenerator random, int percentageOfNodesToScore) {
        if (percentageOfNodesToScore < 0 || percentageOfNodesToScore > 100) {
            throw new IllegalArgumentException("percentageOfNodesToScore must be between 0 and 100, was " + percentageOfNodesToScore);
        }
        this.filters = List.copyOf(filters);
        this.scores = List.copyOf(scores);
        this.random = random;
        this.percentageOfNodesToScore = percentageOfNodesToScore;
    }

    Framework(List<Plugin.Filter> filters, List<WeightedScore> scores, RandomGenerator random) {
        this(filters, scores, random, 0);
    }

    static Framework of(List<String> filterNames, Map<String, Integer> scoreWeights, RandomGenerator random) {
        return of(filterNames, scoreWeights, random, 0);
    }

    static Framework of(List<String> filterNames, Map<String, Integer> scoreWeights, RandomGenerator random, int percentageOfNodesToScore) {
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
        return new Framework(filters, scores, random, percentageOfNodesToScore);
    }

    static Framework defaults(RandomGenerator random) {
        return defaults(random, 0);
    }

    static Framework defaults(RandomGenerator random, int percentageOfNodesToScore) {
        return of(DEFAULT_FILTERS, DEFAULT_SCORES, random, percentageOfNodesToScore);
    }

    /**
     * How many feasible nodes a cycle looks for among {@code numAllNodes} (kube-scheduler's numFeasibleNodesToFind):
     * all under {@value #MIN_FEASIBLE_NODES_TO_FIND} nodes; else the percentage (adaptive when 0: 50 - nodes/125, at
     * least {@value #MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND}) of them, at least {@value #MIN_FEASIBLE_NODES_TO_FIND}.
     */
    static int numFeasibleNodesToFind(int percentageOfNodesToScore, int numAllNodes) {
        if (numAllNodes < MIN_FEASIBLE_NODES_TO_FIND) return numAllNodes;
        int percentage = percentageOfNodesToScore;
        if (percentage == 0) percentage = Math.max(MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND, 50 - numAllNodes / 125);
        int n = (int) ((long) numAllNodes * percentage / 100);
        return Math.max(n, MIN_FEASIBLE_NODES_TO_FIND);
    }

    private static Plugin create(String name) {
        var s = REGISTRY.get(name);
        if (s == null) throw new IllegalArgumentException("unknown plugin " + name + "; known: " + new TreeMap<>(REGISTRY).keySet());
        return s.get();
    }

    Result schedule(Pod pod, ClusterSnapshot snapshot) {
        List<NodeInfo> nodes = snapshot.nodes();
        int all = nodes.size();
        if (all == 0) return new Result.NoFit(0, Map.of());
        int toFind = numFeasibleNodesToFind(percentageOfNodesToScore, all);
        int start = nextStartNodeIndex % all;
        List<NodeInfo> feasible = new ArrayList<>(Math.min(toFind, 1024));
        Map<String, Status> failures = new LinkedHashMap<>();
        int evaluated = 0;
        while (evaluated < all && feasible.size() < toFind) {
            NodeInfo node = nodes.get((start + evaluated) % all);
            evaluated++;
            Status status = runFilters(pod, node);
            if (status.isSuccess()) feasible.add(node);
            else failures.put(node.name(), status);
        }
        nextStartNodeIndex = (start + evaluated) % all;
        if (feasible.isEmpty()) return new Result.NoFit(all, failures);
        if (feasible.size() == 1) return new Result.Fit(feasible.get(0).name(), evaluated, 1);
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
        return new Result.Fit(feasible.get(best).name(), evaluated, feasible.size());
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
