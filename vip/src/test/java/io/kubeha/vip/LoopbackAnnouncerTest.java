package io.kubeha.vip;

import io.kubeha.testkit.Ports;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The loopback VIP with real sockets: forwarding both ways while held, nothing listening once released, one holder per address. */
class LoopbackAnnouncerTest {
    @Test
    void forwardsWhileHeldAndDropsEverythingOnRelease() throws Exception {
        InetAddress vipIp = InetAddress.getByName("127.10.102.21");
        int vipPort = Ports.free(vipIp);
        try (ServerSocket api = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread.ofVirtual().start(() -> echo(api));
            LoopbackAnnouncer vip = new LoopbackAnnouncer(new InetSocketAddress(vipIp, vipPort),
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), api.getLocalPort()));
            assertThatThrownBy(() -> new Socket(vipIp, vipPort).close()).isInstanceOf(ConnectException.class);
            vip.hold();
            vip.hold(); // idempotent
            assertThat(vip.holding()).isTrue();
            try (Socket c = new Socket(vipIp, vipPort)) {
                c.getOutputStream().write("hello\n".getBytes(StandardCharsets.UTF_8));
                assertThat(readLine(c.getInputStream())).isEqualTo("hello");
                // a second holder of the same address is refused with a message that says what to do
                LoopbackAnnouncer other = new LoopbackAnnouncer(new InetSocketAddress(vipIp, vipPort),
                        new InetSocketAddress(InetAddress.getLoopbackAddress(), api.getLocalPort()));
                assertThatThrownBy(other::hold).isInstanceOf(IOException.class).hasMessageContaining("another process holds it");
                vip.release();
                assertThat(vip.holding()).isFalse();
                // the relayed connection is closed, so the client reconnects to the next holder
                assertThat(c.getInputStream().read()).isEqualTo(-1);
            }
            assertThatThrownBy(() -> new Socket(vipIp, vipPort).close()).isInstanceOf(ConnectException.class);
        }
    }

    private static void echo(ServerSocket api) {
        while (!api.isClosed()) {
            try {
                Socket s = api.accept();
                Thread.ofVirtual().start(() -> {
                    try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                        in.transferTo(out);
                    } catch (IOException ignored) {
                        // closed
                    }
                });
            } catch (IOException e) {
                return;
            }
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int b; (b = in.read()) != -1 && b != '\n'; ) sb.append((char) b);
        return sb.toString();
    }
}
