package io.kubeha.store.embedded;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Map;
import java.util.NavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The in-memory index of the embedded store: for every key, the ids of its records in ascending order, each
 * marked when it is a tombstone. Like etcd's treeIndex it answers "which record holds key K at revision R".
 *
 * <p>Only the store's writer thread changes it; readers run concurrently and lock-free: each key's history
 * is an immutable array replaced on every change.
 */
final class KeyIndex {
    /** entry = id << 1 | tombstone */
    private final ConcurrentSkipListMap<String, long[]> keys = new ConcurrentSkipListMap<>();

    static long entry(long id, boolean tombstone) {
        return (id << 1) | (tombstone ? 1 : 0);
    }

    static long idOf(long entry) {
        return entry >>> 1;
    }

    static boolean isTombstone(long entry) {
        return (entry & 1) != 0;
    }

    static long revisionOf(long entry) {
        return Record.revisionOf(idOf(entry));
    }

    /** Writer only. */
    void append(String key, long id, boolean tombstone) {
        long e = entry(id, tombstone);
        long[] old = keys.get(key);
        long[] next;
        if (old == null) {
            next = new long[] {e};
        } else {
            next = Arrays.copyOf(old, old.length + 1);
            next[old.length] = e;
        }
        keys.put(key, next);
    }

    /** The key's last entry at or below {@code revision}, or -1. */
    long latestAt(String key, long revision) {
        long[] h = keys.get(key);
        return h == null ? -1 : latestAt(h, revision);
    }

    static long latestAt(long[] history, long revision) {
        for (int i = history.length - 1; i >= 0; i--) {
            if (revisionOf(history[i]) <= revision) return history[i];
        }
        return -1;
    }

    /** The key's entry just before record {@code id}, or -1 (none, or compacted away). */
    long before(String key, long id) {
        long[] h = keys.get(key);
        if (h == null) return -1;
        for (int i = h.length - 1; i >= 0; i--) {
            if (idOf(h[i]) < id) return h[i];
        }
        return -1;
    }

    /** Keys from {@code from} on, in order. */
    NavigableMap<String, long[]> tailFrom(String from) {
        return keys.tailMap(from, true);
    }

    /** Writer only: forgets every entry above {@code revision} of the given keys (a failed commit). */
    void rollback(Iterable<String> touched, long revision) {
        for (String key : touched) {
            long[] h = keys.get(key);
            if (h == null) continue;
            int n = h.length;
            while (n > 0 && revisionOf(h[n - 1]) > revision) n--;
            if (n == 0) keys.remove(key);
            else if (n < h.length) keys.put(key, Arrays.copyOf(h, n));
        }
    }

    /**
     * Writer only: drops the history that no read at or after {@code revision} needs: for each key every
     * entry before its last one at or below the revision, and that one too when it is a tombstone. Returns
     * the record ids dropped.
     */
    long[] compact(long revision) {
        ArrayList<Long> dropped = new ArrayList<>();
        for (Map.Entry<String, long[]> kv : keys.entrySet()) {
            long[] h = kv.getValue();
            int last = -1;
            for (int i = 0; i < h.length && revisionOf(h[i]) <= revision; i++) last = i;
            if (last < 0) continue;
            int keepFrom = isTombstone(h[last]) ? last + 1 : last;
            if (keepFrom == 0) continue;
            for (int i = 0; i < keepFrom; i++) dropped.add(idOf(h[i]));
            if (keepFrom == h.length) keys.remove(kv.getKey(), h);
            else keys.put(kv.getKey(), Arrays.copyOfRange(h, keepFrom, h.length));
        }
        return dropped.stream().mapToLong(Long::longValue).toArray();
    }

    int size() {
        return keys.size();
    }
}
