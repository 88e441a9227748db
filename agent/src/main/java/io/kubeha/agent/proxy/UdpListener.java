package io.kubeha.agent.proxy;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A UDP listener with a session per client address and port, as conntrack keeps one: the first datagram picks an
 * endpoint (round robin, or the client's of before with ClientIP affinity) and opens an upstream socket connected to
 * it; answers on that socket are sent back to the client from the listening address, so the client sees the
 * service answer. A session ends after {@code udpIdleTimeout} without traffic either way, when its endpoint stops
 * taking new traffic (the next datagram picks another, as kube-proxy flushes UDP conntrack entries of removed
 * endpoints), or when the endpoint's port is unreachable (ICMP), so that the client's retry reaches another one.
 */
final class UdpListener extends Listener {
    private static final int MAX_DATAGRAM = 65_535;
    private final Map<SocketAddress, Session> sessions = new ConcurrentHashMap<>();
    private volatile DatagramSocket socket;
    private volatile Thread receiver;
    private volatile boolean closed;

    UdpListener(ListenerKey key, Route route, ServiceProxy.Config config, LogOnce logs) {
        super(key, route, config, logs);
    }

    @Override
    void start() throws IOException {
        DatagramSocket s = new DatagramSocket(null);
        try {
            s.setReuseAddress(true);
            if (key.shared()) s.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            s.bind(new InetSocketAddress(key.ip(), key.port()));
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
        socket = s;
        receiver = Thread.ofVirtual().name("proxy-udp-" + key).start(this::receiveLoop);
    }

    private void receiveLoop() {
        DatagramSocket s = socket;
        byte[] buf = new byte[MAX_DATAGRAM];
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        while (!closed) {
            try {
                p.setLength(buf.length);
                s.receive(p);
            } catch (IOException e) {
                if (s.isClosed()) return;
                logs.warn("receive " + key, LogOnce.cause(e), "proxy " + key + ": receive failed: " + LogOnce.cause(e));
                Listener.pause();
                continue;
            }
            SocketAddress client = p.getSocketAddress();
            Route r = route;
            Session session = sessions.get(client);
            if (session != null && !r.backends().contains(session.backend)) {
                session.close();
                session = null;
            }
            if (session == null) {
                List<Backend> order = balancer.order(r, p.getAddress());
                if (order.isEmpty()) {
                    logs.warn("none " + key, "no endpoints", "proxy " + key + " (" + r.service() + "): no ready endpoints, dropping datagrams");
                    continue;
                }
                logs.recovered("none " + key, null);
                Backend b = order.get(0);
                try {
                    session = new Session(client, b, r.sourceFor(p.getAddress()));
                } catch (IOException e) {
                    logs.warn("endpoint " + b, LogOnce.cause(e), "proxy " + key + " (" + r.service() + "): cannot reach endpoint " + b + ": "
                            + LogOnce.cause(e));
                    continue;
                }
                balancer.used(r, p.getAddress(), b);
                sessions.put(client, session);
                if (closed) {
                    session.close();
                    return;
                }
                session.start();
            }
            session.send(buf, p.getLength());
        }
    }

    /** One client's flow: an upstream socket connected to its endpoint, and a virtual thread relaying answers. */
    private final class Session {
        private final SocketAddress client;
        private final Backend backend;
        private final DatagramSocket upstream;
        private volatile long lastActive = System.nanoTime();

        Session(SocketAddress client, Backend backend, java.net.InetAddress source) throws IOException {
            this.client = client;
            this.backend = backend;
            this.upstream = source == null ? new DatagramSocket() : bound(source);
            try {
                upstream.connect(backend.address());
                upstream.setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, config.udpIdleTimeout().toMillis())));
            } catch (IOException | RuntimeException e) {
                upstream.close();
                throw e;
            }
        }

        /** A socket sending from {@code source} (see {@link Route#sourceFor}), or from the kernel's choice if it can't. */
        private static DatagramSocket bound(java.net.InetAddress source) throws IOException {
            try {
                return new DatagramSocket(new InetSocketAddress(source, 0));
            } catch (IOException e) {
                return new DatagramSocket();
            }
        }

        void start() {
            Thread.ofVirtual().name("proxy-udp-session-" + key).start(this::relay);
        }

        void send(byte[] data, int length) {
            lastActive = System.nanoTime();
            try {
                upstream.send(new DatagramPacket(data, length));
            } catch (IOException e) {
                logs.warn("endpoint " + backend, LogOnce.cause(e), "proxy " + key + ": sending to endpoint " + backend + " failed: "
                        + LogOnce.cause(e));
                close();
            }
        }

        private void relay() {
            byte[] buf = new byte[MAX_DATAGRAM];
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            long idle = config.udpIdleTimeout().toNanos();
            while (!upstream.isClosed()) {
                try {
                    p.setLength(buf.length);
                    upstream.receive(p);
                    lastActive = System.nanoTime();
                    logs.recovered("endpoint " + backend, "proxy: endpoint " + backend + " answers again");
                    socket.send(new DatagramPacket(buf, p.getLength(), client));
                } catch (SocketTimeoutException e) {
                    if (System.nanoTime() - lastActive >= idle) close();
                } catch (PortUnreachableException e) {
                    logs.warn("endpoint " + backend, "unreachable", "proxy " + key + " (" + route.service() + "): endpoint " + backend
                            + " is not listening");
                    close();
                } catch (IOException e) {
                    if (!upstream.isClosed()) {
                        logs.warn("endpoint " + backend, LogOnce.cause(e), "proxy " + key + ": relaying from endpoint " + backend
                                + " failed: " + LogOnce.cause(e));
                    }
                    close();
                }
            }
        }

        void close() {
            sessions.remove(client, this);
            upstream.close();
        }
    }

    @Override
    void close(boolean cutOpen) {
        closed = true;
        DatagramSocket s = socket;
        if (s != null) s.close();
        awaitEnd(receiver);
        // a UDP session cannot outlive its listening socket: answers are sent from it
        List.copyOf(sessions.values()).forEach(Session::close);
    }
}
