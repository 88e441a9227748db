package io.kubeha.agent.proxy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Tiny servers that stand for pods: they answer each line or datagram with their name and what they got. */
final class Endpoints {
    private Endpoints() {
    }

    /** A TCP server answering every line with "NAME LINE", on as many connections as come. */
    static final class LineServer implements AutoCloseable {
        final String name;
        final InetSocketAddress address;
        private final ServerSocket server;
        private final Set<Socket> open = ConcurrentHashMap.newKeySet();

        LineServer(String name, InetSocketAddress address) throws IOException {
            this.name = name;
            this.address = address;
            server = new ServerSocket();
            server.setReuseAddress(true);
            server.bind(address);
            Thread.ofVirtual().start(this::accept);
        }

        private void accept() {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    open.add(s);
                    Thread.ofVirtual().start(() -> serve(s));
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void serve(Socket s) {
            try (s; var in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
                 var out = new PrintWriter(s.getOutputStream(), true, StandardCharsets.UTF_8)) {
                String line;
                // "who?" is answered with the address the connection came from, as logapi names its client
                while ((line = in.readLine()) != null) out.println(name + " " + (line.equals("who?") ? s.getInetAddress().getHostAddress() : line));
            } catch (IOException ignored) {
                // the client went
            } finally {
                open.remove(s);
            }
        }

        /** The pod dies: its listener and every connection go. */
        @Override
        public void close() throws IOException {
            server.close();
            for (Socket s : open) s.close();
        }
    }

    /** A UDP server answering every datagram with "NAME PAYLOAD". */
    static final class UdpEcho implements AutoCloseable {
        private final DatagramSocket socket;

        UdpEcho(String name, InetSocketAddress address) throws IOException {
            socket = new DatagramSocket(address);
            Thread.ofVirtual().start(() -> {
                byte[] buf = new byte[2048];
                while (!socket.isClosed()) {
                    try {
                        DatagramPacket p = new DatagramPacket(buf, buf.length);
                        socket.receive(p);
                        byte[] answer = (name + " " + new String(buf, 0, p.getLength(), StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
                        socket.send(new DatagramPacket(answer, answer.length, p.getSocketAddress()));
                    } catch (IOException e) {
                        if (socket.isClosed()) return;
                    }
                }
            });
        }

        @Override
        public void close() {
            socket.close();
        }
    }

    /** A client connection that sends lines and reads the answers. */
    static final class Client implements AutoCloseable {
        private final Socket socket;
        private final BufferedReader in;
        private final PrintWriter out;

        Client(InetSocketAddress to) throws IOException {
            socket = new Socket();
            socket.connect(to, 2000);
            socket.setSoTimeout(5000);
            in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            out = new PrintWriter(socket.getOutputStream(), true, StandardCharsets.UTF_8);
        }

        /** Sends a line; the answer, or null when the connection ended. */
        String ask(String line) throws IOException {
            out.println(line);
            return in.readLine();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /** One request on a new connection: the name of the endpoint that answered (null when none did). */
    static String askOnce(InetSocketAddress to) throws IOException {
        try (Client c = new Client(to)) {
            String answer = c.ask("hello");
            return answer == null ? null : answer.split(" ")[0];
        }
    }
}
