package io.kubeha.store;

/**
 * What a range read returns.
 *
 * @param revision  read the state as of this revision; 0 means the latest
 * @param limit     at most this many keys; 0 means no limit
 * @param startKey  the first key to return (inclusive), for continuing a paged read; null starts at the prefix
 * @param keysOnly  leave values empty (counting and existence checks)
 */
public record RangeOptions(long revision, int limit, String startKey, boolean keysOnly) {
    public static final RangeOptions LATEST = new RangeOptions(0, 0, null, false);

    public RangeOptions {
        if (revision < 0) throw new IllegalArgumentException("revision must be >= 0, was " + revision);
        if (limit < 0) throw new IllegalArgumentException("limit must be >= 0, was " + limit);
    }

    public static RangeOptions atRevision(long revision) {
        return new RangeOptions(revision, 0, null, false);
    }

    public RangeOptions withLimit(int limit) {
        return new RangeOptions(revision, limit, startKey, keysOnly);
    }

    public RangeOptions withStartKey(String startKey) {
        return new RangeOptions(revision, limit, startKey, keysOnly);
    }

    public RangeOptions withRevision(long revision) {
        return new RangeOptions(revision, limit, startKey, keysOnly);
    }
}
