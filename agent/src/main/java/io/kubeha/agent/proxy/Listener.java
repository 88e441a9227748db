package io.kubeha.agent.proxy;

import java.io.IOException;

/**
 * One bound socket of the proxy (a ClusterIP or node port, TCP or UDP) and what it forwards to. The route is
 * replaced as endpoints change: new connections follow it, connections already open keep their endpoint.
 */
abstract sealed class Listener permits TcpListener, UdpListener {
    final ListenerKey key;
    final ServiceProxy.Config config;
    final LogOnce logs;
    final Balancer balancer;
    volatile Route route;

    Listener(ListenerKey key, Route route, ServiceProxy.Config config, LogOnce logs) {
        this.key = key;
        this.route = route;
        this.config = config;
        this.logs = logs;
        this.balancer = new Balancer(config.maxConnectAttempts(), System::nanoTime);
    }

    static Listener of(ListenerKey key, Route route, ServiceProxy.Config config, LogOnce logs) {
        return key.protocol().equals("UDP") ? new UdpListener(key, route, config, logs) : new TcpListener(key, route, config, logs);
    }

    void route(Route route) {
        this.route = route;
    }

    /** Binds the socket and starts serving; an IOException (address in use, say) leaves nothing open. */
    abstract void start() throws IOException;

    /**
     * Stops listening. With {@code cutOpen}, open connections and UDP sessions are closed too (the proxy stops);
     * without, open TCP connections finish on their own, as established flows outlive a service in kube-proxy.
     */
    abstract void close(boolean cutOpen);

    /**
     * Waits (briefly) for the thread blocked on the listening socket to end. A socket closed while a virtual thread
     * waits on it is only released by that thread when it wakes up: until then the kernel still queues connections
     * on it (with SO_REUSEPORT, connections another agent would have taken), which are reset. Waiting makes close()
     * mean "no longer listening".
     */
    static void awaitEnd(Thread t) {
        if (t == null || t == Thread.currentThread()) return;
        try {
            t.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A short pause after an unexpected socket error, so that a lasting one does not make the loop spin. */
    static void pause() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
