package io.kubeha.scheduler;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * Pending pods by key ("namespace/name"), as kube-scheduler's priority queue without priorities: an active FIFO, and
 * pods that fit nowhere waiting out a back-off that doubles per failed attempt from the initial to the maximum
 * delay. A cluster event that may make room (a node added or changed, a bound pod gone) sends every waiting pod back
 * at once. A pod is handed out once until it is reported done or unschedulable; a cluster event seen while it was
 * being scheduled makes a failure retry at once, so no event is lost to the race (kube-scheduler's moveRequestCycle).
 * The clock is injected: tests move time, they do not wait for it.
 */
final class SchedulingQueue {
    private final long initialNanos;
    private final long maxNanos;
    private final LongSupplier nanoClock;

    private final LinkedHashSet<String> active = new LinkedHashSet<>();
    /** key -> clock value at which its back-off ends */
    private final Map<String, Long> backoff = new HashMap<>();
    private final Map<String, Integer> attempts = new HashMap<>();
    private final Set<String> inFlight = new HashSet<>();
    /** in-flight keys that saw a cluster event while being scheduled */
    private final Set<String> movedWhileInFlight = new HashSet<>();
    private boolean closed;

    SchedulingQueue(Duration initialBackoff, Duration maxBackoff, LongSupplier nanoClock) {
        this.initialNanos = initialBackoff.toNanos();
        this.maxNanos = maxBackoff.toNanos();
        this.nanoClock = nanoClock;
    }

    /** A pending pod was added or changed. */
    synchronized void add(String key) {
        if (inFlight.contains(key) || backoff.containsKey(key)) return;
        if (active.add(key)) notifyAll();
    }

    /** The pod is gone, bound by someone else, or no longer ours. */
    synchronized void delete(String key) {
        active.remove(key);
        backoff.remove(key);
        attempts.remove(key);
        inFlight.remove(key);
        movedWhileInFlight.remove(key);
    }

    /** The attempt failed (nothing fits, or binding failed): retry after the back-off, or earlier on a cluster event. */
    synchronized void unschedulable(String key) {
        if (!inFlight.remove(key)) return; // deleted meanwhile
        int n = attempts.merge(key, 1, Integer::sum);
        if (movedWhileInFlight.remove(key)) {
            active.add(key);
            notifyAll();
            return;
        }
        backoff.put(key, nanoClock.getAsLong() + backoffNanos(n));
        notifyAll();
    }

    /** The pod was bound (or turned out not to need us). */
    synchronized void done(String key) {
        inFlight.remove(key);
        movedWhileInFlight.remove(key);
        attempts.remove(key);
    }

    /** Something changed that may make room: every waiting pod is retried now. */
    synchronized void moveAllToActive() {
        if (!backoff.isEmpty()) {
            active.addAll(backoff.keySet());
            backoff.clear();
            notifyAll();
        }
        movedWhileInFlight.addAll(inFlight);
    }

    /** The next pod to schedule, or null if none is ready now. */
    synchronized String poll() {
        promoteExpired();
        Iterator<String> it = active.iterator();
        if (!it.hasNext()) return null;
        String key = it.next();
        it.remove();
        inFlight.add(key);
        return key;
    }

    /** Like {@link #poll} but waits up to {@code maxWait} (on the real clock) for a pod to become ready. */
    synchronized String take(Duration maxWait) throws InterruptedException {
        long deadline = System.nanoTime() + maxWait.toNanos();
        while (!closed) {
            String key = poll();
            if (key != null) return key;
            long left = deadline - System.nanoTime();
            if (left <= 0) return null;
            long wait = Math.min(left, nextExpiryIn());
            wait(Math.max(1, wait / 1_000_000));
        }
        return null;
    }

    synchronized void close() {
        closed = true;
        notifyAll();
    }

    synchronized int attempts(String key) {
        return attempts.getOrDefault(key, 0);
    }

    synchronized boolean isBackingOff(String key) {
        return backoff.containsKey(key);
    }

    synchronized int size() {
        return active.size() + backoff.size() + inFlight.size();
    }

    /** initial * 2^(attempts-1), at most the maximum. */
    long backoffNanos(int attempts) {
        long d = initialNanos;
        for (int i = 1; i < attempts && d < maxNanos; i++) d *= 2;
        return Math.min(d, maxNanos);
    }

    private void promoteExpired() {
        long now = nanoClock.getAsLong();
        for (Iterator<Map.Entry<String, Long>> it = backoff.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            if (e.getValue() - now <= 0) {
                active.add(e.getKey());
                it.remove();
            }
        }
    }

    private long nextExpiryIn() {
        long now = nanoClock.getAsLong();
        long min = Long.MAX_VALUE;
        for (long t : backoff.values()) min = Math.min(min, Math.max(0, t - now));
        return min;
    }
}
