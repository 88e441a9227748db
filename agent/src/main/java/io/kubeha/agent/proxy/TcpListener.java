package io.kubeha.agent.proxy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.StandardSocketOptions;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP listener: each accepted connection is forwarded to an endpoint (round robin, another one tried when a
 * connect fails or times out), then two virtual threads copy the bytes each way. When one side ends its stream,
 * the other side's output is shut down (half-close), so request/response protocols that close their sending side
 * work; the connection is closed once both directions ended or either failed. With no endpoint, the client's
 * connection is reset, as kube-proxy rejects connections to a service without endpoints.
 */
final class TcpListener extends Listener {
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    private volatile ServerSocket server;
    private volatile Thread acceptor;
    private volatile boolean closed;
    private volatile boolean cutting;

    TcpListener(ListenerKey key, Route route, ServiceProxy.Config config, LogOnce logs) {
        super(key, route, config, logs);
    }

    @Override
    void start() throws IOException {
        ServerSocket s = new ServerSocket();
        try {
            s.setReuseAddress(true);
            if (key.shared()) s.setOption(StandardSocketOptions.SO_REUSEPORT, true);
            s.bind(new InetSocketAddress(key.ip(), key.port()), 512);
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
        server = s;
        acceptor = Thread.ofVirtual().name("proxy-accept-" + key).start(this::acceptLoop);
    }

    private void acceptLoop() {
        ServerSocket s = server;
        while (!closed) {
            Socket client;
            try {
                client = s.accept();
            } catch (IOException e) {
                if (closed || s.isClosed()) return;
                logs.warn("accept " + key, LogOnce.cause(e), "proxy " + key + ": accept failed: " + LogOnce.cause(e));
                Listener.pause(); // out of file descriptors, say: do not spin
                continue;
            }
            Thread.ofVirtual().name("proxy-conn-" + key).start(() -> forward(client));
        }
    }

    private void forward(Socket client) {
        Route r = route;
        List<Backend> order = balancer.order(r, client.getInetAddress());
        if (order.isEmpty()) {
            logs.warn("none " + key, "no endpoints", "proxy " + key + " (" + r.service() + "): no ready endpoints, rejecting connections");
            reset(client);
            return;
        }
        Socket upstream = null;
        Backend chosen = null;
        for (Backend b : order) {
            Socket s = new Socket();
            try {
                bindSource(s, r.sourceFor(client.getInetAddress()));
                s.connect(b.address(), (int) config.connectTimeout().toMillis());
                upstream = s;
                chosen = b;
                logs.recovered("endpoint " + b, "proxy: endpoint " + b + " of " + r.service() + " accepts connections again");
                break;
            } catch (IOException e) {
                close(s);
                logs.warn("endpoint " + b, LogOnce.cause(e), "proxy " + key + " (" + r.service() + "): connect to endpoint " + b
                        + " failed (" + LogOnce.cause(e) + "), trying another");
            }
        }
        if (upstream == null) {
            reset(client);
            return;
        }
        logs.recovered("none " + key, null);
        balancer.used(r, client.getInetAddress(), chosen);
        Connection c = new Connection(client, upstream);
        connections.add(c);
        if (cutting) {
            // the proxy stopped while this connection was being set up
            c.close();
            return;
        }
        c.start();
    }

    /** Connects from {@code source} when it can (see {@link Route#sourceFor}); else the kernel picks. */
    private static void bindSource(Socket s, java.net.InetAddress source) {
        if (source == null) return;
        try {
            // an ephemeral port in TIME_WAIT with another endpoint may be taken again, as connect() would
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(source, 0));
        } catch (IOException e) {
            // not an address of this machine (any more): the kernel's choice will do
        }
    }

    /** A client connection and its upstream, copied both ways. */
    private final class Connection {
        private final Socket client;
        private final Socket upstream;
        private final AtomicInteger ended = new AtomicInteger();

        Connection(Socket client, Socket upstream) {
            this.client = client;
            this.upstream = upstream;
        }

        void start() {
            try {
                client.setTcpNoDelay(true);
                upstream.setTcpNoDelay(true);
            } catch (SocketException ignored) {
                // a socket that cannot take options is closed already: the copy threads find out
            }
            Thread.ofVirtual().name("proxy-up-" + key).start(() -> copy(client, upstream));
            Thread.ofVirtual().name("proxy-down-" + key).start(() -> copy(upstream, client));
        }

        private void copy(Socket from, Socket to) {
            byte[] buf = new byte[16 * 1024];
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                int n;
                while ((n = in.read(buf)) >= 0) {
                    out.write(buf, 0, n);
                }
                to.shutdownOutput();
                if (ended.incrementAndGet() == 2) close();
            } catch (IOException e) {
                // a reset or a closed socket on either side ends the whole connection
                close();
            }
        }

        void close() {
            connections.remove(this);
            TcpListener.close(client);
            TcpListener.close(upstream);
        }
    }

    /** Closes with SO_LINGER 0: the peer sees a reset (connection refused-like), not an orderly end. */
    private static void reset(Socket s) {
        try {
            s.setSoLinger(true, 0);
        } catch (SocketException ignored) {
            // closed already
        }
        close(s);
    }

    private static void close(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // nothing left to release
        }
    }

    @Override
    void close(boolean cutOpen) {
        closed = true;
        cutting = cutOpen;
        ServerSocket s = server;
        if (s != null) {
            try {
                s.close();
            } catch (IOException ignored) {
                // the socket is released either way
            }
        }
        awaitEnd(acceptor);
        if (cutOpen) List.copyOf(connections).forEach(Connection::close);
    }
}
