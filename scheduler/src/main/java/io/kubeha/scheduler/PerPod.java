package io.kubeha.scheduler;

import io.fabric8.kubernetes.api.model.Pod;

import java.util.function.Function;

/**
 * What a filter derives from the pod alone (its requests, host ports, parsed affinity), computed once for the pod
 * being scheduled instead of once per node: kube-scheduler computes these in PreFilter and keeps them in the cycle's
 * state. Keyed by the pod object's identity (informer objects are replaced, never changed in place); holds the last
 * pod only. Safe to share between threads: the pod and its value are published together.
 */
final class PerPod<T> {
    private record Entry<T>(Pod pod, T value) { }

    private final Function<Pod, T> compute;
    private volatile Entry<T> last;

    PerPod(Function<Pod, T> compute) {
        this.compute = compute;
    }

    T get(Pod pod) {
        Entry<T> e = last;
        if (e != null && e.pod() == pod) return e.value();
        T value = compute.apply(pod);
        last = new Entry<>(pod, value);
        return value;
    }
}
