package io.kubeha.apiserver.alloc;

import java.util.List;

/**
 * What one {@link ServiceAllocator#repair} pass found and did.
 *
 * @param released      allocations no existing Service uses, older than the leak grace: deleted
 * @param recorded      values existing Services use whose allocation key was missing or named a Service that no
 *                      longer uses it: (re)written for the Service that uses them
 * @param awaitingGrace allocations no existing Service uses, but too young to release: they may belong to a
 *                      create or update still in flight on another API server; a later pass decides
 * @param problems      what repair cannot fix and an operator should know about (a value two Services use, a
 *                      ClusterIP outside the configured range), worded for the log
 */
public record RepairReport(List<Allocated> released, List<Allocated> recorded, List<Allocated> awaitingGrace,
                           List<String> problems) {
    public RepairReport {
        released = List.copyOf(released);
        recorded = List.copyOf(recorded);
        awaitingGrace = List.copyOf(awaitingGrace);
        problems = List.copyOf(problems);
    }

    /** True when the store and the Services agreed: nothing was changed and nothing is wrong. */
    public boolean clean() {
        return released.isEmpty() && recorded.isEmpty() && awaitingGrace.isEmpty() && problems.isEmpty();
    }
}
