package io.kubeha.controllers.nodelifecycle;

import io.fabric8.kubernetes.api.model.Node;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Kube's zone-aware pacing of NoExecute tainting: nodes are grouped by zone (topology.kubernetes.io/region and
 * zone labels, or their failure-domain.beta predecessors); each zone is Normal, PartialDisruption (at least 3 and at
 * least the unhealthy threshold of its nodes not Ready) or FullDisruption (none Ready), and may newly taint nodes at
 * its rate: the eviction rate when Normal or fully down, the secondary rate when partially down (0 in small
 * clusters), through a token bucket of burst 1 per zone, on the injected time. Swaps and removals are never paced.
 */
final class Zones {
    enum State { NORMAL, PARTIAL_DISRUPTION, FULL_DISRUPTION }

    private final NodeLifecycleOptions options;
    private final Map<String, Bucket> buckets = new HashMap<>();

    private static final class Bucket {
        double tokens = 1;
        Instant last;

        Bucket(Instant now) {
            last = now;
        }
    }

    Zones(NodeLifecycleOptions options) {
        this.options = options;
    }

    static String zone(Node node) {
        Map<String, String> labels = node.getMetadata().getLabels() == null ? Map.of() : node.getMetadata().getLabels();
        String region = labels.getOrDefault("topology.kubernetes.io/region", labels.getOrDefault("failure-domain.beta.kubernetes.io/region", ""));
        String zone = labels.getOrDefault("topology.kubernetes.io/zone", labels.getOrDefault("failure-domain.beta.kubernetes.io/zone", ""));
        return region + ":\u0000:" + zone;
    }

    /** Kube's ComputeZoneState over the Ready statuses of one zone's nodes (null: no Ready condition). */
    State state(List<String> readyStatuses) {
        int ready = 0, notReady = 0;
        for (String r : readyStatuses) {
            if ("True".equals(r)) {
                ready++;
            } else {
                notReady++;
            }
        }
        if (ready == 0 && notReady > 0) {
            return State.FULL_DISRUPTION;
        }
        if (notReady > 2 && (double) notReady / (notReady + ready) >= options.unhealthyZoneThreshold()) {
            return State.PARTIAL_DISRUPTION;
        }
        return State.NORMAL;
    }

    /** Nodes per second a zone in this state, of this many nodes, may newly taint. */
    double rate(State state, int zoneSize) {
        return switch (state) {
            case NORMAL, FULL_DISRUPTION -> options.evictionRate();
            case PARTIAL_DISRUPTION -> zoneSize > options.largeClusterSizeThreshold() ? options.secondaryEvictionRate() : 0;
        };
    }

    /** Takes a token of the zone's bucket (burst 1, refilled at {@code rate}), if it has one at {@code now}. */
    synchronized boolean tryAcquire(String zone, double rate, Instant now) {
        Bucket b = buckets.computeIfAbsent(zone, z -> new Bucket(now));
        double elapsed = Math.max(0, Duration.between(b.last, now).toNanos()) / 1e9;
        b.tokens = Math.min(1, b.tokens + elapsed * rate);
        if (now.isAfter(b.last)) {
            b.last = now;
        }
        if (b.tokens >= 1) {
            b.tokens -= 1;
            return true;
        }
        return false;
    }
}
