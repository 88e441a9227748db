package io.kubeha.store.embedded;

import io.kubeha.store.StoreException;
import org.h2.mvstore.Cursor;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.MVStoreException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The backend on H2's MVStore: a log-structured store of copy-on-write B-trees in one file, pure Java.
 * Chosen over LMDB and SQLite by measurement (BENCHMARKS.md): reads several times faster than both, writes
 * between the two, and no native library to ship or load.
 *
 * <p>Atomicity: MVStore's background auto-commit is off, so nothing reaches the file except through
 * {@link MVStore#commit()} here, which writes one whole batch (a chunk) or nothing; after a crash the store
 * opens at the last complete chunk. Durability: the commit's write reaches the OS before {@link #append}
 * returns (survives the process being killed); with fsync the file is also forced to disk (survives the
 * machine).
 */
final class MvStoreBackend implements Backend {
    private static final String COMPACT_KEY = "compactRevision";
    /** After a compaction, rewrite chunks that are less than this full (percent), to give space back. */
    private static final int TARGET_FILL_RATE = 50;

    private final Path dir;
    private final boolean fsync;
    private final MVStore store;
    private final MVMap<Long, byte[]> log;
    private final MVMap<String, Long> meta;

    MvStoreBackend(Path dir, boolean fsync) {
        this.dir = dir;
        this.fsync = fsync;
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the data directory " + dir, e);
        }
        try {
            this.store = new MVStore.Builder().fileName(dir.resolve("store.mv").toString()).autoCommitDisabled().open();
        } catch (MVStoreException e) {
            throw new StoreException.Unavailable("cannot open the embedded store in " + dir + ": " + e.getMessage()
                    + (e.getMessage() != null && e.getMessage().contains("locked") ? " (is another kubeha server using it?)" : ""), e);
        }
        this.log = store.openMap("log");
        this.meta = store.openMap("meta");
    }

    @Override
    public synchronized void append(List<Entry> records) {
        try {
            for (Entry e : records) log.put(e.id(), e.data());
            store.commit();
            if (fsync) store.sync();
        } catch (MVStoreException e) {
            store.rollback(); // drop the half-written batch from memory; the file never saw it
            throw new StoreException.Unavailable("writing the embedded store in " + dir + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public <T> T read(ReadWork<T> work) {
        return work.run(log::get);
    }

    @Override
    public void scan(long from, long to, Visitor visitor) {
        Cursor<Long, byte[]> c = log.cursor(from);
        while (c.hasNext()) {
            long id = c.next();
            if (id > to || !visitor.visit(id, c.getValue())) break;
        }
    }

    @Override
    public synchronized void compact(long[] ids, long compactRevision) {
        try {
            for (long id : ids) log.remove(id);
            meta.put(COMPACT_KEY, compactRevision);
            store.commit();
            // rewrite sparse chunks so the file does not keep the space of dropped history
            if (store.compact(TARGET_FILL_RATE, 16 << 20)) store.commit();
            if (fsync) store.sync();
        } catch (MVStoreException e) {
            store.rollback();
            throw new StoreException.Unavailable("compacting the embedded store in " + dir + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public long compactRevision() {
        return meta.getOrDefault(COMPACT_KEY, 0L);
    }

    @Override
    public String describe() {
        return dir.toString();
    }

    @Override
    public void close() {
        store.close();
    }
}
