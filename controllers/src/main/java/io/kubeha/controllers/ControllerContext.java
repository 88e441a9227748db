package io.kubeha.controllers;

import io.fabric8.kubernetes.client.KubernetesClient;

import java.time.Clock;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.BooleanSupplier;

/**
 * What a controller gets from the manager: the API client, the leader gate (false as soon as the lease is lost,
 * checked before every write), a clock, a scheduler for delayed requeues, and the worker count.
 */
public record ControllerContext(KubernetesClient client, BooleanSupplier acting, Clock clock,
                                ScheduledExecutorService scheduler, int workers) {
    public boolean isActing() {
        return acting.getAsBoolean();
    }

    /** Throws if this process is no longer the leader, so that no write goes out after the lease is lost. */
    public void checkActing() {
        if (!acting.getAsBoolean()) {
            throw new NotLeaderException();
        }
    }

    public static final class NotLeaderException extends RuntimeException {
        public NotLeaderException() {
            super("not the leader any more: not acting");
        }
    }
}
