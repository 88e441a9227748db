package io.kubeha.store.embedded;

import io.kubeha.store.Compare;
import io.kubeha.store.Health;
import io.kubeha.store.KeyValue;
import io.kubeha.store.Op;
import io.kubeha.store.RangeOptions;
import io.kubeha.store.RangeResult;
import io.kubeha.store.Store;
import io.kubeha.store.StoreException;
import io.kubeha.store.StoreOptions;
import io.kubeha.store.Txn;
import io.kubeha.store.TxnResult;
import io.kubeha.store.Watch;
import io.kubeha.store.WatchEvent;
import io.kubeha.store.WatchListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The default store: in this process, durable in a data directory, nothing to install.
 *
 * <p>Shape (etcd's mvcc, on H2 MVStore instead of bbolt): every change is a record in the {@link Backend}
 * keyed by its revision; {@link KeyIndex} maps each key to its records; one writer thread applies
 * transactions in order, group-commits whatever queued up meanwhile in one backend commit (one fsync for
 * many writes), and only then acknowledges them, makes them visible to readers and hands them to watches.
 * Reads never wait for the writer: they read the index and the backend at the last committed revision.
 */
public final class EmbeddedStore implements Store {
    private static final Logger log = LoggerFactory.getLogger(EmbeddedStore.class);
    private static final int MAX_BATCH = 1024;
    private static final int READ_RETRIES = 3;

    private final Backend backend;
    private final StoreOptions options;
    private final KeyIndex index = new KeyIndex();
    private final WatchHub hub;
    private final BlockingQueue<Task> tasks = new LinkedBlockingQueue<>();
    private final Thread writer;

    /** The last committed revision: what readers see. */
    private volatile long visibleRevision;
    /** History before this revision is gone. */
    private volatile long compactRevision;
    /** Writer thread only: the revision the next write gets. */
    private long nextRevision;
    private volatile boolean closed;

    private sealed interface Task {
        CompletableFuture<?> future();
    }

    private record TxnTask(Txn txn, CompletableFuture<TxnResult> future) implements Task {}

    private record CompactTask(long revision, CompletableFuture<Void> future) implements Task {}

    /** Opens (or creates) the embedded store in {@code dir}. */
    public static Store open(Path dir, StoreOptions options) {
        return new EmbeddedStore(new MvStoreBackend(dir.toAbsolutePath(), options.fsync()), options);
    }

    EmbeddedStore(Backend backend, StoreOptions options) {
        this.backend = backend;
        this.options = options;
        long compacted = backend.compactRevision();
        long[] max = {0};
        backend.scan(0, Long.MAX_VALUE, (id, data) -> {
            index.append(Record.decodeKey(data), id, Record.decodeTombstone(data));
            max[0] = Record.revisionOf(id);
            return true;
        });
        // A fresh store is at revision 1, as etcd is. Compaction may have dropped the newest records (tombstones),
        // so the compaction revision also bounds the current one from below: revisions are never reused.
        this.compactRevision = compacted;
        this.visibleRevision = Math.max(1, Math.max(max[0], compacted));
        this.nextRevision = visibleRevision + 1;
        this.hub = new WatchHub(this, options.progressInterval(), visibleRevision);
        this.writer = Thread.ofPlatform().name("embedded-store-writer").daemon(true).start(this::runWriter);
        log.info("embedded store {} open at revision {} with {} keys", backend.describe(), visibleRevision, index.size());
    }

    // ---------------------------------------------------------------- reads

    @Override
    public Optional<KeyValue> get(String key) {
        checkOpen();
        for (int attempt = 0; attempt < READ_RETRIES; attempt++) {
            long entry = index.latestAt(key, visibleRevision);
            if (entry < 0 || KeyIndex.isTombstone(entry)) return Optional.empty();
            byte[] data = backend.read(r -> r.get(KeyIndex.idOf(entry)));
            if (data != null) return Optional.of(toKeyValue(KeyIndex.idOf(entry), data, false));
            // compacted away between the index and the backend read: a newer entry exists, look again
        }
        throw new StoreException.Unavailable("the embedded store's index and data disagree on " + key, null);
    }

    @Override
    public RangeResult range(String prefix, RangeOptions options) {
        checkOpen();
        long current = visibleRevision;
        long rev = options.revision() == 0 ? current : options.revision();
        if (rev > current) {
            throw new StoreException.Invalid("revision " + rev + " is a future revision (current is " + current + ")", null);
        }
        checkNotCompacted(rev);
        String from = options.startKey() != null && options.startKey().compareTo(prefix) > 0 ? options.startKey() : prefix;
        List<Long> ids = new ArrayList<>();
        long count = 0;
        for (Map.Entry<String, long[]> kv : index.tailFrom(from).entrySet()) {
            if (!kv.getKey().startsWith(prefix)) break;
            long entry = KeyIndex.latestAt(kv.getValue(), rev);
            if (entry < 0 || KeyIndex.isTombstone(entry)) continue;
            count++;
            if (options.limit() == 0 || ids.size() < options.limit()) ids.add(KeyIndex.idOf(entry));
        }
        boolean more = count > ids.size();
        List<KeyValue> kvs = backend.read(r -> {
            List<KeyValue> out = new ArrayList<>(ids.size());
            for (long id : ids) {
                byte[] data = r.get(id);
                if (data == null) return null;
                out.add(toKeyValue(id, data, options.keysOnly()));
            }
            return out;
        });
        if (kvs == null) {
            // compaction ran during this read; with a latest read the retry sees the newer records
            if (options.revision() == 0) return range(prefix, options);
            throw new StoreException.Compacted(rev, compactRevision);
        }
        return new RangeResult(kvs, more, count, rev);
    }

    @Override
    public long count(String prefix) {
        checkOpen();
        long rev = visibleRevision;
        long count = 0;
        for (Map.Entry<String, long[]> kv : index.tailFrom(prefix).entrySet()) {
            if (!kv.getKey().startsWith(prefix)) break;
            long entry = KeyIndex.latestAt(kv.getValue(), rev);
            if (entry >= 0 && !KeyIndex.isTombstone(entry)) count++;
        }
        return count;
    }

    @Override
    public long currentRevision() {
        checkOpen();
        return visibleRevision;
    }

    long compactRevision() {
        return compactRevision;
    }

    void checkNotCompacted(long revision) {
        long c = compactRevision;
        if (revision < c) throw new StoreException.Compacted(revision, c);
    }

    Backend backend() {
        return backend;
    }

    KeyIndex index() {
        return index;
    }

    private static KeyValue toKeyValue(long id, byte[] data, boolean keysOnly) {
        Record r = Record.decode(data);
        return new KeyValue(r.key(), keysOnly ? new byte[0] : r.value(), r.createRevision(), Record.revisionOf(id), r.version());
    }

    /** The key's value just before record {@code id}, or null (created there, or that history is compacted). */
    KeyValue previous(String key, long id, Backend.Reader reader) {
        long prev = index.before(key, id);
        if (prev < 0 || KeyIndex.isTombstone(prev)) return null;
        byte[] data = reader.get(KeyIndex.idOf(prev));
        return data == null ? null : toKeyValue(KeyIndex.idOf(prev), data, false);
    }

    /** Builds the watch event a stored record stands for. */
    WatchEvent eventOf(long id, byte[] data, Backend.Reader reader) {
        Record r = Record.decode(data);
        KeyValue prev = previous(r.key(), id, reader);
        if (r.tombstone()) return new WatchEvent.Delete(r.key(), Record.revisionOf(id), prev);
        return new WatchEvent.Put(new KeyValue(r.key(), r.value(), r.createRevision(), Record.revisionOf(id), r.version()), prev);
    }

    long visibleRevision() {
        return visibleRevision;
    }

    // ---------------------------------------------------------------- writes

    @Override
    public TxnResult txn(Txn txn) {
        int writes = 0;
        for (Op op : txn.then()) if (!(op instanceof Op.Get)) writes++;
        if (writes >= Record.MAX_OPS_PER_TXN) {
            throw new StoreException.Invalid("a transaction may write at most " + (Record.MAX_OPS_PER_TXN - 1) + " keys", null);
        }
        return submit(new TxnTask(txn, new CompletableFuture<>()));
    }

    @Override
    public void compact(long revision) {
        submit(new CompactTask(revision, new CompletableFuture<>()));
    }

    private <T> T submit(Task task) {
        checkOpen();
        tasks.add(task);
        try {
            @SuppressWarnings("unchecked")
            T result = (T) task.future().get(options.requestTimeout().toMillis(), TimeUnit.MILLISECONDS);
            return result;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof StoreException se) throw se;
            if (e.getCause() instanceof IllegalArgumentException ia) throw ia;
            throw new StoreException.Unavailable("the embedded store failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new StoreException.Unavailable("the embedded store did not commit within " + options.requestTimeout()
                    + "; the write may still be applied", e, true);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException.Unavailable("interrupted while waiting for the embedded store", e);
        }
    }

    private void runWriter() {
        List<Task> batch = new ArrayList<>();
        while (!closed) {
            try {
                Task first = tasks.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) continue;
                batch.add(first);
                tasks.drainTo(batch, MAX_BATCH - 1);
                process(batch);
            } catch (InterruptedException e) {
                break;
            } catch (RuntimeException | Error e) {
                log.error("embedded store writer failed on a batch", e);
                for (Task t : batch) t.future().completeExceptionally(
                        new StoreException.Unavailable("the embedded store failed: " + e, e));
            } finally {
                batch.clear();
            }
        }
        StoreException gone = new StoreException.Unavailable("the embedded store is closed", null);
        for (Task t; (t = tasks.poll()) != null; ) t.future().completeExceptionally(gone);
    }

    /** One group commit: state of the batch being built. */
    private final class Commit {
        final List<Backend.Entry> records = new ArrayList<>();
        final Map<Long, byte[]> pending = new HashMap<>();
        final Set<String> touched = new HashSet<>();
        final List<WatchEvent> events = new ArrayList<>();
        final List<Map.Entry<CompletableFuture<TxnResult>, TxnResult>> done = new ArrayList<>();

        /** The key's latest value including this batch's uncommitted writes. */
        KeyValue latest(String key) {
            long entry = index.latestAt(key, Long.MAX_VALUE >>> 21);
            if (entry < 0 || KeyIndex.isTombstone(entry)) return null;
            long id = KeyIndex.idOf(entry);
            byte[] data = pending.get(id);
            if (data == null) data = backend.read(r -> r.get(id));
            return toKeyValue(id, data, false);
        }

        long modRevision(String key) {
            long entry = index.latestAt(key, Long.MAX_VALUE >>> 21);
            return entry < 0 || KeyIndex.isTombstone(entry) ? 0 : KeyIndex.revisionOf(entry);
        }

        void apply(TxnTask task) {
            Txn txn = task.txn();
            boolean ok = true;
            for (Compare c : txn.ifAll()) {
                switch (c) {
                    case Compare.ModRevisionEquals m -> ok &= modRevision(m.key()) == m.modRevision();
                }
            }
            List<Op> ops = ok ? txn.then() : txn.orElse();
            long rev = nextRevision;
            int sub = 0;
            List<TxnResult.OpResult> results = new ArrayList<>(ops.size());
            for (Op op : ops) {
                switch (op) {
                    case Op.Get g -> results.add(new TxnResult.OpResult.Get(g.key(), latest(g.key())));
                    case Op.Put put -> {
                        KeyValue prev = latest(put.key());
                        long id = Record.id(rev, sub++);
                        KeyValue kv = new KeyValue(put.key(), put.value(), prev == null ? rev : prev.createRevision(), rev,
                                prev == null ? 1 : prev.version() + 1);
                        write(id, Record.put(put.key(), kv.createRevision(), kv.version(), put.value()), false);
                        results.add(new TxnResult.OpResult.Put(kv, prev));
                        events.add(new WatchEvent.Put(kv, prev));
                    }
                    case Op.Delete del -> {
                        KeyValue prev = latest(del.key());
                        if (prev != null) {
                            write(Record.id(rev, sub++), Record.tombstone(del.key()), true);
                            events.add(new WatchEvent.Delete(del.key(), rev, prev));
                        }
                        results.add(new TxnResult.OpResult.Delete(del.key(), prev));
                    }
                }
            }
            if (sub > 0) nextRevision++;
            done.add(Map.entry(task.future(), new TxnResult(ok, sub > 0 ? rev : nextRevision - 1, results)));
        }

        private void write(long id, Record record, boolean tombstone) {
            byte[] data = record.encode();
            records.add(new Backend.Entry(id, data));
            pending.put(id, data);
            touched.add(record.key());
            index.append(record.key(), id, tombstone);
        }

        /** Makes the batch durable, then visible, then acknowledged, then watched. */
        void commit() {
            if (!records.isEmpty()) {
                try {
                    backend.append(records);
                } catch (RuntimeException e) {
                    index.rollback(touched, visibleRevision);
                    nextRevision = visibleRevision + 1;
                    StoreException failure = e instanceof StoreException se ? se
                            : new StoreException.Unavailable("the embedded store could not commit: " + e, e);
                    for (var d : done) d.getKey().completeExceptionally(failure);
                    clear();
                    return;
                }
                visibleRevision = nextRevision - 1;
            }
            for (var d : done) d.getKey().complete(d.getValue());
            if (!events.isEmpty()) hub.publish(List.copyOf(events), visibleRevision);
            clear();
        }

        private void clear() {
            records.clear();
            pending.clear();
            touched.clear();
            events.clear();
            done.clear();
        }
    }

    private void process(List<Task> batch) {
        Commit commit = new Commit();
        for (Task task : batch) {
            switch (task) {
                case TxnTask t -> commit.apply(t);
                case CompactTask c -> {
                    commit.commit(); // compaction sees every write queued before it
                    try {
                        doCompact(c.revision());
                        c.future().complete(null);
                    } catch (RuntimeException e) {
                        c.future().completeExceptionally(e);
                    }
                }
            }
        }
        commit.commit();
    }

    private void doCompact(long revision) {
        if (revision > visibleRevision) {
            throw new StoreException.Invalid("cannot compact at revision " + revision + ": it is a future revision (current is "
                    + visibleRevision + ")", null);
        }
        if (revision <= compactRevision) return;
        compactRevision = revision; // from here on, reads and watches below it are refused
        long[] dropped = index.compact(revision);
        backend.compact(dropped, revision);
        log.debug("compacted at revision {}: {} records dropped", revision, dropped.length);
    }

    // ---------------------------------------------------------------- watches and the rest

    @Override
    public Watch watch(String prefix, long afterRevision, WatchListener listener) {
        checkOpen();
        if (afterRevision < 0) throw new IllegalArgumentException("afterRevision must be >= 0");
        long c = compactRevision;
        if (afterRevision + 1 < c) throw new StoreException.Compacted(afterRevision + 1, c);
        return hub.watch(prefix, afterRevision, listener);
    }

    @Override
    public Health health() {
        if (closed) return Health.failing("the embedded store is closed");
        if (!writer.isAlive()) return Health.failing("the embedded store's writer has stopped");
        return Health.ok(backend.describe() + " at revision " + visibleRevision);
    }

    @Override
    public String describe() {
        return "embedded:" + backend.describe();
    }

    private void checkOpen() {
        if (closed) throw new StoreException.Unavailable("the embedded store is closed", null);
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        hub.close();
        writer.interrupt();
        try {
            writer.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        backend.close();
    }
}
