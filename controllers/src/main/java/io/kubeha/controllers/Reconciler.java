package io.kubeha.controllers;

import java.time.Duration;

/** Brings one object (by key, namespace/name or name) to its desired state; must be safe to run again at any time. */
@FunctionalInterface
public interface Reconciler {
    /** @return when to look again even without an event (null or zero: only on events); throw to retry with back-off */
    Duration reconcile(String key) throws Exception;
}
