package io.kubeha.controllers;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A TCP proxy in front of the API server that delivers watch streams late (every byte the server sends on a
 * connection that has carried a watch request arrives {@code delay} later), so a client's informer cache lags
 * behind its own writes: the slow cache that expectations exist for.
 */
final class SlowWatchProxy implements AutoCloseable {
    private record Chunk(long due, byte[] bytes) {
    }

    private final ServerSocket server;
    private final InetSocketAddress upstream;
    private final long delayNanos;
    private volatile boolean closed;

    SlowWatchProxy(InetSocketAddress upstream, Duration delay) throws IOException {
        this.upstream = upstream;
        this.delayNanos = delay.toNanos();
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(this::accept);
    }

    String url() {
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    private void accept() {
        while (!closed) {
            try {
                Socket client = server.accept();
                Socket up = new Socket(upstream.getAddress(), upstream.getPort());
                boolean[] watch = {false};
                Thread.ofVirtual().start(() -> pump(client, up, watch, true));
                Thread.ofVirtual().start(() -> pump(up, client, watch, false));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void pump(Socket from, Socket to, boolean[] watch, boolean request) {
        LinkedBlockingQueue<Chunk> queue = new LinkedBlockingQueue<>();
        Thread writer = Thread.ofVirtual().start(() -> {
            try (OutputStream out = to.getOutputStream()) {
                while (true) {
                    Chunk c = queue.take();
                    if (c.bytes().length == 0) {
                        return;
                    }
                    long wait = c.due() - System.nanoTime();
                    if (wait > 0) {
                        Thread.sleep(Duration.ofNanos(wait));
                    }
                    out.write(c.bytes());
                    out.flush();
                }
            } catch (IOException | InterruptedException e) {
                // connection gone
            } finally {
                close(from);
                close(to);
            }
        });
        try (InputStream in = from.getInputStream()) {
            byte[] buf = new byte[16384];
            int n;
            while ((n = in.read(buf)) > 0) {
                byte[] bytes = Arrays.copyOf(buf, n);
                if (request && new String(bytes, StandardCharsets.ISO_8859_1).contains("watch=true")) {
                    watch[0] = true;
                }
                long due = !request && watch[0] ? System.nanoTime() + delayNanos : 0;
                queue.add(new Chunk(due, bytes));
            }
        } catch (IOException e) {
            // connection gone
        } finally {
            queue.add(new Chunk(0, new byte[0]));
        }
        try {
            writer.join(Duration.ofSeconds(10));
        } catch (InterruptedException ignored) {
            Thread.currentThread().interrupt();
        }
    }

    private static void close(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
    }
}
