package io.kubeha.dns;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;

/**
 * The cluster DNS, the kube-dns / CoreDNS role: a plain API client that watches services, EndpointSlices and pods
 * through fabric8 informers and answers for the cluster domain on UDP and TCP (one port), forwarding every other
 * name to upstream servers through a small cache. Queries are served on virtual threads, so a slow upstream holds
 * up only the queries waiting for it. {@code /healthz} answers while the server runs, {@code /readyz} once the
 * informers have listed the cluster (until then, cluster names get SERVFAIL rather than a false NXDOMAIN).
 *
 * <p>The client is the caller's: build it with {@code Config.onlyHttpWatches} for kubeha's API server.
 */
public final class DnsServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DnsServer.class);
    private static final Duration TCP_IDLE = Duration.ofSeconds(10);
    private static final int MAX_IN_FLIGHT = 1024;

    private final KubernetesClient client;
    private final DnsConfig config;
    private final LongSupplier nanoClock;
    private final Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
    private final Set<Socket> connections = ConcurrentHashMap.newKeySet();

    private InformerView view;
    private Forwarder forwarder;
    private QueryHandler handler;
    private DatagramSocket udp;
    private ServerSocket tcp;
    private HttpServer health;
    private ExecutorService workers;
    private volatile boolean closed;

    public DnsServer(KubernetesClient client, DnsConfig config) {
        this(client, config, System::nanoTime);
    }

    /** With the clock of the upstream cache: tests age cached answers without waiting. */
    DnsServer(KubernetesClient client, DnsConfig config, LongSupplier nanoClock) {
        this.client = Objects.requireNonNull(client, "client");
        this.config = Objects.requireNonNull(config, "config");
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
    }

    /**
     * Starts the informers, binds the UDP and TCP sockets (and the health endpoint) and returns; answers come
     * from the informers' caches as they fill.
     *
     * @throws UncheckedIOException when an address cannot be bound, with a message that names it
     */
    public synchronized DnsServer start() {
        if (view != null) throw new IllegalStateException("already started");
        view = new InformerView(client);
        List<InetSocketAddress> upstreams = config.upstreams().stream().filter(u -> !isSelf(u)).toList();
        if (upstreams.size() < config.upstreams().size()) {
            LOG.warn("not forwarding to this server itself ({}): it would loop", config.listen().getPort());
        }
        if (!upstreams.isEmpty()) {
            forwarder = new Forwarder(upstreams, config.upstreamTimeout(),
                    new ResponseCache(config.cacheMaxTtl(), config.cacheSize(), nanoClock));
        }
        ClusterZone zone = new ClusterZone(view, config.clusterDomain(), config.recordTtl().toSeconds(),
                System.currentTimeMillis() / 1000);
        handler = new QueryHandler(zone, view, forwarder);
        workers = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("dns-query-", 0).factory());
        try {
            bind();
            if (config.health() != null) startHealth();
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        view.start();
        Thread.ofPlatform().daemon().name("dns-udp").start(this::udpLoop);
        Thread.ofPlatform().daemon().name("dns-tcp").start(this::tcpLoop);
        return this;
    }

    /** An upstream that is this very server (a node whose resolv.conf names the cluster DNS): forwarding would loop. */
    private boolean isSelf(InetSocketAddress u) {
        InetSocketAddress l = config.listen();
        if (l.getPort() == 0 || u.getPort() != l.getPort()) return false;
        if (u.getAddress().equals(l.getAddress())) return true;
        if (!l.getAddress().isAnyLocalAddress()) return false;
        try {
            return u.getAddress().isLoopbackAddress() || u.getAddress().isAnyLocalAddress()
                    || java.net.NetworkInterface.getByInetAddress(u.getAddress()) != null;
        } catch (java.net.SocketException e) {
            return false;
        }
    }

    /** The address DNS is served on (UDP and TCP), with the port actually bound. */
    public InetSocketAddress address() {
        return new InetSocketAddress(config.listen().getAddress(), udp.getLocalPort());
    }

    /** The address of /healthz and /readyz, or null when there is none. */
    public InetSocketAddress healthAddress() {
        return health == null ? null : health.getAddress();
    }

    /** Whether the informers have listed the cluster, so answers for the cluster domain are complete. */
    public boolean ready() {
        return view != null && view.synced() && !closed;
    }

    public DnsConfig config() {
        return config;
    }

    /** One line saying what this server serves, for its start log. */
    public String describe() {
        List<InetSocketAddress> ups = forwarder == null ? List.of() : forwarder.upstreams();
        String up = ups.isEmpty() ? "no upstream (other names are refused)"
                : "other names forwarded to " + ups.stream().map(DnsServer::hostPort).collect(Collectors.joining(","))
                + (config.cacheMaxTtl().isZero() ? " (no cache)" : " (cached up to " + config.cacheMaxTtl().toSeconds() + "s)");
        return "serving " + config.clusterDomain() + " (services, endpoints, pods from " + client.getMasterUrl() + ", TTL "
                + config.recordTtl().toSeconds() + "s) on " + hostPort(address()) + " udp+tcp; " + up
                + (health == null ? "" : "; /healthz and /readyz on " + hostPort(healthAddress()));
    }

    private static String hostPort(InetSocketAddress a) {
        String h = a.getAddress().getHostAddress();
        return (h.contains(":") ? "[" + h + "]" : h) + ":" + a.getPort();
    }

    // ---------------------------------------------------------------- sockets

    /** UDP and TCP on one port; with port 0, a port free for both (the kernel picks the UDP one). */
    private void bind() {
        InetSocketAddress listen = config.listen();
        for (int attempt = 0; ; attempt++) {
            DatagramSocket u = null;
            try {
                u = new DatagramSocket(null);
                u.setReuseAddress(false);
                u.bind(listen);
            } catch (IOException e) {
                if (u != null) u.close();
                throw new UncheckedIOException("cannot listen on " + hostPort(listen) + " (udp): " + e.getMessage(), e);
            }
            InetSocketAddress same = new InetSocketAddress(listen.getAddress(), u.getLocalPort());
            try {
                ServerSocket t = new ServerSocket();
                t.setReuseAddress(true);
                try {
                    t.bind(same, 128);
                } catch (IOException e) {
                    t.close();
                    throw e;
                }
                udp = u;
                tcp = t;
                return;
            } catch (BindException e) {
                u.close();
                if (listen.getPort() != 0 || attempt >= 20) {
                    throw new UncheckedIOException("cannot listen on " + hostPort(same) + " (tcp): " + e.getMessage(), e);
                }
            } catch (IOException e) {
                u.close();
                throw new UncheckedIOException("cannot listen on " + hostPort(same) + " (tcp): " + e.getMessage(), e);
            }
        }
    }

    private void udpLoop() {
        byte[] buf = new byte[65535];
        while (!closed) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                udp.receive(p);
            } catch (IOException e) {
                if (closed) return;
                LOG.warn("udp receive: {}", e.toString());
                continue;
            }
            if (!inFlight.tryAcquire()) continue; // overloaded: a dropped datagram is retried by the client
            byte[] packet = Arrays.copyOfRange(p.getData(), p.getOffset(), p.getOffset() + p.getLength());
            InetSocketAddress from = (InetSocketAddress) p.getSocketAddress();
            try {
                workers.execute(() -> {
                    try {
                        byte[] reply = answer(packet, true);
                        if (reply != null) udp.send(new DatagramPacket(reply, reply.length, from));
                    } catch (IOException e) {
                        if (!closed) LOG.debug("udp reply to {}: {}", from, e.toString());
                    } finally {
                        inFlight.release();
                    }
                });
            } catch (RuntimeException rejected) {
                inFlight.release();
                if (closed) return;
            }
        }
    }

    private void tcpLoop() {
        while (!closed) {
            Socket s;
            try {
                s = tcp.accept();
            } catch (IOException e) {
                if (closed) return;
                LOG.warn("tcp accept: {}", e.toString());
                continue;
            }
            try {
                workers.execute(() -> serveConnection(s));
            } catch (RuntimeException rejected) {
                closeQuietly(s);
                return;
            }
        }
    }

    /** Length-prefixed queries on one connection (RFC 7766), answered in order until EOF or idle timeout. */
    private void serveConnection(Socket s) {
        connections.add(s);
        try (s) {
            s.setSoTimeout((int) TCP_IDLE.toMillis());
            DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream()));
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(s.getOutputStream()));
            while (!closed) {
                int len;
                try {
                    len = in.readUnsignedShort();
                } catch (EOFException | SocketTimeoutException e) {
                    return;
                }
                byte[] packet = new byte[len];
                in.readFully(packet);
                byte[] reply = answer(packet, false);
                if (reply == null) return;
                out.writeShort(reply.length);
                out.write(reply);
                out.flush();
            }
        } catch (SocketException e) {
            // the client went away, or we are closing
        } catch (IOException e) {
            if (!closed) LOG.debug("tcp {}: {}", s.getRemoteSocketAddress(), e.toString());
        } finally {
            connections.remove(s);
        }
    }

    private byte[] answer(byte[] packet, boolean isUdp) {
        try {
            return handler.handle(packet, isUdp);
        } catch (RuntimeException e) {
            // a bug must cost one answer, never the server
            LOG.warn("query failed: {}", e.toString(), e);
            return null;
        }
    }

    // ---------------------------------------------------------------- health

    private void startHealth() {
        try {
            health = HttpServer.create(config.health(), 16);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serve health on " + hostPort(config.health()) + ": " + e.getMessage(), e);
        }
        health.createContext("/healthz", ex -> respond(ex, closed ? 503 : 200, closed ? "closing" : "ok"));
        health.createContext("/readyz", ex -> {
            boolean r = ready();
            respond(ex, r ? 200 : 503, r ? "ok" : "informers not synced");
        });
        health.setExecutor(workers);
        health.start();
    }

    private static void respond(HttpExchange ex, int code, String body) throws IOException {
        byte[] b = (body + "\n").getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        ex.sendResponseHeaders(code, b.length);
        try (OutputStream o = ex.getResponseBody()) {
            o.write(b);
        }
    }

    // ---------------------------------------------------------------- close

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        if (health != null) health.stop(0);
        if (udp != null) udp.close();
        if (tcp != null) closeQuietly(tcp);
        for (Socket s : connections) closeQuietly(s);
        if (workers != null) workers.shutdownNow();
        if (view != null) view.close();
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // closing: nothing to do about it
        }
    }
}
