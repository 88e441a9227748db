package io.kubeha.store.embedded;

import io.kubeha.store.StoreException;
import io.kubeha.store.Watch;
import io.kubeha.store.WatchEvent;
import io.kubeha.store.WatchListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Hands committed changes to the embedded store's watches.
 *
 * <p>Each watch has a mailbox and its own virtual thread. The writer drops every committed batch into every
 * mailbox and never waits for a listener. A watch starts by replaying history from the backend up to the
 * committed revision, then follows its mailbox, skipping what the replay already covered; a watch whose
 * mailbox grows past {@link #MAX_QUEUED} (a listener that cannot keep up) drops it and replays from the
 * backend again, as etcd moves a slow watcher to its unsynced group. Either way each change is delivered
 * once and in revision order.
 */
final class WatchHub {
    private static final Logger log = LoggerFactory.getLogger(WatchHub.class);
    static final int MAX_QUEUED = 100_000;

    private final EmbeddedStore store;
    private final Duration progressInterval;
    private final CopyOnWriteArrayList<Watcher> watchers = new CopyOnWriteArrayList<>();
    /** Every batch up to this revision is in every registered mailbox. */
    private volatile long published;

    WatchHub(EmbeddedStore store, Duration progressInterval, long revision) {
        this.store = store;
        this.progressInterval = progressInterval;
        this.published = revision;
    }

    /** Writer thread: one committed batch, whole revisions in order. */
    void publish(List<WatchEvent> batch, long revision) {
        for (Watcher w : watchers) w.offer(batch);
        published = revision;
    }

    Watch watch(String prefix, long afterRevision, WatchListener listener) {
        Watcher w = new Watcher(prefix, afterRevision, listener);
        watchers.add(w);
        w.thread = Thread.ofVirtual().name("watch " + prefix).start(w::run);
        return w;
    }

    void close() {
        for (Watcher w : watchers) w.close();
    }

    private final class Watcher implements Watch {
        final String prefix;
        final WatchListener listener;
        final ReentrantLock lock = new ReentrantLock();
        final Condition changed = lock.newCondition();
        /** Held while calling the listener, so that close() can wait for a delivery in flight. */
        final ReentrantLock delivering = new ReentrantLock();
        final ArrayDeque<List<WatchEvent>> mailbox = new ArrayDeque<>();
        int queued;
        boolean replay = true; // a new watch first catches up from the backend
        boolean progressRequested;
        volatile boolean closed;
        /** Every change up to this revision was delivered (or was not under the prefix). */
        long delivered;
        Thread thread;

        Watcher(String prefix, long afterRevision, WatchListener listener) {
            this.prefix = prefix;
            this.delivered = afterRevision;
            this.listener = listener;
        }

        void offer(List<WatchEvent> batch) {
            lock.lock();
            try {
                if (closed || replay) return; // a replay reads the backend up to the committed revision anyway
                if (queued + batch.size() > MAX_QUEUED) {
                    mailbox.clear();
                    queued = 0;
                    replay = true;
                    log.warn("watch on {} fell {} events behind; catching up from the store", prefix, MAX_QUEUED);
                } else {
                    mailbox.add(batch);
                    queued += batch.size();
                }
                changed.signal();
            } finally {
                lock.unlock();
            }
        }

        void run() {
            try {
                while (!closed) {
                    List<List<WatchEvent>> batches = new ArrayList<>();
                    boolean doReplay;
                    long progress = -1;
                    lock.lock();
                    try {
                        boolean timedOut = false;
                        while (!closed && mailbox.isEmpty() && !replay && !progressRequested && !timedOut) {
                            timedOut = !changed.await(progressInterval.toMillis(), TimeUnit.MILLISECONDS);
                        }
                        if (closed) return;
                        batches.addAll(mailbox);
                        mailbox.clear();
                        queued = 0;
                        doReplay = replay;
                        if (!doReplay && batches.isEmpty() && (progressRequested || timedOut)) {
                            // read under the lock: every batch up to `published` was offered, and the mailbox is empty
                            progress = Math.max(delivered, published);
                            progressRequested = false;
                        }
                    } finally {
                        lock.unlock();
                    }
                    if (doReplay) replayFromStore();
                    for (List<WatchEvent> batch : batches) {
                        long last = delivered;
                        for (WatchEvent e : batch) {
                            if (e.revision() <= delivered) continue;
                            if (matches(e)) deliver(e);
                            last = Math.max(last, e.revision());
                        }
                        delivered = last;
                    }
                    if (progress >= 0) deliver(new WatchEvent.Progress(progress));
                }
            } catch (StoreException e) {
                fail(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                log.error("watch on {} failed", prefix, e);
                fail(new StoreException.Unavailable("the watch failed: " + e, e));
            }
        }

        /** Catches up from the backend: every record after {@code delivered} up to the committed revision. */
        private void replayFromStore() {
            lock.lock();
            try {
                replay = false; // batches published from here on land in the mailbox; those replayed are skipped there
            } finally {
                lock.unlock();
            }
            long upTo = store.visibleRevision();
            long start = delivered + 1;
            store.checkNotCompacted(start);
            Backend backend = store.backend();
            List<WatchEvent> found = new ArrayList<>();
            backend.read(reader -> {
                backend.scan(Record.firstId(start), Record.lastId(upTo), (id, data) -> {
                    if (Record.decodeKey(data).startsWith(prefix)) found.add(store.eventOf(id, data, reader));
                    return !closed;
                });
                return null;
            });
            // compaction that overtook the scan may have removed records it needed
            store.checkNotCompacted(start);
            for (WatchEvent e : found) deliver(e);
            delivered = Math.max(delivered, upTo);
        }

        private boolean matches(WatchEvent e) {
            return switch (e) {
                case WatchEvent.Put put -> put.kv().key().startsWith(prefix);
                case WatchEvent.Delete del -> del.key().startsWith(prefix);
                case WatchEvent.Progress ignored -> true;
            };
        }

        private void deliver(WatchEvent e) {
            delivering.lock();
            try {
                if (!closed) listener.onEvent(e);
            } finally {
                delivering.unlock();
            }
        }

        private void fail(StoreException e) {
            delivering.lock();
            try {
                if (!closed) {
                    closed = true;
                    watchers.remove(this);
                    listener.onError(e);
                }
            } finally {
                delivering.unlock();
            }
        }

        @Override
        public void requestProgress() {
            lock.lock();
            try {
                progressRequested = true;
                changed.signal();
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void close() {
            lock.lock();
            try {
                closed = true;
                mailbox.clear();
                changed.signal();
            } finally {
                lock.unlock();
            }
            watchers.remove(this);
            // wait for a delivery in flight; a listener closing its own watch already holds this lock
            delivering.lock();
            delivering.unlock();
        }
    }
}
