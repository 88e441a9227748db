package io.kubeha.store;

import java.util.List;

/**
 * The answer to a range read.
 *
 * @param kvs      the keys found, in key order
 * @param more     true when the limit cut the result: continue with {@link #continueKey()}
 * @param count    how many keys the range holds from the start key on, ignoring the limit
 * @param revision the revision the read was served at (the store's revision for a latest read)
 */
public record RangeResult(List<KeyValue> kvs, boolean more, long count, long revision) {
    public RangeResult {
        kvs = List.copyOf(kvs);
    }

    /** The start key for the next page: the smallest key after the last one returned. */
    public String continueKey() {
        if (!more || kvs.isEmpty()) return null;
        return kvs.get(kvs.size() - 1).key() + '\0';
    }
}
