package io.kubeha.agent.pod;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;

/**
 * Pod IPs from the node's pod CIDR, one per pod. With a folder, each address is kept as a file naming its pod's
 * uid so that a restarted agent gives a running pod the address it had; without one (simulated nodes, whose pods
 * do not outlive the agent) they live in memory only. The network address, the first host address (the node's
 * gateway, as bridge CNI plugins keep it) and the broadcast address are never handed out.
 * <p>
 * Allocation goes round the range from where the last one stopped (as the kube-apiserver's ClusterIP allocator
 * does): amortised O(1) however many are in use, and a released address is not handed out again at once.
 */
public final class PodIps {
    private final Path dir;
    private final int base;
    private final int size;
    private final Map<String, Integer> byUid = new HashMap<>();
    private final BitSet used = new BitSet();
    private int next = 2;

    /** Addresses kept in {@code dir} (null: in memory only). */
    public PodIps(String cidr, Path dir) throws IOException {
        Cidr c = Cidr.parse(cidr);
        this.base = c.base();
        this.size = c.size();
        this.dir = dir == null ? null : Files.createDirectories(dir);
        if (this.dir != null) {
            try (var files = Files.list(this.dir)) {
                for (Path f : files.toList()) {
                    int offset = toInt(f.getFileName().toString(), cidr) - base;
                    if (offset < 0 || offset >= size) continue; // from another CIDR: not ours to hand out
                    byUid.put(Files.readString(f, StandardCharsets.UTF_8).strip(), offset);
                    used.set(offset);
                }
            }
        }
    }

    /** In memory only: for simulated nodes. */
    public static PodIps inMemory(String cidr) {
        try {
            return new PodIps(cidr, null);
        } catch (IOException e) {
            throw new IllegalStateException(e); // no file is touched without a folder
        }
    }

    /** This pod's address: the one it has, or the next free one. */
    public synchronized String allocate(String uid) throws IOException {
        Integer have = byUid.get(uid);
        if (have != null) return toString(base + have);
        int last = size - 2; // the highest host address
        if (byUid.size() >= last - 1) throw new IOException("no free address left in the pod CIDR (" + (size - 3) + " in use)");
        int i = used.nextClearBit(next);
        if (i > last) i = used.nextClearBit(2);
        String ip = toString(base + i);
        if (dir != null) Files.writeString(dir.resolve(ip), uid, StandardCharsets.UTF_8);
        used.set(i);
        byUid.put(uid, i);
        next = i + 1 > last ? 2 : i + 1;
        return ip;
    }

    public synchronized void release(String uid) throws IOException {
        Integer offset = byUid.remove(uid);
        if (offset == null) return;
        used.clear(offset);
        if (dir != null) Files.deleteIfExists(dir.resolve(toString(base + offset)));
    }

    /** The pods holding an address now. */
    public synchronized java.util.Set<String> uids() {
        return java.util.Set.copyOf(byUid.keySet());
    }

    /** Addresses in use. */
    public synchronized int inUse() {
        return byUid.size();
    }

    /** The node's gateway address in the CIDR (its first host address). */
    public String gateway() {
        return toString(base + 1);
    }

    /**
     * An IPv4 CIDR.
     *
     * @param base the network address
     * @param bits the prefix length
     */
    public record Cidr(int base, int bits) {
        /** Parses ADDRESS/BITS (8..30 bits), with a message saying what is wrong. */
        public static Cidr parse(String cidr) {
            String[] parts = cidr.split("/");
            if (parts.length != 2) throw new IllegalArgumentException("pod CIDR " + cidr + ": expected ADDRESS/BITS, e.g. 127.64.1.0/24");
            int bits;
            try {
                bits = Integer.parseInt(parts[1]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("pod CIDR " + cidr + ": " + parts[1] + " is not a prefix length");
            }
            if (bits < 8 || bits > 30) throw new IllegalArgumentException("pod CIDR " + cidr + ": prefix length must be 8..30");
            int mask = (int) (0xffffffffL << (32 - bits));
            return new Cidr(toInt(parts[0], cidr) & mask, bits);
        }

        public int size() {
            return 1 << (32 - bits);
        }

        /** The first host address: the node's gateway, as bridge CNI plugins keep it (never handed to a pod). */
        public String gateway() {
            return PodIps.toString(base + 1);
        }

        /**
         * This range cut into {@code n} equal subnets (the next power of two), the first {@code n} of them, as the
         * node IPAM controller gives each node its own podCIDR from the cluster's.
         */
        public java.util.List<String> split(int n) {
            int extra = 32 - Integer.numberOfLeadingZeros(Math.max(1, n) - 1);
            if (n <= 1) extra = 0;
            int sub = bits + extra;
            if (sub > 30) {
                throw new IllegalArgumentException("pod CIDR " + this + " is too small for " + n + " nodes: each needs at least a /30;"
                        + " give a /" + Math.max(8, 30 - extra) + " or larger (e.g. 10.0.0.0/8)");
            }
            java.util.List<String> out = new java.util.ArrayList<>(n);
            for (int i = 0; i < n; i++) out.add(PodIps.toString(base + (i << (32 - sub))) + "/" + sub);
            return out;
        }

        @Override
        public String toString() {
            return PodIps.toString(base) + "/" + bits;
        }
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
