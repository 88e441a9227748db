package io.kubeha.dns;

import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A tiny authoritative DNS server on a loopback address, standing in for the upstream nameservers (tests never
 * send a packet off this machine). It answers the records it was given, NXDOMAIN with an SOA for other names,
 * over UDP (truncating at 512 bytes, or the query's EDNS size) and TCP, and counts the questions it gets.
 */
final class LocalUpstream implements AutoCloseable {
    private final DatagramSocket udp;
    private final ServerSocket tcp;
    private final Map<String, List<Record>> records = new ConcurrentHashMap<>();
    private final List<String> questions = new CopyOnWriteArrayList<>();
    private final AtomicInteger tcpQueries = new AtomicInteger();
    private volatile boolean closed;

    LocalUpstream(String loopbackAddress) throws IOException {
        InetAddress a = InetAddress.getByName(loopbackAddress);
        if (!a.isLoopbackAddress()) throw new IllegalArgumentException(a + " is not a loopback address");
        DatagramSocket u = null;
        ServerSocket t = null;
        for (int i = 0; i < 20 && t == null; i++) {
            u = new DatagramSocket(new InetSocketAddress(a, 0));
            try {
                t = new ServerSocket(u.getLocalPort(), 16, a);
            } catch (IOException e) {
                u.close();
            }
        }
        if (t == null) throw new IOException("no port free for both udp and tcp on " + a);
        udp = u;
        tcp = t;
        Thread.ofPlatform().daemon().name("upstream-udp").start(this::udpLoop);
        Thread.ofPlatform().daemon().name("upstream-tcp").start(this::tcpLoop);
    }

    InetSocketAddress address() {
        return new InetSocketAddress(udp.getLocalAddress(), udp.getLocalPort());
    }

    /** Answers {@code records} (all of one name and type) from now on. */
    LocalUpstream answer(Record... rs) {
        records.put(key(rs[0].getName(), rs[0].getType()), List.of(rs));
        return this;
    }

    /** How many times a name and type was asked, over either transport. */
    int asked(String name, int type) {
        String k = key(Name.fromConstantString(name), type);
        return (int) questions.stream().filter(k::equals).count();
    }

    int tcpQueries() {
        return tcpQueries.get();
    }

    private static String key(Name n, int type) {
        return n.toString().toLowerCase() + "/" + type;
    }

    private byte[] reply(byte[] packet, int max) throws IOException {
        Message q = new Message(packet);
        Record question = q.getQuestion();
        questions.add(key(question.getName(), question.getType()));
        Message r = new Message(q.getHeader().getID());
        r.getHeader().setFlag(Flags.QR);
        r.getHeader().setFlag(Flags.AA);
        r.getHeader().setFlag(Flags.RA);
        r.addRecord(question, Section.QUESTION);
        List<Record> rs = records.get(key(question.getName(), question.getType()));
        if (rs != null) {
            for (Record rec : rs) r.addRecord(rec, Section.ANSWER);
        } else {
            r.getHeader().setRcode(Rcode.NXDOMAIN);
            Name zone = new Name(question.getName(), question.getName().labels() - 2);
            r.addRecord(new SOARecord(zone, DClass.IN, 60, Name.fromConstantString("ns.example."),
                    Name.fromConstantString("admin.example."), 1, 3600, 600, 86400, 60), Section.AUTHORITY);
        }
        if (q.getOPT() != null) max = Math.max(max, q.getOPT().getPayloadSize());
        return r.toWire(max);
    }

    private void udpLoop() {
        byte[] buf = new byte[65535];
        while (!closed) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                udp.receive(p);
                byte[] out = reply(java.util.Arrays.copyOf(p.getData(), p.getLength()), 512);
                udp.send(new DatagramPacket(out, out.length, p.getSocketAddress()));
            } catch (IOException e) {
                if (closed) return;
            }
        }
    }

    private void tcpLoop() {
        while (!closed) {
            try (Socket s = tcp.accept()) {
                DataInputStream in = new DataInputStream(s.getInputStream());
                DataOutputStream out = new DataOutputStream(s.getOutputStream());
                byte[] packet = new byte[in.readUnsignedShort()];
                in.readFully(packet);
                tcpQueries.incrementAndGet();
                byte[] reply = reply(packet, 65535);
                out.writeShort(reply.length);
                out.write(reply);
                out.flush();
            } catch (IOException e) {
                if (closed) return;
            }
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        udp.close();
        tcp.close();
    }
}
