package io.kubeha.controllers.nodeipam;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The ranges of one IPv4 cluster CIDR cut into /maskSize node ranges (kube-controller-manager's cidrset with its
 * range allocator's bookkeeping): which are used, and by which node. Pure and thread-safe (every method holds the
 * lock); the controller feeds it the Nodes it sees.
 *
 * <p>A range is used while any node claims any part of it. A node claims at most one range here: the one it was
 * given ({@link #allocate}) or the one it already had ({@link #occupy}: any prefix length, even one wider or narrower
 * than the mask, marks every node range it overlaps). Two nodes may claim overlapping ranges (both given by hand, or
 * one by hand over one that was allocated): {@link #occupy} says so, and a range stays used until the last node that
 * claims it is gone, so releasing one of the two never frees a range the other still uses.
 */
public final class RangeAllocator {
    /** kube's cidrset limit: at most 2^16 node ranges per cluster CIDR. */
    static final int MAX_SUBNET_BITS = 16;

    private final Cidr cluster;
    private final int maskSize;
    private final int count;
    private final BitSet used;
    /** node name -> [first, last] range index it claims; insertion order kept for stable conflict messages */
    private final Map<String, Claim> claims = new LinkedHashMap<>();

    private record Claim(String cidr, int first, int last) {
        boolean overlaps(Claim o) {
            return first <= o.last && o.first <= last;
        }
    }

    /**
     * @param clusterCidr an IPv4 CIDR, e.g. 10.244.0.0/16 (host bits set are an error, as kube's flag parsing)
     * @param maskSize    the prefix length of each node's range (--node-cidr-mask-size), at least the cluster's, at
     *                    most 30 (a node needs room for pods) and at most 16 more than the cluster's
     */
    public RangeAllocator(String clusterCidr, int maskSize) {
        this.cluster = Cidr.parse(clusterCidr, "--cluster-cidr");
        if (cluster.network() != cluster.base()) {
            throw new IllegalArgumentException("--cluster-cidr " + clusterCidr + ": host bits are set (the network is "
                    + Cidr.text(cluster.network(), cluster.bits()) + ")");
        }
        if (maskSize < cluster.bits()) {
            throw new IllegalArgumentException("--node-cidr-mask-size " + maskSize + " is smaller than the cluster CIDR's prefix length ("
                    + clusterCidr + "): each node's range must fit in the cluster CIDR");
        }
        if (maskSize > 30) {
            throw new IllegalArgumentException("--node-cidr-mask-size " + maskSize + " leaves no room for pods: at most 30");
        }
        if (maskSize - cluster.bits() > MAX_SUBNET_BITS) {
            throw new IllegalArgumentException("--node-cidr-mask-size " + maskSize + " cuts " + clusterCidr + " into more than 2^"
                    + MAX_SUBNET_BITS + " node ranges; give a mask size of at most " + (cluster.bits() + MAX_SUBNET_BITS));
        }
        this.maskSize = maskSize;
        this.count = 1 << (maskSize - cluster.bits());
        this.used = new BitSet(count);
    }

    public String clusterCidr() {
        return cluster.toString();
    }

    public int maskSize() {
        return maskSize;
    }

    /** How many node ranges the cluster CIDR holds. */
    public int capacity() {
        return count;
    }

    /** How many of them no node claims. */
    public synchronized int free() {
        return count - used.cardinality();
    }

    /** What {@link #occupy} found. */
    public record Occupied(boolean inCluster, List<String> conflicts) {
        public Occupied {
            conflicts = List.copyOf(conflicts);
        }
    }

    /**
     * Records that {@code node} holds {@code cidr} (from its spec.podCIDR): every node range it overlaps is used from
     * now on. A node's earlier claim, if different, is released first. A CIDR outside the cluster CIDR is nobody's
     * business here ({@code inCluster} false, nothing recorded).
     *
     * @return whether the CIDR overlaps the cluster CIDR, and the other nodes that claim any part of it
     * @throws IllegalArgumentException if {@code cidr} is not an IPv4 CIDR
     */
    public synchronized Occupied occupy(String node, String cidr) {
        Cidr c = Cidr.parse(cidr, "pod CIDR of node " + node);
        Claim existing = claims.get(node);
        if (existing != null && existing.cidr().equals(c.toString())) return new Occupied(true, conflictsOf(node, existing));
        if (existing != null) release(node);
        long lo = Math.max(c.network() & 0xffffffffL, cluster.network() & 0xffffffffL);
        long hi = Math.min(c.last() & 0xffffffffL, cluster.last() & 0xffffffffL);
        if (lo > hi) return new Occupied(false, List.of());
        Claim claim = new Claim(c.toString(), index(lo), index(hi));
        List<String> conflicts = conflictsOf(node, claim);
        claims.put(node, claim);
        used.set(claim.first(), claim.last() + 1);
        return new Occupied(true, conflicts);
    }

    /**
     * The lowest node range no node claims, now claimed by {@code node}; the node's own claim if it has one already
     * (a patch that failed or that the cache has not seen yet is given the same range again, never a second one).
     *
     * @return empty when every range is used (the cluster CIDR is exhausted)
     */
    public synchronized Optional<String> allocate(String node) {
        Claim existing = claims.get(node);
        if (existing != null) return Optional.of(existing.cidr());
        int i = used.nextClearBit(0);
        if (i >= count) return Optional.empty();
        String cidr = Cidr.text(cluster.network() + (i << (32 - maskSize)), maskSize);
        claims.put(node, new Claim(cidr, i, i));
        used.set(i);
        return Optional.of(cidr);
    }

    /** The range {@code node} claims here, if any. */
    public synchronized Optional<String> claimOf(String node) {
        Claim c = claims.get(node);
        return c == null ? Optional.empty() : Optional.of(c.cidr());
    }

    /**
     * Forgets {@code node}'s claim: its ranges are free again unless another node claims them too. A node with no
     * claim is a no-op.
     */
    public synchronized void release(String node) {
        Claim c = claims.remove(node);
        if (c == null) return;
        used.clear(c.first(), c.last() + 1);
        for (Claim other : claims.values()) {
            if (other.overlaps(c)) used.set(Math.max(other.first(), c.first()), Math.min(other.last(), c.last()) + 1);
        }
    }

    private List<String> conflictsOf(String node, Claim claim) {
        List<String> out = new ArrayList<>();
        for (var e : claims.entrySet()) {
            if (!e.getKey().equals(node) && e.getValue().overlaps(claim)) out.add(e.getKey());
        }
        return out;
    }

    private int index(long address) {
        return (int) ((address - (cluster.network() & 0xffffffffL)) >>> (32 - maskSize));
    }

    /** An IPv4 CIDR as written ({@code base}) and its network address. */
    record Cidr(int base, int bits) {
        static Cidr parse(String text, String what) {
            if (text == null) throw new IllegalArgumentException(what + ": no CIDR");
            String[] parts = text.strip().split("/", -1);
            if (parts.length != 2) throw new IllegalArgumentException(what + ": '" + text + "' is not an IPv4 CIDR (e.g. 10.244.0.0/16)");
            if (parts[0].contains(":")) {
                throw new IllegalArgumentException(what + ": '" + text + "' is IPv6; only IPv4 is supported");
            }
            String[] octets = parts[0].split("\\.", -1);
            if (octets.length != 4) throw new IllegalArgumentException(what + ": '" + text + "' is not an IPv4 CIDR (e.g. 10.244.0.0/16)");
            int base = 0;
            int bits;
            try {
                for (String o : octets) {
                    int v = Integer.parseInt(o);
                    if (v < 0 || v > 255 || o.isEmpty() || o.length() > 3) throw new NumberFormatException(o);
                    base = (base << 8) | v;
                }
                bits = Integer.parseInt(parts[1]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(what + ": '" + text + "' is not an IPv4 CIDR (e.g. 10.244.0.0/16)");
            }
            if (bits < 0 || bits > 32) throw new IllegalArgumentException(what + ": '" + text + "': the prefix length must be 0..32");
            return new Cidr(base, bits);
        }

        int mask() {
            return bits == 0 ? 0 : (int) (0xffffffffL << (32 - bits));
        }

        int network() {
            return base & mask();
        }

        int last() {
            return network() | ~mask();
        }

        static String text(int address, int bits) {
            return ((address >>> 24) & 0xff) + "." + ((address >>> 16) & 0xff) + "." + ((address >>> 8) & 0xff) + "." + (address & 0xff) + "/" + bits;
        }

        @Override
        public String toString() {
            return text(network(), bits);
        }
    }
}
