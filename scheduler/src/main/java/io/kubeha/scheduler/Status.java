package io.kubeha.scheduler;

import java.util.List;

/**
 * What a filter plugin says of one node, as kube-scheduler's framework.Status: the node fits, or it does not for
 * the given reasons. {@link Unschedulable} could change if other pods went away (preemption might help);
 * {@link Unresolvable} cannot (the node's labels, taints or name are wrong for the pod).
 */
sealed interface Status {
    Status SUCCESS = new Success();

    record Success() implements Status { }

    record Unschedulable(String plugin, List<String> reasons) implements Status {
        public Unschedulable {
            reasons = List.copyOf(reasons);
        }
    }

    record Unresolvable(String plugin, List<String> reasons) implements Status {
        public Unresolvable {
            reasons = List.copyOf(reasons);
        }
    }

    static Status unschedulable(String plugin, String... reasons) {
        return new Unschedulable(plugin, List.of(reasons));
    }

    static Status unresolvable(String plugin, String... reasons) {
        return new Unresolvable(plugin, List.of(reasons));
    }

    default boolean isSuccess() {
        return this instanceof Success;
    }

    default List<String> reasons() {
        return switch (this) {
            case Success s -> List.of();
            case Unschedulable u -> u.reasons();
            case Unresolvable u -> u.reasons();
        };
    }
}
