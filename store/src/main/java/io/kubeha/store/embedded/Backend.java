package io.kubeha.store.embedded;

import java.util.List;

/**
 * The durable part of the embedded store: an ordered map from record id to bytes, written in batches.
 * Everything else (the key index, compare-and-swap, watches) lives in memory in {@link EmbeddedStore} and
 * is rebuilt from this on start, as etcd rebuilds its tree index from bbolt.
 *
 * <p>A record id is {@code revision << 20 | sub}: the revision of the write and the operation's place in
 * its transaction, so ids sort in the order of history.
 */
interface Backend extends AutoCloseable {

    /** One stored record. */
    record Entry(long id, byte[] data) {}

    /** Writes the records in one atomic commit; returns only once they survive a crash of the process. */
    void append(List<Entry> records);

    /** Reads several records in one consistent snapshot. */
    <T> T read(ReadWork<T> work);

    /** Visits records with {@code from <= id <= to}, ascending, until the visitor returns false. */
    void scan(long from, long to, Visitor visitor);

    /** Removes the records and records the new compaction revision, in one atomic commit. */
    void compact(long[] ids, long compactRevision);

    /** The compaction revision recorded by the last {@link #compact}, or 0. */
    long compactRevision();

    /** What this backend is, for logs. */
    String describe();

    @Override
    void close();

    interface Reader {
        /** The record's bytes, or null when there is no such record. */
        byte[] get(long id);
    }

    @FunctionalInterface
    interface ReadWork<T> {
        T run(Reader reader);
    }

    @FunctionalInterface
    interface Visitor {
        boolean visit(long id, byte[] data);
    }
}
