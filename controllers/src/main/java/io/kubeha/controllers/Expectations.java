package io.kubeha.controllers;

import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Per owner (a controller key): creations and deletions this controller has asked for but not yet seen in its
 * informer cache, as kube-controller-manager's ControllerExpectations / UIDTrackingControllerExpectations. While
 * an owner's expectations are not satisfied its controller must not create or delete (the cache is behind and
 * would make it do so twice); expectations older than the timeout (5 minutes in Kubernetes) count as satisfied
 * so that a lost watch event cannot wedge an owner forever.
 */
public final class Expectations {
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(5);

    private static final class Record {
        int adds;
        final Set<String> deletes = new HashSet<>();
        long timestamp;
    }

    private final Map<String, Record> records = new ConcurrentHashMap<>();
    private final LongSupplier nanoClock;
    private final long timeoutNanos;

    public Expectations(LongSupplier nanoClock, Duration timeout) {
        this.nanoClock = nanoClock;
        this.timeoutNanos = timeout.toNanos();
    }

    public Expectations() {
        this(System::nanoTime, DEFAULT_TIMEOUT);
    }

    /** True when the owner may act: nothing outstanding, expired, or never set. */
    public boolean satisfied(String owner) {
        Record r = records.get(owner);
        if (r == null) {
            return true;
        }
        synchronized (r) {
            return (r.adds <= 0 && r.deletes.isEmpty()) || nanoClock.getAsLong() - r.timestamp > timeoutNanos;
        }
    }

    /** Replaces the owner's expectations with these creations and deletions (keys of the objects to delete). */
    public void expect(String owner, int adds, Set<String> deleteKeys) {
        Record r = new Record();
        r.adds = adds;
        r.deletes.addAll(deleteKeys);
        r.timestamp = nanoClock.getAsLong();
        records.put(owner, r);
    }

    public void creationObserved(String owner) {
        Record r = records.get(owner);
        if (r != null) {
            synchronized (r) {
                r.adds--;
            }
        }
    }

    /** Each object's deletion counts once however many times (update with deletionTimestamp, delete) it is seen. */
    public void deletionObserved(String owner, String objectKey) {
        Record r = records.get(owner);
        if (r != null) {
            synchronized (r) {
                r.deletes.remove(objectKey);
            }
        }
    }

    public void delete(String owner) {
        records.remove(owner);
    }

    /** Outstanding creations and deletions, for tests and diagnostics. */
    public String describe(String owner) {
        Record r = records.get(owner);
        if (r == null) {
            return "none";
        }
        synchronized (r) {
            return "adds=" + r.adds + " deletes=" + r.deletes;
        }
    }
}
