package io.kubeha.controllers.nodelifecycle;

import java.time.Duration;
import java.util.Objects;

/**
 * kube-controller-manager's node lifecycle flags, validated here so that a bad combination never reaches the
 * controller.
 *
 * @param monitorPeriod      how often every node's health is checked ({@code --node-monitor-period}, 5s)
 * @param monitorGracePeriod how long a node that has posted status may go without a heartbeat (Lease renewal or
 *                           Ready condition heartbeat) before its conditions become Unknown
 *                           ({@code --node-monitor-grace-period}: 50s, Kubernetes' default since 1.32; 40s before)
 * @param startupGracePeriod the same for a node that never posted a Ready condition
 *                           ({@code --node-startup-grace-period}, 60s)
 */
public record NodeLifecycleOptions(Duration monitorPeriod, Duration monitorGracePeriod, Duration startupGracePeriod) {
    public NodeLifecycleOptions {
        Objects.requireNonNull(monitorPeriod, "monitorPeriod");
        Objects.requireNonNull(monitorGracePeriod, "monitorGracePeriod");
        Objects.requireNonNull(startupGracePeriod, "startupGracePeriod");
        if (!monitorPeriod.isPositive()) {
            throw new IllegalArgumentException("node monitor period must be positive, got " + monitorPeriod);
        }
        if (monitorGracePeriod.compareTo(monitorPeriod) <= 0) {
            throw new IllegalArgumentException("node monitor grace period (" + monitorGracePeriod
                    + ") must be greater than the node monitor period (" + monitorPeriod + ")");
        }
        if (!startupGracePeriod.isPositive()) {
            throw new IllegalArgumentException("node startup grace period must be positive, got " + startupGracePeriod);
        }
    }

    /** Kubernetes' current defaults: 5s, 50s, 60s. */
    public static NodeLifecycleOptions defaults() {
        return new NodeLifecycleOptions(Duration.ofSeconds(5), Duration.ofSeconds(50), Duration.ofSeconds(60));
    }
}
