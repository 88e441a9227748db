package io.kubeha.store.embedded;

import io.kubeha.store.StoreException;
import org.lmdbjava.ByteBufferProxy;
import org.lmdbjava.CursorIterable;
import org.lmdbjava.Dbi;
import org.lmdbjava.DbiFlags;
import org.lmdbjava.Env;
import org.lmdbjava.EnvFlags;
import org.lmdbjava.KeyRange;
import org.lmdbjava.LmdbException;
import org.lmdbjava.Txn;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Semaphore;

/**
 * The backend on LMDB: a copy-on-write B+tree in one memory-mapped file, the design etcd's bbolt copies.
 * A commit is atomic and, with fsync on (the default), flushed before it returns; a process killed at any
 * moment leaves the last commit intact. Measured against MVStore (the one kubeha ships) and SQLite for
 * BENCHMARKS.md.
 */
final class LmdbBackend implements Backend {
    /** Address space reserved for the data file; the file itself grows only as data is written. */
    static final long DEFAULT_MAP_SIZE = 64L << 30;
    private static final int MAX_READERS = 1024;
    private static final byte[] COMPACT_KEY = "compactRevision".getBytes(StandardCharsets.UTF_8);

    private final Path dir;
    private final Env<ByteBuffer> env;
    private final Dbi<ByteBuffer> log;
    private final Dbi<ByteBuffer> meta;
    /** LMDB has a fixed table of reader slots; more concurrent readers than that would fail, so they wait. */
    private final Semaphore readers = new Semaphore(MAX_READERS - 24);

    LmdbBackend(Path dir, boolean fsync, long mapSize) {
        this.dir = dir;
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the data directory " + dir, e);
        }
        // MDB_NOTLS: read transactions are not tied to a thread, so virtual threads can read.
        EnvFlags[] flags = fsync ? new EnvFlags[] {EnvFlags.MDB_NOTLS}
                : new EnvFlags[] {EnvFlags.MDB_NOTLS, EnvFlags.MDB_NOSYNC};
        this.env = Env.create(ByteBufferProxy.PROXY_SAFE)
                .setMapSize(mapSize)
                .setMaxDbs(2)
                .setMaxReaders(MAX_READERS)
                .open(dir.toFile(), flags);
        this.log = env.openDbi("log", DbiFlags.MDB_CREATE);
        this.meta = env.openDbi("meta", DbiFlags.MDB_CREATE);
    }

    private static ByteBuffer idKey(long id) {
        return ByteBuffer.allocateDirect(8).putLong(0, id);
    }

    private static ByteBuffer direct(byte[] bytes) {
        ByteBuffer b = ByteBuffer.allocateDirect(Math.max(1, bytes.length));
        b.put(bytes).flip();
        return b;
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    @Override
    public void append(List<Entry> records) {
        // one direct buffer for the whole batch: allocating direct memory per record costs more than the put
        int total = 0;
        for (Entry e : records) total += Math.max(1, e.data().length);
        ByteBuffer keys = ByteBuffer.allocateDirect(8 * records.size());
        ByteBuffer values = ByteBuffer.allocateDirect(total);
        try (Txn<ByteBuffer> txn = env.txnWrite()) {
            for (Entry e : records) {
                ByteBuffer k = keys.slice(keys.position(), 8).putLong(0, e.id());
                keys.position(keys.position() + 8);
                int len = Math.max(1, e.data().length);
                ByteBuffer v = values.slice(values.position(), len).put(0, e.data()).limit(e.data().length);
                values.position(values.position() + len);
                log.put(txn, k, v);
            }
            txn.commit();
        } catch (Env.MapFullException e) {
            throw new StoreException.Unavailable("the embedded store in " + dir + " is full (" + (env.info().mapSize >> 20)
                    + " MiB reserved); compact it or move it to a larger map size", e);
        } catch (LmdbException e) {
            throw new StoreException.Unavailable("writing the embedded store in " + dir + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public <T> T read(ReadWork<T> work) {
        readers.acquireUninterruptibly();
        try (Txn<ByteBuffer> txn = env.txnRead()) {
            ByteBuffer key = ByteBuffer.allocateDirect(8); // reused for every get of this read
            return work.run(id -> {
                ByteBuffer v = log.get(txn, key.putLong(0, id));
                return v == null ? null : bytes(v);
            });
        } finally {
            readers.release();
        }
    }

    @Override
    public void scan(long from, long to, Visitor visitor) {
        readers.acquireUninterruptibly();
        try (Txn<ByteBuffer> txn = env.txnRead();
             CursorIterable<ByteBuffer> it = log.iterate(txn, KeyRange.closed(idKey(from), idKey(to)))) {
            for (CursorIterable.KeyVal<ByteBuffer> kv : it) {
                if (!visitor.visit(kv.key().getLong(0), bytes(kv.val()))) break;
            }
        } finally {
            readers.release();
        }
    }

    @Override
    public void compact(long[] ids, long compactRevision) {
        try (Txn<ByteBuffer> txn = env.txnWrite()) {
            for (long id : ids) log.delete(txn, idKey(id));
            meta.put(txn, direct(COMPACT_KEY), idKey(compactRevision));
            txn.commit();
        } catch (LmdbException e) {
            throw new StoreException.Unavailable("compacting the embedded store in " + dir + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public long compactRevision() {
        try (Txn<ByteBuffer> txn = env.txnRead()) {
            ByteBuffer v = meta.get(txn, direct(COMPACT_KEY));
            return v == null ? 0 : v.getLong(0);
        }
    }

    @Override
    public String describe() {
        return "lmdb:" + dir;
    }

    @Override
    public void close() {
        env.close();
    }
}
