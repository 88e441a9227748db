package io.kubeha.apiserver;

import io.kubeha.apiserver.alloc.AllocatorConfig;
import io.kubeha.apiserver.alloc.PortRange;
import io.kubeha.apiserver.alloc.ServiceCidr;
import io.kubeha.security.encryption.EncryptionConfig;

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
 * @param defaultNotReadyTolerationSeconds    tolerationSeconds of the {@code node.kubernetes.io/not-ready:NoExecute}
 *                      toleration added to every pod without one (kube-apiserver's
 *                      {@code --default-not-ready-toleration-seconds}, 300)
 * @param defaultUnreachableTolerationSeconds the same for {@code node.kubernetes.io/unreachable:NoExecute}
 *                      ({@code --default-unreachable-toleration-seconds}, 300)
 * @param advertiseAddress the address the rest of the cluster reaches this server by (its endpoint of the kubernetes
 *                      Service), as kube-apiserver's {@code --advertise-address}; null: the bind address, or, when
 *                      that is the wildcard, this machine's first non-loopback IPv4 address (127.0.0.1 if it has none)
 * @param encryption    how objects are stored, per resource: encrypted or as is (kube-apiserver's
 *                      {@code --encryption-provider-config}); null: {@link EncryptionConfig#identity()}, all as is
 */
public record ApiServerConfig(InetSocketAddress bind, String serviceCidr, String nodePortRange, Clock clock,
                              long defaultNotReadyTolerationSeconds, long defaultUnreachableTolerationSeconds,
                              java.net.InetAddress advertiseAddress, ApiSecurity security,
                              EncryptionConfig encryption) {
    public static final String DEFAULT_SERVICE_CIDR = "127.20.0.0/16";
    public static final String DEFAULT_NODE_PORT_RANGE = "30000-32767";
    /** Kubernetes' default for both default tolerations: five minutes. */
    public static final long DEFAULT_TOLERATION_SECONDS = 300;

    public ApiServerConfig {
        Objects.requireNonNull(bind, "bind");
        Objects.requireNonNull(clock, "clock");
        if (encryption == null) encryption = EncryptionConfig.identity();
        ServiceCidr.parse(serviceCidr); // fails early, saying what is wrong
        PortRange.parse(nodePortRange);
        if (defaultNotReadyTolerationSeconds < 0) {
            throw new IllegalArgumentException("default not-ready toleration seconds must not be negative, got " + defaultNotReadyTolerationSeconds);
        }
        if (defaultUnreachableTolerationSeconds < 0) {
            throw new IllegalArgumentException("default unreachable toleration seconds must not be negative, got " + defaultUnreachableTolerationSeconds);
        }
    }

    public ApiServerConfig(InetSocketAddress bind, String serviceCidr, String nodePortRange, Clock clock,
                           long defaultNotReadyTolerationSeconds, long defaultUnreachableTolerationSeconds,
                           java.net.InetAddress advertiseAddress, ApiSecurity security) {
        this(bind, serviceCidr, nodePortRange, clock, defaultNotReadyTolerationSeconds, defaultUnreachableTolerationSeconds,
                advertiseAddress, security, null);
    }

    public ApiServerConfig(InetSocketAddress bind, String serviceCidr, String nodePortRange, Clock clock) {
        this(bind, serviceCidr, nodePortRange, clock, DEFAULT_TOLERATION_SECONDS, DEFAULT_TOLERATION_SECONDS, null, null);
    }

    public ApiServerConfig(InetSocketAddress bind, String serviceCidr, String nodePortRange, Clock clock,
                           long defaultNotReadyTolerationSeconds, long defaultUnreachableTolerationSeconds) {
        this(bind, serviceCidr, nodePortRange, clock, defaultNotReadyTolerationSeconds, defaultUnreachableTolerationSeconds, null, null);
    }

    /** The address the kubernetes Service sends to (kube-apiserver's --advertise-address). */
    public ApiServerConfig withAdvertiseAddress(java.net.InetAddress address) {
        if (address != null && address.isAnyLocalAddress()) {
            throw new IllegalArgumentException("the advertise address must be one the cluster can reach, not " + address.getHostAddress());
        }
        return new ApiServerConfig(bind, serviceCidr, nodePortRange, clock, defaultNotReadyTolerationSeconds,
                defaultUnreachableTolerationSeconds, address, security, encryption);
    }

    /** What the kubernetes Service's endpoint for this server is, once it listens on {@code port}. */
    java.net.InetAddress advertised(java.net.InetAddress bound) {
        if (advertiseAddress != null) return advertiseAddress;
        if (!bound.isAnyLocalAddress()) return bound;
        return firstIpv4();
    }

    /** This machine's first non-loopback, non-link-local IPv4 address of an interface that is up; loopback if it has none. */
    public static java.net.InetAddress firstIpv4() {
        try {
            for (var nic : java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces())) {
                if (!nic.isUp() || nic.isLoopback()) continue;
                for (var a : java.util.Collections.list(nic.getInetAddresses())) {
                    if (a instanceof java.net.Inet4Address && !a.isLinkLocalAddress()) return a;
                }
            }
        } catch (java.net.SocketException e) {
            // no interfaces to read: loopback below
        }
        return java.net.InetAddress.getLoopbackAddress();
    }

    public static ApiServerConfig of(InetSocketAddress bind) {
        return new ApiServerConfig(bind, DEFAULT_SERVICE_CIDR, DEFAULT_NODE_PORT_RANGE, Clock.systemUTC());
    }

    public ApiServerConfig withServiceCidr(String cidr) {
        return new ApiServerConfig(bind, cidr, nodePortRange, clock, defaultNotReadyTolerationSeconds, defaultUnreachableTolerationSeconds,
                advertiseAddress, security, encryption);
    }

    public ApiServerConfig withNodePortRange(String range) {
        return new ApiServerConfig(bind, serviceCidr, range, clock, defaultNotReadyTolerationSeconds, defaultUnreachableTolerationSeconds,
                advertiseAddress, security, encryption);
    }

    /** The tolerationSeconds of the default not-ready and unreachable tolerations (DefaultTolerationSeconds). */
    public ApiServerConfig withDefaultTolerationSeconds(long notReady, long unreachable) {
        return new ApiServerConfig(bind, serviceCidr, nodePortRange, clock, notReady, unreachable, advertiseAddress, security, encryption);
    }

    /** Serve HTTPS only, authenticating and authorizing every request. */
    public ApiServerConfig withSecurity(ApiSecurity security) {
        return new ApiServerConfig(bind, serviceCidr, nodePortRange, clock, defaultNotReadyTolerationSeconds,
                defaultUnreachableTolerationSeconds, advertiseAddress, security, encryption);
    }

    /** Encrypt objects at rest as {@code encryption} says (kube-apiserver's --encryption-provider-config). */
    public ApiServerConfig withEncryption(EncryptionConfig encryption) {
        return new ApiServerConfig(bind, serviceCidr, nodePortRange, clock, defaultNotReadyTolerationSeconds,
                defaultUnreachableTolerationSeconds, advertiseAddress, security, encryption);
    }

    AllocatorConfig allocator() {
        return AllocatorConfig.of(serviceCidr).withNodePortRange(PortRange.parse(nodePortRange));
    }
}
