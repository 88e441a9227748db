package io.kubeha.controllers;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Workers that take keys from a {@link WorkQueue} and reconcile them: success forgets the key's back-off (and
 * requeues after the returned delay, if any), failure requeues it rate-limited. Workers only run while
 * {@code acting} is true (the leader gate): while it is false keys wait, and no worker starts a reconcile.
 */
public final class ReconcileLoop implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ReconcileLoop.class);

    static final Duration GATE_RECHECK = Duration.ofMillis(100);

    private final String name;
    private final WorkQueue queue;
    private final Reconciler reconciler;
    private final BooleanSupplier acting;
    private final int workers;
    private final List<Thread> threads = new ArrayList<>();

    public ReconcileLoop(String name, WorkQueue queue, Reconciler reconciler, int workers, BooleanSupplier acting) {
        if (workers < 1) {
            throw new IllegalArgumentException("workers must be >= 1, got " + workers);
        }
        this.name = name;
        this.queue = queue;
        this.reconciler = reconciler;
        this.workers = workers;
        this.acting = acting;
    }

    public synchronized ReconcileLoop start() {
        for (int i = 0; i < workers; i++) {
            threads.add(Thread.ofVirtual().name(name + "-worker-" + i).start(this::work));
        }
        return this;
    }

    private void work() {
        while (true) {
            String key;
            try {
                key = queue.take();
            } catch (InterruptedException e) {
                return;
            }
            if (key == null) {
                return;
            }
            try {
                if (!acting.getAsBoolean()) {
                    // not acting now (lease not renewed in time): keep the key for when the gate opens again or
                    // the term ends (then the queue is shut down and this worker exits)
                    queue.addAfter(key, GATE_RECHECK);
                    continue;
                }
                Duration again = reconciler.reconcile(key);
                queue.forget(key);
                if (again != null && !again.isZero() && !again.isNegative()) {
                    queue.addAfter(key, again);
                }
            } catch (Exception e) {
                if (queue.isShuttingDown()) {
                    return;
                }
                if (!acting.getAsBoolean()) {
                    queue.addAfter(key, GATE_RECHECK);
                    continue;
                }
                if (isConflict(e)) {
                    // optimistic concurrency at work (a write from a cache a step behind): retried, not news
                    log.debug("{}: reconcile {} met a conflict (requeued): {}", name, key, e.getMessage());
                } else {
                    log.info("{}: reconcile {} failed (requeued, {} failures): {}", name, key, queue.numRequeues(key) + 1, e.toString());
                }
                queue.addRateLimited(key);
            } finally {
                queue.done(key);
            }
        }
    }

    public WorkQueue queue() {
        return queue;
    }

    /** Stops taking keys and interrupts in-flight reconciles; returns once every worker has exited (bounded). */
    @Override
    public void close() {
        queue.shutDown();
        List<Thread> ts;
        synchronized (this) {
            ts = List.copyOf(threads);
        }
        for (Thread t : ts) {
            t.interrupt();
        }
        for (Thread t : ts) {
            try {
                t.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** A 409 from the API server: the object changed since the cache saw it. */
    static boolean isConflict(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof io.fabric8.kubernetes.client.KubernetesClientException k && k.getCode() == 409) return true;
        }
        return false;
    }
}
