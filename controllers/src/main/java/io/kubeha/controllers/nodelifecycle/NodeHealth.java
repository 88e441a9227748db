package io.kubeha.controllers.nodelifecycle;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What kube's node lifecycle controller remembers about each node to judge its health: the Ready heartbeat and
 * the Lease renewTime it last saw, and the "probe time", this controller's own clock reading when either last
 * changed. Health is judged against the probe time, never against the timestamps the node wrote, so a node whose
 * clock is off is judged fairly, and a controller that has just become leader gives every node a full grace period
 * (it has seen nothing change yet, so it counts from now).
 */
final class NodeHealth {
    private record Seen(String heartbeat, boolean hadReady, Instant leaseRenew, Instant probe) {
    }

    private final Map<String, Seen> byNode = new ConcurrentHashMap<>();

    /**
     * Records what the node and its lease (may be null) say at {@code now}, and returns the probe time: when the node
     * was last heard of. As kube's tryUpdateNodeHealth: a node first seen without a Ready condition counts from its
     * creation, any other first sighting from now; a new Ready heartbeat or a newer lease renewal moves it to now.
     */
    Instant observe(Node node, Lease lease, Instant now) {
        String name = node.getMetadata().getName();
        NodeCondition ready = Taints.ready(node);
        String heartbeat = ready == null ? null : ready.getLastHeartbeatTime();
        Seen saved = byNode.get(name);
        Instant probe;
        if (saved == null) {
            probe = ready == null ? created(node, now) : now;
        } else if (saved.hadReady() != (ready != null)) {
            probe = now;
        } else if (ready != null && !Objects.equals(saved.heartbeat(), heartbeat)) {
            probe = now;
        } else {
            probe = saved.probe();
        }
        Instant renew = lease == null || lease.getSpec() == null || lease.getSpec().getRenewTime() == null
                ? null : lease.getSpec().getRenewTime().toInstant();
        Instant savedRenew = saved == null ? null : saved.leaseRenew();
        if (renew != null && (savedRenew == null || renew.isAfter(savedRenew))) {
            probe = now;
            savedRenew = renew;
        }
        byNode.put(name, new Seen(heartbeat, ready != null, savedRenew, probe));
        return probe;
    }

    void forget(String node) {
        byNode.remove(node);
    }

    private static Instant created(Node node, Instant now) {
        String ts = node.getMetadata().getCreationTimestamp();
        try {
            return ts == null ? now : Instant.parse(ts);
        } catch (RuntimeException e) {
            return now;
        }
    }
}
