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
 * @param evictionRate       nodes per second of one zone that may be newly tainted NoExecute while the zone is healthy
 *                           (or wholly down) ({@code --node-eviction-rate}, 0.1)
 * @param secondaryEvictionRate the same while the zone is partially disrupted ({@code --secondary-node-eviction-rate},
 *                           0.01; 0 in zones of at most {@code largeClusterSizeThreshold} nodes)
 * @param largeClusterSizeThreshold {@code --large-cluster-size-threshold}, 50
 * @param unhealthyZoneThreshold the share of not-Ready nodes (and at least 3) from which a zone is partially
 *                           disrupted ({@code --unhealthy-zone-threshold}, 0.55)
 */
public record NodeLifecycleOptions(Duration monitorPeriod, Duration monitorGracePeriod, Duration startupGracePeriod,
                                   double evictionRate, double secondaryEvictionRate, int largeClusterSizeThreshold,
                                   double unhealthyZoneThreshold) {
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
        if (!(evictionRate >= 0) || !(secondaryEvictionRate >= 0) || Double.isInfinite(evictionRate) || Double.isInfinite(secondaryEvictionRate)) {
            throw new IllegalArgumentException("node eviction rates must be finite and not negative, got " + evictionRate
                    + " and " + secondaryEvictionRate);
        }
        if (largeClusterSizeThreshold < 0) {
            throw new IllegalArgumentException("large cluster size threshold must not be negative, got " + largeClusterSizeThreshold);
        }
        if (!(unhealthyZoneThreshold > 0 && unhealthyZoneThreshold <= 1)) {
            throw new IllegalArgumentException("unhealthy zone threshold must be in (0, 1], got " + unhealthyZoneThreshold);
        }
    }

    /** The periods given, Kubernetes' eviction rates and zone thresholds. */
    public NodeLifecycleOptions(Duration monitorPeriod, Duration monitorGracePeriod, Duration startupGracePeriod) {
        this(monitorPeriod, monitorGracePeriod, startupGracePeriod, 0.1, 0.01, 50, 0.55);
    }

    /** Kubernetes' current defaults: 5s, 50s, 60s; 0.1 and 0.01 nodes per second, 50 nodes, 0.55. */
    public static NodeLifecycleOptions defaults() {
        return new NodeLifecycleOptions(Duration.ofSeconds(5), Duration.ofSeconds(50), Duration.ofSeconds(60));
    }

    public NodeLifecycleOptions withEviction(double rate, double secondaryRate, int largeClusterSizeThreshold, double unhealthyZoneThreshold) {
        return new NodeLifecycleOptions(monitorPeriod, monitorGracePeriod, startupGracePeriod, rate, secondaryRate,
                largeClusterSizeThreshold, unhealthyZoneThreshold);
    }
}
