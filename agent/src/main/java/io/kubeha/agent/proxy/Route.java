package io.kubeha.agent.proxy;

import java.time.Duration;
import java.util.List;

/**
 * What a listener forwards to: the endpoints that take new connections now (ready ones, or, when none is ready,
 * the serving ones that are terminating, as kube-proxy does), the ClientIP session affinity timeout (zero: none), and
 * the address connections to the endpoints come from.
 * <p>
 * As kube-proxy's rules: traffic to a ClusterIP, and to a node port whose externalTrafficPolicy is Local, keeps its
 * client's address (no SNAT); traffic to a node port with the Cluster policy is masqueraded to the node's IP, since
 * its endpoint may be on another node and must answer through this one. A user-space proxy can only keep an address
 * that is one of the machine's own (so a loopback client's); otherwise the kernel picks the source.
 *
 * @param service    the service port, "namespace/name:port", for logs
 * @param masquerade the address to connect to endpoints from, or null to keep the client's where that can be done
 */
record Route(String service, List<Backend> backends, Duration affinity, String masquerade) {
    Route {
        backends = List.copyOf(backends);
    }

    /** A route that keeps its clients' addresses. */
    Route(String service, List<Backend> backends, Duration affinity) {
        this(service, backends, affinity, null);
    }

    /**
     * Where a connection or flow of {@code client} to an endpoint should come from: the masquerade address, the
     * client's own when it is an address of this machine (loopback), else null (the kernel's choice).
     */
    java.net.InetAddress sourceFor(java.net.InetAddress client) {
        if (masquerade != null) {
            try {
                return java.net.InetAddress.getByName(masquerade);
            } catch (java.net.UnknownHostException e) {
                return null;
            }
        }
        return client != null && client.isLoopbackAddress() ? client : null;
    }
}
