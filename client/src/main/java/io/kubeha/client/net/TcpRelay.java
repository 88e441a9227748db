package io.kubeha.client.net;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Copies bytes both ways between an accepted connection and one opened upstream, each direction on a virtual thread,
 * until either side ends; TLS passes through untouched. Every piped socket is tracked, so that {@link #closeAll()} cuts
 * them at once (a VIP released, a server dropped from a load balancer's list): clients then reconnect, instead of
 * talking on to a server that is the reason for the change.
 */
public final class TcpRelay {
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();

    /** A connection to {@code target}, or an IOException within {@code timeoutMs} (refused, unreachable, no answer). */
    public static Socket connect(InetSocketAddress target, int timeoutMs) throws IOException {
        Socket s = new Socket();
        try {
            s.connect(target, timeoutMs);
            s.setTcpNoDelay(true);
            return s;
        } catch (IOException e) {
            closeQuietly(s);
            throw e;
        }
    }

    /** Pipes {@code client} and {@code upstream} into each other; returns once both directions ended, both closed. */
    public void pipe(Socket client, Socket upstream) {
        open.add(client);
        open.add(upstream);
        try (client; upstream) {
            client.setTcpNoDelay(true);
            Thread back = Thread.ofVirtual().name("relay-back").start(() -> copy(upstream, client));
            copy(client, upstream);
            back.join();
        } catch (IOException e) {
            // a side went away
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            open.remove(client);
            open.remove(upstream);
        }
    }

    /** Copies until EOF, then half-closes the other side so that the peer sees the end too. */
    private static void copy(Socket from, Socket to) {
        byte[] buf = new byte[16 * 1024];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            for (int n; (n = in.read(buf)) >= 0; ) {
                out.write(buf, 0, n);
                out.flush();
            }
            to.shutdownOutput();
        } catch (SocketException e) {
            closeQuietly(to);
            closeQuietly(from);
        } catch (IOException e) {
            closeQuietly(to);
        }
    }

    /** Closes every connection piped now. */
    public void closeAll() {
        for (Socket s : open) closeQuietly(s);
        open.clear();
    }

    public static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // closing anyway
        }
    }
}
