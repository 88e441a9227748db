package io.kubeha.client.failover;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The client-side balancer with real sockets: servers that greet with their name, stopped for real. */
class ApiServerBalancerTest {
    private final List<AutoCloseable> open = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final java.util.Map<InetSocketAddress, ServerSocket> listeners = new java.util.concurrent.ConcurrentHashMap<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : open.reversed()) c.close();
    }

    /** A server that writes its name to every connection and keeps it open. */
    private InetSocketAddress server(String name) throws IOException {
        ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        open.add(s);
        Thread.ofVirtual().start(() -> {
            while (!s.isClosed()) {
                try {
                    Socket c = s.accept();
                    open.add(c);
                    c.getOutputStream().write((name + "\n").getBytes(StandardCharsets.UTF_8));
                    c.getOutputStream().flush();
                } catch (IOException e) {
                    return;
                }
            }
        });
        InetSocketAddress at = new InetSocketAddress(InetAddress.getLoopbackAddress(), s.getLocalPort());
        listeners.put(at, s);
        return at;
    }

    /** Closes a server and waits until its port refuses (a close during a blocked accept completes a moment later). */
    private void stop(InetSocketAddress server) throws Exception {
        listeners.get(server).close();
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (System.nanoTime() < deadline) {
            try (Socket probe = new Socket()) {
                probe.connect(server, 500);
            } catch (IOException refused) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError(server + " still accepts connections");
    }

    private static String greeting(ApiServerBalancer lb) throws IOException {
        try (Socket c = new Socket(InetAddress.getLoopbackAddress(), lb.port())) {
            c.setSoTimeout(5_000);
            return readLine(c.getInputStream());
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int b; (b = in.read()) != -1 && b != '\n'; ) sb.append((char) b);
        return sb.toString();
    }

    @Test
    void sticksToAServerAndMovesOnWhenItRefuses() throws Exception {
        InetSocketAddress vip = server("vip");
        InetSocketAddress m1 = server("m1");
        InetSocketAddress m2 = server("m2");
        ApiServerBalancer lb = new ApiServerBalancer(vip, 0).start();
        open.add(lb);
        assertThat(lb.url()).isEqualTo("https://127.0.0.1:" + lb.port());
        assertThat(greeting(lb)).isEqualTo("vip"); // before the Endpoints are known: the server it was given

        lb.servers(List.of(m1, m2));
        assertThat(greeting(lb)).isEqualTo("m1");
        assertThat(greeting(lb)).isEqualTo("m1"); // sticky

        // m1 dies: the next connection goes to m2 at once, and stays there
        stop(m1);
        assertThat(greeting(lb)).isEqualTo("m2");
        assertThat(lb.current()).isEqualTo(m2);
        assertThat(greeting(lb)).isEqualTo("m2");

        // every listed server gone: the server it was started with is the last resort
        stop(m2);
        assertThat(greeting(lb)).isEqualTo("vip");
    }

    @Test
    void aServerLeavingTheListHasItsConnectionsCut() throws Exception {
        InetSocketAddress vip = server("vip");
        InetSocketAddress m1 = server("m1");
        InetSocketAddress m2 = server("m2");
        ApiServerBalancer lb = new ApiServerBalancer(vip, 0).start();
        open.add(lb);
        lb.servers(List.of(m1, m2));
        try (Socket c = new Socket(InetAddress.getLoopbackAddress(), lb.port())) {
            c.setSoTimeout(5_000);
            assertThat(readLine(c.getInputStream())).isEqualTo("m1");
            lb.servers(List.of(m2)); // m1's endpoint lease ran out
            assertThat(c.getInputStream().read()).isEqualTo(-1);
        }
        assertThat(greeting(lb)).isEqualTo("m2");
    }
}
