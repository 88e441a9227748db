package io.kubeha.apiserver.alloc;

import io.kubeha.store.KeyValue;
import io.kubeha.store.RangeOptions;
import io.kubeha.store.Store;
import io.kubeha.store.StoreException;

import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongFunction;
import java.util.function.ToLongFunction;

/**
 * One range of values (ClusterIPs or NodePorts) kept as one store key per allocated value. Values are handled
 * as offsets from the first one; the store is the only state, so any number of API servers can share a range.
 */
final class KeyRange {
    final Kind kind;
    /** As the flag gives the range, for messages: {@code 10.0.0.0/24}, {@code 30000-32767}. */
    final String text;
    private final Store store;
    private final String prefix;
    private final long first;
    private final int size;
    private final int staticBand;
    private final int reservedOffset;
    private final LongFunction<String> format;
    private final ToLongFunction<String> parse;

    /**
     * @param staticBand     offsets below this are tried last by random allocation (see {@link #pickFree})
     * @param reservedOffset an offset random allocation never picks (the {@code kubernetes} Service's address),
     *                       or -1
     * @param parse          a value's text to its number, -1 when it is not one
     */
    KeyRange(Store store, Kind kind, String prefix, String text, long first, int size, int staticBand,
             int reservedOffset, LongFunction<String> format, ToLongFunction<String> parse) {
        this.store = store;
        this.kind = kind;
        this.prefix = prefix;
        this.text = text;
        this.first = first;
        this.size = size;
        this.staticBand = staticBand;
        this.reservedOffset = reservedOffset;
        this.format = format;
        this.parse = parse;
    }

    int size() {
        return size;
    }

    boolean contains(long value) {
        return value >= first && value < first + size;
    }

    String format(long value) {
        return format.apply(value);
    }

    /** The value named by {@code text}, or -1 (not a value of this kind; it may still lie outside the range). */
    long parse(String text) {
        return parse.applyAsLong(text);
    }

    String key(long value) {
        return prefix + format.apply(value);
    }

    Allocated allocated(long value, ServiceRef owner) {
        return new Allocated(kind, format(value), owner);
    }

    /** Creates the value's key if absent: the one atomic step that makes an allocation. Null when taken. */
    KeyValue create(long value, byte[] record) {
        try {
            return store.create(key(value), record);
        } catch (StoreException.KeyExists e) {
            return null;
        }
    }

    Optional<KeyValue> get(long value) {
        return store.get(key(value));
    }

    /** Every allocation key of this range, with its value (including any outside the range, for repair). */
    List<KeyValue> readAll() {
        return store.range(prefix, RangeOptions.LATEST).kvs();
    }

    /** The value a key names, or -1 when the key's last segment is not a value of this kind. */
    long valueOf(KeyValue kv) {
        return parse.applyAsLong(kv.key().substring(prefix.length()));
    }

    /** How many values of the range are allocated now. */
    long used() {
        return usedOffsets().cardinality();
    }

    private BitSet usedOffsets() {
        BitSet used = new BitSet(size);
        for (KeyValue kv : store.range(prefix, new RangeOptions(0, 0, null, true)).kvs()) {
            long v = valueOf(kv);
            if (contains(v)) used.set((int) (v - first));
        }
        return used;
    }

    /**
     * Takes a random free value for {@code op}; -1 when the range is full. Reads which values are taken, picks a
     * free one, and creates its key; when another API server created that key in between, marks it taken and
     * picks again, so a lost race costs one round trip, never a duplicate.
     */
    long claimNext(Operation op) {
        BitSet used = usedOffsets();
        if (reservedOffset >= 0) used.set(reservedOffset);
        while (true) {
            int offset = pickFree(used);
            if (offset < 0) return -1;
            long value = first + offset;
            if (op.claim(this, value)) return value;
            used.set(offset);
        }
    }

    /**
     * A random free offset, -1 when none. The upper part of the range is tried first and the static band at the
     * bottom only when the upper part is full, as kube-apiserver does (KEP-3070 for ClusterIPs, KEP-3668 for
     * NodePorts): values users pick by hand, such as kube-dns's 10.0.0.10, are usually low, and should not be
     * found already taken by a random allocation. Within a part, the search starts at a random offset and takes
     * the next free one, wrapping around.
     */
    private int pickFree(BitSet used) {
        int found = pickFree(used, staticBand, size);
        return found >= 0 ? found : pickFree(used, 0, staticBand);
    }

    private static int pickFree(BitSet used, int from, int to) {
        if (to <= from) return -1;
        int start = from + ThreadLocalRandom.current().nextInt(to - from);
        int free = used.nextClearBit(start);
        if (free < to) return free;
        free = used.nextClearBit(from);
        return free < start ? free : -1;
    }

    /**
     * Deletes the value's key if it still names {@code owner}. Compare-and-swap on the key's revision, so a key
     * another Service took meanwhile is never deleted. True when this call deleted it.
     */
    boolean releaseIfOwned(long value, ServiceRef owner) {
        while (true) {
            Optional<KeyValue> kv = get(value);
            if (kv.isEmpty()) return false;
            OwnerRecord holder = OwnerRecord.parse(kv.get().value());
            if (holder == null || !owner.isSameService(holder.owner())) return false;
            if (deleteIfUnchanged(kv.get())) return true;
        }
    }

    /** Deletes the key if nobody wrote it since {@code kv} was read. */
    boolean deleteIfUnchanged(KeyValue kv) {
        return deleteIfAt(kv.key(), kv.modRevision());
    }

    /** Deletes the value's key if it is still as written at {@code modRevision}. */
    boolean deleteIfAt(long value, long modRevision) {
        return deleteIfAt(key(value), modRevision);
    }

    private boolean deleteIfAt(String key, long modRevision) {
        try {
            store.delete(key, modRevision);
            return true;
        } catch (StoreException.Conflict e) {
            return false;
        }
    }

    /** Rewrites the key's record if nobody wrote it since {@code kv} was read. */
    boolean replaceIfUnchanged(KeyValue kv, byte[] record) {
        try {
            store.update(kv.key(), record, kv.modRevision());
            return true;
        } catch (StoreException.Conflict e) {
            return false;
        }
    }
}
