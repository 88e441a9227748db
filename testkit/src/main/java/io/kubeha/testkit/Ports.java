package io.kubeha.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;

/**
 * Free TCP ports, found by letting the kernel pick one (bind to port 0) and giving it back. Another process
 * may take a port between our close and the component's bind; callers that start servers should retry on
 * "address already in use" rather than assume the port is still free.
 */
public final class Ports {
    private Ports() {
    }

    /** One free port on {@code address}. */
    public static int free(InetAddress address) {
        return free(address, 1).get(0);
    }

    /**
     * {@code count} distinct free ports on {@code address}. All are held open until every one is found, so the
     * kernel cannot hand out the same port twice.
     */
    public static List<Integer> free(InetAddress address, int count) {
        if (count < 1) throw new IllegalArgumentException("count must be >= 1, was " + count);
        if (!address.isLoopbackAddress()) {
            // tests must only ever talk to this machine
            throw new IllegalArgumentException(address + " is not a loopback address");
        }
        List<ServerSocket> held = new ArrayList<>(count);
        try {
            List<Integer> ports = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                ServerSocket s = new ServerSocket();
                held.add(s);
                // no SO_REUSEADDR: a port in TIME_WAIT is not free for a server that binds without it
                s.setReuseAddress(false);
                s.bind(new InetSocketAddress(address, 0));
                ports.add(s.getLocalPort());
            }
            return List.copyOf(ports);
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on " + address, e);
        } finally {
            for (ServerSocket s : held) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // closing a listening socket that never accepted cannot lose anything
                }
            }
        }
    }

    /** 127.0.0.1 (not "localhost", which may resolve to ::1 first). */
    public static InetAddress loopback() {
        try {
            return InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
        } catch (IOException e) {
            throw new UncheckedIOException(e); // cannot happen: the address is literal
        }
    }
}
