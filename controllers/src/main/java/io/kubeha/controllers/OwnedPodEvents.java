package io.kubeha.controllers;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;

import java.time.Duration;
import java.util.Objects;
import java.util.function.Predicate;
import java.util.function.ToIntFunction;

/**
 * The pod event handlers of a controller that owns pods through a controller reference and counts its creates and
 * deletes with {@link Expectations} (kube's ReplicaSet and DaemonSet addPod / updatePod / deletePod): only
 * bookkeeping of expectations and enqueueing owner keys, never a write. A pod wakes its owner; an orphan wakes
 * every owner whose selector matches it (one of them may adopt it); a pod whose controller reference changed also
 * wakes the old owner (it lost a pod); a pod that became ready wakes its owner again once minReadySeconds have
 * passed (it becomes available then).
 *
 * @param <O> the owner kind
 */
public final class OwnedPodEvents<O extends HasMetadata> {
    private final WorkQueue queue;
    private final Expectations expectations;
    private final OwnerLookup<O> owners;
    private final ToIntFunction<O> minReadySeconds;
    private final Predicate<Pod> ready;

    public OwnedPodEvents(WorkQueue queue, Expectations expectations, OwnerLookup<O> owners,
                          ToIntFunction<O> minReadySeconds, Predicate<Pod> ready) {
        this.queue = queue;
        this.expectations = expectations;
        this.owners = owners;
        this.minReadySeconds = minReadySeconds;
        this.ready = ready;
    }

    public void added(Pod pod) {
        if (pod.getMetadata().getDeletionTimestamp() != null) {
            // seen for the first time already being deleted: count it as deleted so expectations are met
            deleted(pod);
            return;
        }
        OwnerReference ref = OwnerRefs.controllerOf(pod);
        if (ref == null) {
            owners.selecting(pod).forEach(o -> queue.add(InformerController.key(o)));
            return;
        }
        O owner = owners.resolve(pod.getMetadata().getNamespace(), ref);
        if (owner != null) {
            expectations.creationObserved(InformerController.key(owner));
            queue.add(InformerController.key(owner));
        }
    }

    public void updated(Pod oldPod, Pod newPod) {
        if (Objects.equals(oldPod.getMetadata().getResourceVersion(), newPod.getMetadata().getResourceVersion())) {
            return; // a resync: nothing changed
        }
        boolean labelsChanged = !Objects.equals(oldPod.getMetadata().getLabels(), newPod.getMetadata().getLabels());
        if (newPod.getMetadata().getDeletionTimestamp() != null) {
            // a graceful delete is observed when it starts, not when the pod is finally gone
            deleted(newPod);
            if (labelsChanged) {
                deleted(oldPod);
            }
            return;
        }
        OwnerReference oldRef = OwnerRefs.controllerOf(oldPod), newRef = OwnerRefs.controllerOf(newPod);
        boolean refChanged = !Objects.equals(oldRef, newRef);
        if (refChanged && oldRef != null) {
            O old = owners.resolve(oldPod.getMetadata().getNamespace(), oldRef);
            if (old != null) {
                queue.add(InformerController.key(old));
            }
        }
        if (newRef != null) {
            O owner = owners.resolve(newPod.getMetadata().getNamespace(), newRef);
            if (owner != null) {
                String key = InformerController.key(owner);
                queue.add(key);
                int minReady = minReadySeconds.applyAsInt(owner);
                if (minReady > 0 && !ready.test(oldPod) && ready.test(newPod)) {
                    // becomes available later: look again then
                    queue.addAfter(key, Duration.ofSeconds(minReady).plusSeconds(1));
                }
            }
            return;
        }
        if (labelsChanged || refChanged) {
            owners.selecting(newPod).forEach(o -> queue.add(InformerController.key(o)));
        }
    }

    public void deleted(Pod pod) {
        O owner = owners.controllerOf(pod);
        if (owner != null) {
            expectations.deletionObserved(InformerController.key(owner), InformerController.key(pod));
            queue.add(InformerController.key(owner));
        }
    }
}
