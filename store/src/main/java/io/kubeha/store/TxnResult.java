package io.kubeha.store;

import java.util.List;

/**
 * The outcome of a {@link Txn}.
 *
 * @param succeeded true when every comparison held and the {@code then} branch ran
 * @param revision  the revision of the write, or the store's revision when the branch that ran wrote nothing
 * @param results   one result per operation of the branch that ran, in order
 */
public record TxnResult(boolean succeeded, long revision, List<OpResult> results) {
    public TxnResult {
        results = List.copyOf(results);
    }

    /** The result of one {@link Op}. */
    public sealed interface OpResult {
        /** @param kv the key as written; {@code prev} its value before, or null when it was created */
        record Put(KeyValue kv, KeyValue prev) implements OpResult {}

        /** @param prev the value deleted, or null when the key did not exist */
        record Delete(String key, KeyValue prev) implements OpResult {}

        /** @param kv the value read, or null when the key does not exist */
        record Get(String key, KeyValue kv) implements OpResult {}
    }
}
