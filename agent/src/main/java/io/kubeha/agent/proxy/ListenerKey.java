package io.kubeha.agent.proxy;

/**
 * Where the proxy listens: an address (a ClusterIP or the node IP), a port and a protocol (TCP or UDP).
 * {@code shared} listeners (ClusterIPs) are bound with SO_REUSEPORT so that every agent of the machine can hold them.
 */
record ListenerKey(String ip, int port, String protocol, boolean shared) {
    @Override
    public String toString() {
        return ip + ":" + port + "/" + protocol;
    }
}
