package io.kubeha.vip;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * The VIP without root, on loopback: the holder listens on VIP:PORT (all of 127.0.0.0/8 is the host's, so any
 * process may bind 127.10.102.21) and copies each connection's bytes both ways to its own API server. TLS passes
 * through untouched: clients check the API server's certificate (which names the VIP with --tls-san) and present
 * theirs to it. Releasing closes the listener and every relayed connection, so clients reconnect to the next holder
 * instead of talking on to an API server that may be the reason the address moved.
 */
public final class LoopbackAnnouncer implements Announcer {
    private static final Logger LOG = LoggerFactory.getLogger(LoopbackAnnouncer.class);
    private static final int CONNECT_TIMEOUT_MS = 2_000;

    private final InetSocketAddress vip;
    private final InetSocketAddress target;
    private final io.kubeha.client.net.TcpRelay relay = new io.kubeha.client.net.TcpRelay();
    private volatile ServerSocket listener;

    /**
     * @param vip    the address and port to hold
     * @param target this holder's API server
     */
    public LoopbackAnnouncer(InetSocketAddress vip, InetSocketAddress target) {
        this.vip = vip;
        this.target = target;
    }

    @Override
    public String mode() {
        return "loopback";
    }

    @Override
    public synchronized void hold() throws IOException {
        if (listener != null) return;
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        try {
            s.bind(vip, 512);
        } catch (IOException e) {
            s.close();
            throw new IOException("cannot listen on the VIP " + vip.getAddress().getHostAddress() + ":" + vip.getPort() + " ("
                    + e.getMessage() + "): another process holds it; stop it or pick another --vip", e);
        }
        listener = s;
        Thread.ofVirtual().name("vip-accept").start(() -> accept(s));
        LOG.info("holding the VIP {}:{} (loopback), forwarding to {}:{}", vip.getAddress().getHostAddress(), vip.getPort(),
                target.getAddress().getHostAddress(), target.getPort());
    }

    private void accept(ServerSocket s) {
        while (!s.isClosed()) {
            Socket client;
            try {
                client = s.accept();
            } catch (IOException e) {
                return; // released
            }
            Thread.ofVirtual().name("vip-relay").start(() -> relay(client));
        }
    }

    private void relay(Socket client) {
        Socket upstream;
        try {
            upstream = io.kubeha.client.net.TcpRelay.connect(target, CONNECT_TIMEOUT_MS);
        } catch (IOException e) {
            LOG.debug("VIP: cannot reach the API server {}: {}", target, e.getMessage());
            io.kubeha.client.net.TcpRelay.closeQuietly(client);
            return;
        }
        relay.pipe(client, upstream);
    }

    @Override
    public synchronized void release() {
        ServerSocket s = listener;
        if (s == null) return;
        listener = null;
        io.kubeha.client.net.TcpRelay.closeQuietly(s);
        relay.closeAll();
        LOG.info("released the VIP {}:{}", vip.getAddress().getHostAddress(), vip.getPort());
    }

    @Override
    public boolean holding() {
        return listener != null;
    }
}
