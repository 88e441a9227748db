package io.kubeha.store;

import java.util.List;
import java.util.Optional;

/**
 * The cluster's state: etcd v3's data model (revisioned keys, compare-and-swap, watch from a revision,
 * compaction), as narrow as kine's backend. The API server is its only user.
 *
 * <p>Every write advances one global revision; a transaction's writes share one revision. Reads at the
 * latest revision see every acknowledged write (linearizable); reads at an older revision see the state as
 * it was then, until compaction drops that history. All methods block; each fails with a
 * {@link StoreException} or returns within the store's request timeout.
 *
 * <p>Implementations: {@code embedded:DIR} (in process, durable) and {@code etcd:URL,...}; see
 * {@link Stores#open}.
 */
public interface Store extends AutoCloseable {

    /** The key's latest value, if it exists. */
    Optional<KeyValue> get(String key);

    /**
     * The keys that start with {@code prefix}, in key order, from {@code options.startKey()} on when it is
     * set, as of {@code options.revision()} when it is set.
     */
    RangeResult range(String prefix, RangeOptions options);

    /** How many keys start with {@code prefix} now. */
    long count(String prefix);

    /** Runs a compare-and-swap transaction atomically. */
    TxnResult txn(Txn txn);

    /**
     * Watches every change to keys under {@code prefix} after {@code afterRevision}: each exactly once, in
     * revision order, with the previous value where history still has it. Fails with
     * {@link StoreException.Compacted} (through the listener, or thrown here) when that history is gone.
     */
    Watch watch(String prefix, long afterRevision, WatchListener listener);

    /** Drops history before {@code revision}; reads and watches at older revisions then fail Compacted. */
    void compact(long revision);

    /** The store's current revision. */
    long currentRevision();

    Health health();

    /** What this store is, for logs and status ({@code embedded:/var/lib/kubeha} or the etcd endpoints). */
    String describe();

    @Override
    void close();

    // ---- the compare-and-swap operations the API server uses, on top of txn ----

    /** Creates the key; fails {@link StoreException.KeyExists} when it is already there. */
    default KeyValue create(String key, byte[] value) {
        TxnResult r = txn(new Txn(List.of(Compare.absent(key)), List.of(Op.put(key, value)), List.of(Op.get(key))));
        if (!r.succeeded()) {
            throw new StoreException.KeyExists(key, ((TxnResult.OpResult.Get) r.results().get(0)).kv());
        }
        return ((TxnResult.OpResult.Put) r.results().get(0)).kv();
    }

    /** Replaces the key's value if its modRevision is still {@code expectedModRevision}. */
    default KeyValue update(String key, byte[] value, long expectedModRevision) {
        if (expectedModRevision <= 0) throw new IllegalArgumentException("update needs the key's modRevision");
        TxnResult r = txn(new Txn(List.of(Compare.modRevisionIs(key, expectedModRevision)),
                List.of(Op.put(key, value)), List.of(Op.get(key))));
        if (!r.succeeded()) {
            throw new StoreException.Conflict(key, expectedModRevision,
                    ((TxnResult.OpResult.Get) r.results().get(0)).kv());
        }
        return ((TxnResult.OpResult.Put) r.results().get(0)).kv();
    }

    /** Deletes the key if its modRevision is still {@code expectedModRevision}; returns the deleted value. */
    default KeyValue delete(String key, long expectedModRevision) {
        if (expectedModRevision <= 0) throw new IllegalArgumentException("delete needs the key's modRevision");
        TxnResult r = txn(new Txn(List.of(Compare.modRevisionIs(key, expectedModRevision)),
                List.of(Op.delete(key)), List.of(Op.get(key))));
        if (!r.succeeded()) {
            throw new StoreException.Conflict(key, expectedModRevision,
                    ((TxnResult.OpResult.Get) r.results().get(0)).kv());
        }
        return ((TxnResult.OpResult.Delete) r.results().get(0)).prev();
    }

    /** Writes the key whatever it holds; returns the new value. */
    default KeyValue put(String key, byte[] value) {
        TxnResult r = txn(new Txn(List.of(), List.of(Op.put(key, value)), List.of()));
        return ((TxnResult.OpResult.Put) r.results().get(0)).kv();
    }

    /** Deletes the key whatever it holds; returns the deleted value, or null when there was none. */
    default KeyValue delete(String key) {
        TxnResult r = txn(new Txn(List.of(), List.of(Op.delete(key)), List.of()));
        return ((TxnResult.OpResult.Delete) r.results().get(0)).prev();
    }
}
