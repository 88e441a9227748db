package io.kubeha.apiserver.storage;

import io.kubeha.apiserver.api.ApiException;
import io.kubeha.apiserver.registry.ResourceType;
import io.kubeha.security.encryption.EncryptionConfig;
import io.kubeha.security.encryption.Transformer;
import io.kubeha.store.KeyValue;
import io.kubeha.store.RangeOptions;
import io.kubeha.store.RangeResult;
import io.kubeha.store.Store;
import io.kubeha.store.StoreException;
import io.kubeha.store.Watch;
import io.kubeha.store.WatchEvent;
import io.kubeha.store.WatchListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.node.ObjectNode;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

/**
 * One resource type's watch cache, as kube-apiserver's: ONE store watch per resource per server process,
 * fanned out in memory to any number of client watches. It keeps the current objects (to start a watch
 * with the current state, and to serve lists at resourceVersion=0) and a window of recent events (to resume
 * a watch from an older resourceVersion; older than the window is 410 Gone).
 *
 * <p>All state changes and watcher registration happen under one lock, so a new watcher gets its replay and
 * then every later event, with no gap and no repeat. Each watcher has a bounded queue: one that cannot keep
 * up is ended (its client re-watches from its last resourceVersion), so a slow client never slows the rest.
 *
 * <p>Store values are read through the resource's encryption {@link Transformer}; one no provider can read is
 * skipped with a log line (left out of the cache, its lists and its watches) rather than failing the whole cache.
 */
public final class WatchCache implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WatchCache.class);
    static final int HISTORY = 10_000;
    static final int WATCHER_QUEUE = 10_000;
    private static final Duration FRESHNESS_WAIT = Duration.ofSeconds(3);

    private final Store store;
    private final ResourceType type;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition advanced = lock.newCondition();
    private final TreeMap<String, ObjectNode> current = new TreeMap<>();
    private final ArrayDeque<CacheEvent> history = new ArrayDeque<>();
    private final CopyOnWriteArrayList<Watcher> watchers = new CopyOnWriteArrayList<>();
    /** Every change up to this revision is applied. */
    private long revision;
    /** The cache can replay every event after this revision. */
    private long oldest;
    private boolean ready;
    private volatile boolean closed;
    private Watch storeWatch;
    private final Transformer transformer;
    private final Unreadable unreadable = new Unreadable();

    public WatchCache(Store store, ResourceType type) {
        this(store, type, EncryptionConfig.identity());
    }

    public WatchCache(Store store, ResourceType type, EncryptionConfig encryption) {
        this.store = store;
        this.type = type;
        this.transformer = ObjectStorage.transformerFor(encryption, type);
    }

    /** The object stored in {@code kv}, or null (logged) when no provider can read it. */
    private ObjectNode decode(KeyValue kv) {
        Transformer.Read read = unreadable.tryRead(log, transformer, kv);
        return read == null ? null : Obj.decode(read.plain(), kv.modRevision());
    }

    public ResourceType type() {
        return type;
    }

    /** Lists and starts the store watch; on failure retries in the background until it works. */
    public void start() {
        Thread.ofVirtual().name("watch-cache " + type.qualifiedResource()).start(this::runUntilClosed);
    }

    private void runUntilClosed() {
        long backoff = 100;
        while (!closed) {
            try {
                if (!ready) {
                    load();
                    backoff = 100;
                }
                lock.lock();
                try {
                    while (ready && !closed) advanced.await(1, TimeUnit.SECONDS);
                } finally {
                    lock.unlock();
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                log.warn("watch cache for {}: {}; retrying", type.qualifiedResource(), e.getMessage());
                try {
                    Thread.sleep(backoff);
                } catch (InterruptedException ie) {
                    return;
                }
                backoff = Math.min(backoff * 2, 5_000);
            }
        }
    }

    /** (Re)loads the current state from the store and watches from there. */
    private void load() {
        String prefix = type.storagePrefix();
        TreeMap<String, ObjectNode> objects = new TreeMap<>();
        long rev = 0;
        String from = null;
        while (true) {
            RangeResult r = store.range(prefix, new RangeOptions(rev, 1000, from, false));
            rev = r.revision();
            for (KeyValue kv : r.kvs()) {
                ObjectNode obj = decode(kv);
                if (obj != null) objects.put(kv.key(), obj);
            }
            if (!r.more()) break;
            from = r.continueKey();
        }
        lock.lock();
        try {
            current.clear();
            current.putAll(objects);
            history.clear();
            revision = rev;
            oldest = rev;
            ready = true;
            advanced.signalAll();
        } finally {
            lock.unlock();
        }
        storeWatch = store.watch(prefix, rev, new StoreListener());
        log.debug("watch cache for {} loaded {} objects at revision {}", type.qualifiedResource(), objects.size(), rev);
    }

    private final class StoreListener implements WatchListener {
        @Override
        public void onEvent(WatchEvent event) {
            switch (event) {
                case WatchEvent.Put put -> {
                    ObjectNode obj = decode(put.kv());
                    if (obj != null) apply(put.kv().key(), obj, put.revision());
                    else progress(put.revision()); // unreadable: skipped, but the cache is at this revision
                }
                case WatchEvent.Delete del -> apply(del.key(), null, del.revision());
                case WatchEvent.Progress p -> progress(p.revision());
            }
        }

        @Override
        public void onError(StoreException error) {
            log.warn("watch cache for {}: the store watch ended ({}); reloading", type.qualifiedResource(), error.getMessage());
            reset();
        }
    }

    private void apply(String key, ObjectNode obj, long rev) {
        lock.lock();
        try {
            ObjectNode prev = current.get(key);
            CacheEvent e;
            if (obj == null) {
                if (prev == null) return;
                current.remove(key);
                ObjectNode last = prev.deepCopy();
                Obj.metadata(last).put("resourceVersion", Long.toString(rev));
                e = new CacheEvent(WatchEventType.DELETED, last, prev, rev);
            } else {
                current.put(key, obj);
                e = new CacheEvent(prev == null ? WatchEventType.ADDED : WatchEventType.MODIFIED, obj, prev, rev);
            }
            history.addLast(e);
            if (history.size() > HISTORY) oldest = history.removeFirst().revision();
            revision = rev;
            for (Watcher w : watchers) w.offer(e);
            advanced.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void progress(long rev) {
        lock.lock();
        try {
            if (rev > revision) {
                revision = rev;
                advanced.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /** The store watch broke: end every client watch (clients re-watch, or re-list on 410) and reload. */
    private void reset() {
        lock.lock();
        try {
            ready = false;
            for (Watcher w : watchers) w.end();
            watchers.clear();
            advanced.signalAll();
        } finally {
            lock.unlock();
        }
        Watch w = storeWatch;
        if (w != null) w.close();
    }

    /** Waits until the cache has applied everything up to {@code rev}, asking the store for progress meanwhile. */
    private void awaitFresh(long rev) {
        long deadline = System.nanoTime() + FRESHNESS_WAIT.toNanos();
        lock.lock();
        try {
            while (!ready || revision < rev) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    if (!ready) throw ApiException.unavailable("the watch cache for " + type.qualifiedResource() + " is not ready");
                    throw ApiException.timeout("Too large resource version: " + rev + ", current: " + revision);
                }
                Watch w = storeWatch;
                if (w != null && ready) w.requestProgress();
                advanced.await(Math.min(left, TimeUnit.MILLISECONDS.toNanos(200)), TimeUnit.NANOSECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiException.timeout("interrupted");
        } finally {
            lock.unlock();
        }
    }

    /** The object as the cache has it now, if the cache is ready and has it (a miss may just be a lagging cache). */
    public java.util.Optional<ObjectNode> peek(String namespace, String name) {
        lock.lock();
        try {
            return ready ? java.util.Optional.ofNullable(current.get(type.key(namespace, name))) : java.util.Optional.empty();
        } finally {
            lock.unlock();
        }
    }

    /** The cache's objects (for a list at resourceVersion 0) and the revision they are at. */
    public record Snapshot(List<ObjectNode> items, long revision) {}

    public Snapshot list(String namespace, Predicate<ObjectNode> filter) {
        awaitFresh(0);
        lock.lock();
        try {
            String prefix = type.prefix(namespace);
            List<ObjectNode> out = new ArrayList<>();
            for (Map.Entry<String, ObjectNode> e : current.tailMap(prefix, true).entrySet()) {
                if (!e.getKey().startsWith(prefix)) break;
                if (filter.test(e.getValue())) out.add(e.getValue());
            }
            return new Snapshot(out, revision);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Starts a client watch. With {@code fromRevision} 0 it begins with the current objects as ADDED events
     * (what kube does for resourceVersion "" and "0"); otherwise with every change after that revision, or
     * 410 Gone when the cache no longer has them.
     */
    public Watcher watch(long fromRevision, String namespace, Predicate<ObjectNode> filter) {
        awaitFresh(fromRevision);
        lock.lock();
        try {
            Watcher w = new Watcher(type.prefix(namespace), namespace, filter);
            if (fromRevision == 0) {
                for (Map.Entry<String, ObjectNode> e : current.tailMap(w.prefix, true).entrySet()) {
                    if (!e.getKey().startsWith(w.prefix)) break;
                    w.offer(new CacheEvent(WatchEventType.ADDED, e.getValue(), null, Obj.parseResourceVersion(Obj.resourceVersion(e.getValue()))));
                }
            } else {
                if (fromRevision < oldest) {
                    throw ApiException.gone("too old resource version: " + fromRevision + " (" + oldest + ")");
                }
                for (CacheEvent e : history) if (e.revision() > fromRevision) w.offer(e);
            }
            w.startRevision = Math.max(fromRevision, revision);
            watchers.add(w);
            return w;
        } finally {
            lock.unlock();
        }
    }

    public long revision() {
        lock.lock();
        try {
            return revision;
        } finally {
            lock.unlock();
        }
    }

    public int watcherCount() {
        return watchers.size();
    }

    @Override
    public void close() {
        closed = true;
        reset();
    }

    /** A client watch: events already filtered and converted for its selector, in order. */
    public final class Watcher implements AutoCloseable {
        private final String prefix;
        private final Predicate<ObjectNode> filter;
        private final ArrayDeque<CacheEvent> queue = new ArrayDeque<>();
        private final ReentrantLock qlock = new ReentrantLock();
        private final Condition nonEmpty = qlock.newCondition();
        private boolean ended;
        long startRevision;

        Watcher(String prefix, String namespace, Predicate<ObjectNode> filter) {
            this.prefix = prefix;
            this.filter = filter;
        }

        void offer(CacheEvent e) {
            String ns = Obj.namespace(e.object());
            String key = type.key(ns, Obj.name(e.object()));
            if (!key.startsWith(prefix)) return;
            CacheEvent out = convert(e);
            if (out == null) return;
            qlock.lock();
            try {
                if (ended) return;
                if (queue.size() >= WATCHER_QUEUE) {
                    log.info("a watch on {} fell behind by {} events; ending it", type.qualifiedResource(), WATCHER_QUEUE);
                    ended = true;
                    queue.clear();
                    watchers.remove(this);
                } else {
                    queue.addLast(out);
                }
                nonEmpty.signalAll();
            } finally {
                qlock.unlock();
            }
        }

        /** Kube's rule for a filtered watch: an object that starts or stops matching is ADDED or DELETED. */
        private CacheEvent convert(CacheEvent e) {
            boolean now = e.type() != WatchEventType.DELETED && filter.test(e.object());
            boolean before = e.previous() != null && filter.test(e.previous());
            return switch (e.type()) {
                case ADDED -> now ? e : null;
                case MODIFIED -> now && before ? e
                        : now ? new CacheEvent(WatchEventType.ADDED, e.object(), e.previous(), e.revision())
                        : before ? new CacheEvent(WatchEventType.DELETED, e.object(), e.previous(), e.revision()) : null;
                case DELETED -> before ? e : null;
                default -> null;
            };
        }

        void end() {
            qlock.lock();
            try {
                ended = true;
                nonEmpty.signalAll();
            } finally {
                qlock.unlock();
            }
        }

        /** The next event, or null after {@code timeout}; throws {@link Ended} when the watch is over. */
        public CacheEvent next(Duration timeout) throws InterruptedException, Ended {
            long deadline = System.nanoTime() + timeout.toNanos();
            qlock.lock();
            try {
                while (queue.isEmpty()) {
                    if (ended) throw new Ended();
                    long left = deadline - System.nanoTime();
                    if (left <= 0) return null;
                    nonEmpty.await(left, TimeUnit.NANOSECONDS);
                }
                return queue.removeFirst();
            } finally {
                qlock.unlock();
            }
        }

        /** The revision a bookmark may carry now: everything up to it was delivered or did not match. */
        public long bookmarkRevision() {
            long r = revision(); // first, and not under qlock: the cache lock is always taken before qlock
            qlock.lock();
            try {
                return queue.isEmpty() ? Math.max(startRevision, r) : -1;
            } finally {
                qlock.unlock();
            }
        }

        @Override
        public void close() {
            end();
            watchers.remove(this);
        }
    }

    /** The watch ended on the server's side (fell behind, or the cache reloaded). */
    public static final class Ended extends Exception {
        Ended() {
            super("watch ended", null, false, false);
        }
    }
}
