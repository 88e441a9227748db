package io.kubeha.agent.pod;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Pod IPs from the node's pod CIDR, one per pod, kept in a folder (a file per address naming its pod's uid) so
 * that a restarted agent gives a running pod the address it had. The network address, the first host address (the
 * node's gateway, as bridge CNI plugins keep it) and the broadcast address are never handed out.
 */
public final class PodIps {
    private final Path dir;
    private final int base;
    private final int size;
    private final Map<String, String> byUid = new HashMap<>();

    public PodIps(String cidr, Path dir) throws IOException {
        String[] parts = cidr.split("/");
        if (parts.length != 2) throw new IllegalArgumentException("pod CIDR " + cidr + ": expected ADDRESS/BITS, e.g. 127.64.1.0/24");
        int bits;
        try {
            bits = Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("pod CIDR " + cidr + ": " + parts[1] + " is not a prefix length");
        }
        if (bits < 8 || bits > 30) throw new IllegalArgumentException("pod CIDR " + cidr + ": prefix length must be 8..30");
        int addr = toInt(parts[0], cidr);
        int mask = (int) (0xffffffffL << (32 - bits));
        this.base = addr & mask;
        this.size = 1 << (32 - bits);
        this.dir = Files.createDirectories(dir);
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                byUid.put(Files.readString(f, StandardCharsets.UTF_8).strip(), f.getFileName().toString());
            }
        }
    }

    /** This pod's address: the one it has, or the lowest free one. */
    public synchronized String allocate(String uid) throws IOException {
        String have = byUid.get(uid);
        if (have != null) return have;
        for (int i = 2; i < size - 1; i++) {
            String ip = toString(base + i);
            Path f = dir.resolve(ip);
            if (!Files.exists(f)) {
                Files.writeString(f, uid, StandardCharsets.UTF_8);
                byUid.put(uid, ip);
                return ip;
            }
        }
        throw new IOException("no free address left in the pod CIDR (" + (size - 3) + " in use)");
    }

    public synchronized void release(String uid) throws IOException {
        String ip = byUid.remove(uid);
        if (ip != null) Files.deleteIfExists(dir.resolve(ip));
    }

    /** The node's gateway address in the CIDR (its first host address). */
    public String gateway() {
        return toString(base + 1);
    }

    private static int toInt(String ip, String cidr) {
        if (!ip.matches("\\d{1,3}(\\.\\d{1,3}){3}")) throw new IllegalArgumentException("pod CIDR " + cidr + ": " + ip + " is not an IPv4 address");
        try {
            InetAddress a = InetAddress.getByName(ip);
            if (!(a instanceof Inet4Address)) throw new IllegalArgumentException("pod CIDR " + cidr + ": IPv4 only");
            byte[] b = a.getAddress();
            return ((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("pod CIDR " + cidr + ": " + ip + " is not an address");
        }
    }

    private static String toString(int v) {
        return ((v >>> 24) & 0xff) + "." + ((v >>> 16) & 0xff) + "." + ((v >>> 8) & 0xff) + "." + (v & 0xff);
    }
}
