package io.kubeha.apiserver.alloc;

import java.util.List;

/**
 * The allocations made for one Service create or update, pending the write of the Service itself. The API
 * server writes the Service and then calls exactly one of {@link #commit} (the write succeeded) or
 * {@link #revert} (it failed, or a retry will allocate afresh); calling either again does nothing.
 *
 * <p>Values an update gives up are released only on commit: released earlier, another Service could take one
 * while the update may still fail and leave this Service holding it.
 */
public interface Allocation {
    /** What this operation took from the ranges (already recorded in the store, unless a dry run). */
    List<Allocated> allocated();

    /** What the Service gives up, released by {@link #commit}. */
    List<Allocated> toRelease();

    /** The Service was written: release what it gave up. Never throws; a failed release is left to repair. */
    void commit();

    /** The Service was not written: give back what this operation took. Never throws; a failure is left to repair. */
    void revert();
}
