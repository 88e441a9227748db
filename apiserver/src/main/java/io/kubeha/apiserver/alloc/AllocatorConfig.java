package io.kubeha.apiserver.alloc;

import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link ServiceAllocator} hands out ClusterIPs and NodePorts. Every API server sharing one store must be
 * given the same ranges and key prefix, or they would disagree about what is free.
 *
 * @param serviceCidr   where ClusterIPs come from ({@code --service-cluster-ip-range})
 * @param nodePortRange where NodePorts come from ({@code --service-node-port-range})
 * @param leakGrace     how old an allocation must be before {@link ServiceAllocator#repair} may release it for
 *                      want of a Service: an allocation is written before its Service, so a young one may belong
 *                      to a create still in flight on another API server (kube-apiserver's repair loops wait
 *                      several rounds, minutes, for the same reason)
 * @param keyPrefix     the store prefix under which the per-IP and per-port keys live
 *                      ({@code /registry/ranges} gives {@code /registry/ranges/serviceips/10.0.0.10})
 */
public record AllocatorConfig(ServiceCidr serviceCidr, PortRange nodePortRange, Duration leakGrace, String keyPrefix) {
    public static final Duration DEFAULT_LEAK_GRACE = Duration.ofMinutes(5);
    public static final String DEFAULT_KEY_PREFIX = "/registry/ranges";

    public AllocatorConfig {
        Objects.requireNonNull(serviceCidr, "serviceCidr");
        Objects.requireNonNull(nodePortRange, "nodePortRange");
        Objects.requireNonNull(leakGrace, "leakGrace");
        Objects.requireNonNull(keyPrefix, "keyPrefix");
        if (leakGrace.isNegative()) throw new IllegalArgumentException("leakGrace must not be negative, was " + leakGrace);
        if (!keyPrefix.startsWith("/") || keyPrefix.endsWith("/")) {
            throw new IllegalArgumentException("keyPrefix must start with '/' and not end with one, was '" + keyPrefix + "'");
        }
    }

    /** The given service range with kube-apiserver's default NodePort range 30000-32767. */
    public static AllocatorConfig of(String serviceCidr) {
        return new AllocatorConfig(ServiceCidr.parse(serviceCidr), PortRange.DEFAULT, DEFAULT_LEAK_GRACE, DEFAULT_KEY_PREFIX);
    }

    public AllocatorConfig withNodePortRange(PortRange range) {
        return new AllocatorConfig(serviceCidr, range, leakGrace, keyPrefix);
    }

    public AllocatorConfig withLeakGrace(Duration grace) {
        return new AllocatorConfig(serviceCidr, nodePortRange, grace, keyPrefix);
    }

    public AllocatorConfig withKeyPrefix(String prefix) {
        return new AllocatorConfig(serviceCidr, nodePortRange, leakGrace, prefix);
    }
}
