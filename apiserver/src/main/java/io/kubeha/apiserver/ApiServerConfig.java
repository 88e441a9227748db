package io.kubeha.apiserver;

import io.kubeha.apiserver.alloc.AllocatorConfig;
import io.kubeha.apiserver.alloc.PortRange;
import io.kubeha.apiserver.alloc.ServiceCidr;

import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.Objects;

/**
 * How one API server runs.
 *
 * @param bind          the address to serve on
 * @param serviceCidr   where ClusterIPs come from; the first address is the {@code kubernetes} Service's. The
 *                      default is a loopback range, so that on one machine no ClusterIP ever leaves it; the
 *                      seed's own network uses 10.0.0.0/24 (kube-dns at 10.0.0.10)
 * @param nodePortRange where NodePorts come from (30000-32767, as Kubernetes)
 * @param clock         the time the server stamps on objects
 */
public record ApiServerConfig(InetSocketAddress bind, String serviceCidr, String nodePortRange, Clock clock) {
    public static final String DEFAULT_SERVICE_CIDR = "127.20.0.0/16";
    public static final String DEFAULT_NODE_PORT_RANGE = "30000-32767";

    public ApiServerConfig {
        Objects.requireNonNull(bind, "bind");
        Objects.requireNonNull(clock, "clock");
        ServiceCidr.parse(serviceCidr); // fails early, saying what is wrong
        PortRange.parse(nodePortRange);
    }

    public static ApiServerConfig of(InetSocketAddress bind) {
        return new ApiServerConfig(bind, DEFAULT_SERVICE_CIDR, DEFAULT_NODE_PORT_RANGE, Clock.systemUTC());
    }

    public ApiServerConfig withServiceCidr(String cidr) {
        return new ApiServerConfig(bind, cidr, nodePortRange, clock);
    }

    public ApiServerConfig withNodePortRange(String range) {
        return new ApiServerConfig(bind, serviceCidr, range, clock);
    }

    AllocatorConfig allocator() {
        return AllocatorConfig.of(serviceCidr).withNodePortRange(PortRange.parse(nodePortRange));
    }
}
