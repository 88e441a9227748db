package io.kubeha.client.failover;

import io.kubeha.client.net.TcpRelay;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A client-side load balancer over every API server, k3s's agent load balancer: a local listener
 * (127.0.0.1:PORT) that the component's own client uses as its server, relaying each TCP connection (TLS passing
 * through: every serving certificate names 127.0.0.1) to the current API server, and to the next one as soon as a
 * connection to it is refused or not accepted within {@link #CONNECT_TIMEOUT_MS}. It sticks to one server while that
 * one works, as k3s does (watches and requests then share its cache). The list of servers comes from the
 * {@code kubernetes} Endpoints ({@link #servers(List)}, kept up to date by {@link KubernetesEndpoints}); the server the
 * component was started with (the VIP, say) stays last, tried only when none of the others answers. A server that
 * drops out of the list has its relayed connections cut, so that its clients come back through a live one; a
 * client's watch then resumes from its last resourceVersion, as informers do after any broken connection.
 */
public final class ApiServerBalancer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ApiServerBalancer.class);
    /** How long a server may take to accept a connection before the next is tried. */
    public static final int CONNECT_TIMEOUT_MS = 1_000;
    /** A server that refused is skipped this long (unless all did), so that each new connection does not wait on it. */
    static final long FAILED_FOR_NANOS = 5_000_000_000L;

    private final InetSocketAddress defaultServer;
    private final Map<InetSocketAddress, TcpRelay> relays = new ConcurrentHashMap<>();
    private final Map<InetSocketAddress, Long> failedAt = new ConcurrentHashMap<>();
    private volatile List<InetSocketAddress> servers;
    private volatile InetSocketAddress current;
    private final ServerSocket listener;
    private volatile boolean closed;

    /**
     * @param defaultServer the server the component was given (its kubeconfig's): the first one used, and the last resort
     * @param port          the local port to listen on (0: any free one)
     */
    public ApiServerBalancer(InetSocketAddress defaultServer, int port) throws IOException {
        this.defaultServer = Objects.requireNonNull(defaultServer, "defaultServer");
        this.servers = List.of();
        this.current = defaultServer;
        this.listener = new ServerSocket();
        listener.setReuseAddress(true);
        try {
            listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 512);
        } catch (IOException e) {
            listener.close();
            throw new IOException("the API server load balancer cannot listen on 127.0.0.1:" + port + ": " + e.getMessage(), e);
        }
    }

    public ApiServerBalancer start() {
        Thread.ofVirtual().name("apiserver-balancer").start(this::accept);
        LOG.info("API server load balancer on 127.0.0.1:{}, to {} first", listener.getLocalPort(), describe(defaultServer));
        return this;
    }

    /** The URL the component's client should use. */
    public String url() {
        return "https://127.0.0.1:" + listener.getLocalPort();
    }

    public int port() {
        return listener.getLocalPort();
    }

    /** The server new connections go to now. */
    public InetSocketAddress current() {
        return current;
    }

    /** The live API servers (from the kubernetes Endpoints); connections to a server no longer in the list are cut. */
    public void servers(List<InetSocketAddress> live) {
        List<InetSocketAddress> next = List.copyOf(live);
        List<InetSocketAddress> before = servers;
        if (next.equals(before)) return;
        servers = next;
        LOG.info("API servers: {}", next.stream().map(ApiServerBalancer::describe).toList());
        for (var e : relays.entrySet()) {
            if (!next.contains(e.getKey()) && !e.getKey().equals(defaultServer)) e.getValue().closeAll();
        }
        if (!next.isEmpty() && !next.contains(current)) current = next.getFirst();
    }

    public List<InetSocketAddress> servers() {
        return servers;
    }

    private void accept() {
        while (!closed) {
            Socket client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                return; // closed
            }
            Thread.ofVirtual().name("apiserver-balancer-relay").start(() -> relay(client));
        }
    }

    private void relay(Socket client) {
        for (InetSocketAddress target : candidates()) {
            Socket upstream;
            try {
                upstream = TcpRelay.connect(target, CONNECT_TIMEOUT_MS);
            } catch (IOException e) {
                if (failedAt.put(target, System.nanoTime()) == null || target.equals(current)) {
                    LOG.warn("API server {} does not answer ({}): trying the next", describe(target), e.getMessage());
                }
                continue;
            }
            failedAt.remove(target);
            if (!target.equals(current)) {
                LOG.info("API server load balancer: now to {}", describe(target));
                current = target;
            }
            relays.computeIfAbsent(target, t -> new TcpRelay()).pipe(client, upstream);
            return;
        }
        LOG.warn("no API server answers ({} and the default {}): dropping the connection", servers.stream()
                .map(ApiServerBalancer::describe).toList(), describe(defaultServer));
        TcpRelay.closeQuietly(client);
    }

    /** The current server first, then the other live ones, then the default; those that refused lately after the rest. */
    List<InetSocketAddress> candidates() {
        List<InetSocketAddress> order = new ArrayList<>();
        InetSocketAddress cur = current;
        if (servers.contains(cur) || cur.equals(defaultServer) && servers.isEmpty()) order.add(cur);
        for (InetSocketAddress s : servers) if (!order.contains(s)) order.add(s);
        if (!order.contains(defaultServer)) order.add(defaultServer);
        long now = System.nanoTime();
        List<InetSocketAddress> fresh = new ArrayList<>();
        List<InetSocketAddress> stale = new ArrayList<>();
        for (InetSocketAddress s : order) {
            Long at = failedAt.get(s);
            (at != null && now - at < FAILED_FOR_NANOS ? stale : fresh).add(s);
        }
        fresh.addAll(stale);
        return fresh;
    }

    public static String describe(InetSocketAddress a) {
        return a.getHostString() + ":" + a.getPort();
    }

    @Override
    public void close() {
        closed = true;
        TcpRelay.closeQuietly(listener);
        relays.values().forEach(TcpRelay::closeAll);
    }
}
