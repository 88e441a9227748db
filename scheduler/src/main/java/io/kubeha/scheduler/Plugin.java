package io.kubeha.scheduler;

import io.fabric8.kubernetes.api.model.Pod;

/** A scheduling rule, registered by its name (kube-scheduler's plugin names). */
sealed interface Plugin permits Plugin.Filter, Plugin.Score {
    String name();

    /** Decides whether a pod may run on one node. */
    non-sealed interface Filter extends Plugin {
        Status filter(Pod pod, NodeInfo node);
    }

    /** Ranks the nodes that passed all filters; each score is 0..{@link #MAX}, multiplied by the plugin's weight. */
    non-sealed interface Score extends Plugin {
        long MAX = 100;

        /** Raw scores of the feasible nodes, in their order, already normalised to 0..MAX. */
        long[] score(Pod pod, java.util.List<NodeInfo> feasible, ClusterSnapshot snapshot);
    }
}
