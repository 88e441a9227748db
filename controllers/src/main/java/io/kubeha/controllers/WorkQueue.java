package io.kubeha.controllers;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A work queue with client-go's guarantees: a key queued several times before it is taken is processed once
 * (dirty set), a key is never handed to two workers at once (processing set; re-added keys wait until
 * {@link #done}), and failed keys come back after a per-key exponential back-off (5ms doubling to 1000s by
 * default, as client-go's default controller rate limiter).
 */
public final class WorkQueue implements AutoCloseable {
    public static final Duration DEFAULT_BASE_DELAY = Duration.ofMillis(5);
    public static final Duration DEFAULT_MAX_DELAY = Duration.ofSeconds(1000);

    private final ArrayDeque<String> queue = new ArrayDeque<>();
    private final Set<String> dirty = new HashSet<>();
    private final Set<String> processing = new HashSet<>();
    private final Map<String, Integer> failures = new HashMap<>();
    private final ScheduledExecutorService delayer;
    private final Duration baseDelay;
    private final Duration maxDelay;
    private boolean shuttingDown;

    /** @param delayer runs delayed adds (injected so tests can control time) */
    public WorkQueue(ScheduledExecutorService delayer, Duration baseDelay, Duration maxDelay) {
        if (baseDelay.isNegative() || baseDelay.isZero() || maxDelay.compareTo(baseDelay) < 0) {
            throw new IllegalArgumentException("need 0 < baseDelay <= maxDelay, got " + baseDelay + ", " + maxDelay);
        }
        this.delayer = delayer;
        this.baseDelay = baseDelay;
        this.maxDelay = maxDelay;
    }

    public WorkQueue(ScheduledExecutorService delayer) {
        this(delayer, DEFAULT_BASE_DELAY, DEFAULT_MAX_DELAY);
    }

    public synchronized void add(String key) {
        if (shuttingDown || !dirty.add(key)) {
            return;
        }
        if (!processing.contains(key)) {
            queue.addLast(key);
            notifyAll();
        }
    }

    public void addAfter(String key, Duration delay) {
        if (delay.isZero() || delay.isNegative()) {
            add(key);
            return;
        }
        synchronized (this) {
            if (shuttingDown) {
                return;
            }
        }
        delayer.schedule(() -> add(key), delay.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Re-adds a key that failed, after its back-off; each call without a {@link #forget} doubles it. */
    public void addRateLimited(String key) {
        addAfter(key, nextBackoff(key));
    }

    /** The delay {@link #addRateLimited} would use now, counting this as one more failure. */
    synchronized Duration nextBackoff(String key) {
        int n = failures.merge(key, 1, Integer::sum) - 1;
        if (n >= 40) {
            return maxDelay;
        }
        long nanos = baseDelay.toNanos() << Math.min(n, 62);
        return nanos <= 0 || nanos > maxDelay.toNanos() || (nanos >> Math.min(n, 62)) != baseDelay.toNanos()
                ? maxDelay : Duration.ofNanos(nanos);
    }

    /** Clears a key's failure count (after a successful reconcile). */
    public synchronized void forget(String key) {
        failures.remove(key);
    }

    public synchronized int numRequeues(String key) {
        return failures.getOrDefault(key, 0);
    }

    /** The next key to work on, blocking; null once the queue is shut down. The caller must call {@link #done}. */
    public synchronized String take() throws InterruptedException {
        while (queue.isEmpty() && !shuttingDown) {
            wait();
        }
        if (shuttingDown) {
            return null;
        }
        String key = queue.pollFirst();
        processing.add(key);
        dirty.remove(key);
        return key;
    }

    public synchronized void done(String key) {
        processing.remove(key);
        if (dirty.contains(key) && !shuttingDown) {
            queue.addLast(key);
            notifyAll();
        }
    }

    public synchronized int length() {
        return queue.size();
    }

    public synchronized void shutDown() {
        shuttingDown = true;
        notifyAll();
    }

    public synchronized boolean isShuttingDown() {
        return shuttingDown;
    }

    @Override
    public void close() {
        shutDown();
    }
}
