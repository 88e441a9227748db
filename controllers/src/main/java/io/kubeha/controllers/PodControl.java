package io.kubeha.controllers;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClientException;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.function.IntFunction;

/**
 * Creating and deleting an owner's pods in parallel with its {@link Expectations} kept honest (kube's
 * RealPodControl with slowStartBatch): a create or delete that fails will never be observed by the informer, so
 * it is observed here at once, and the owner's next sync is not held up waiting for it.
 */
public final class PodControl {
    private final ControllerContext ctx;
    private final Expectations expectations;
    private final EventRecorder events;

    public PodControl(ControllerContext ctx, Expectations expectations, EventRecorder events) {
        this.ctx = ctx;
        this.expectations = expectations;
        this.events = events;
    }

    /**
     * Creates {@code count} pods ({@code pod.apply(i)} for the i-th) in slow-start batches of 1, 2, 4, ...: the
     * first batch with a failure stops the rest (not expected any more, retried by a later sync) and records one
     * FailedCreate event. Throws {@link ControllerContext.NotLeaderException} once the lease is lost.
     *
     * @return the first failure, or null when every pod was created
     */
    public Exception createPods(HasMetadata owner, String key, int count, IntFunction<Pod> pod) throws InterruptedException {
        int pos = 0, batch = 1;
        while (pos < count) {
            int size = Math.min(batch, count - pos);
            if (!ctx.isActing()) {
                unexpectCreates(key, count - pos);
                throw new ControllerContext.NotLeaderException();
            }
            ConcurrentLinkedQueue<Exception> errors = new ConcurrentLinkedQueue<>();
            CountDownLatch done = new CountDownLatch(size);
            for (int i = pos; i < pos + size; i++) {
                int index = i;
                Thread.ofVirtual().start(() -> {
                    try {
                        ctx.checkActing();
                        Pod created = ctx.client().pods().inNamespace(owner.getMetadata().getNamespace()).resource(pod.apply(index)).create();
                        events.normal(owner, "SuccessfulCreate", "Created pod: " + created.getMetadata().getName());
                    } catch (Exception e) {
                        // never to be observed: do not wait for it
                        expectations.creationObserved(key);
                        errors.add(e);
                    } finally {
                        done.countDown();
                    }
                });
            }
            done.await();
            pos += size;
            if (!errors.isEmpty()) {
                // the rest are skipped: do not wait for them either
                unexpectCreates(key, count - pos);
                Exception first = errors.peek();
                events.warning(owner, "FailedCreate", "Error creating: " + first.getMessage());
                return first;
            }
            batch = size * 2;
        }
        return null;
    }

    private void unexpectCreates(String key, int n) {
        for (int i = 0; i < n; i++) {
            expectations.creationObserved(key);
        }
    }

    /**
     * Deletes the pods all at once. A pod already gone (404) is no failure; a failed delete is observed at once.
     *
     * @return the failures, in no particular order (empty when every delete went out)
     */
    public List<Exception> deletePods(HasMetadata owner, String key, List<Pod> victims) throws InterruptedException {
        ConcurrentLinkedQueue<Exception> errors = new ConcurrentLinkedQueue<>();
        CountDownLatch done = new CountDownLatch(victims.size());
        for (Pod pod : victims) {
            Thread.ofVirtual().start(() -> {
                try {
                    ctx.checkActing();
                    ctx.client().pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName()).delete();
                    events.normal(owner, "SuccessfulDelete", "Deleted pod: " + pod.getMetadata().getName());
                } catch (Exception e) {
                    expectations.deletionObserved(key, InformerController.key(pod));
                    if (!(e instanceof KubernetesClientException k && k.getCode() == 404)) {
                        errors.add(e);
                    }
                } finally {
                    done.countDown();
                }
            });
        }
        done.await();
        return new ArrayList<>(errors);
    }
}
