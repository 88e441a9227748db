package io.kubeha.agent.proxy;

import java.net.InetSocketAddress;

/**
 * One endpoint of a service port: the address and port a connection is forwarded to, and the node the endpoint
 * runs on (for the Local traffic policies).
 */
record Backend(String ip, int port, String nodeName) {
    InetSocketAddress address() {
        return new InetSocketAddress(ip, port);
    }

    @Override
    public String toString() {
        return ip + ":" + port;
    }
}
