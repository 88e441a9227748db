package io.kubeha.store.etcd;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdException;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchResponse;
import io.kubeha.store.KeyValue;
import io.kubeha.store.StoreException;
import io.kubeha.store.Watch;
import io.kubeha.store.WatchEvent;
import io.kubeha.store.WatchListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * One store watch over a sequence of jetcd watch streams.
 *
 * <p>jetcd resumes a broken watch by itself, but from a revision it may have moved past events it never
 * delivered: it takes the header revision of the "created" answer, which for a watch replaying history is the
 * store's current revision, not the replay's position. So this class resumes on its own: when a stream fails
 * it is closed (which stops jetcd's resume), everything it still sends is ignored, and a new stream starts
 * right after the last revision delivered. Events at or below that revision are dropped, so nothing is
 * delivered twice.
 *
 * <p>Everything the listener sees goes through one delivery thread, in the order etcd sent it; the lock is
 * held while the listener runs, so {@link #close()} can wait out a delivery in progress and nothing reaches the
 * listener after it returns.
 */
final class EtcdWatch implements Watch {
    private static final Logger log = LoggerFactory.getLogger(EtcdWatch.class);
    private static final Duration FIRST_RETRY = Duration.ofMillis(100);
    private static final Duration MAX_RETRY = Duration.ofSeconds(2);
    /** Stream failures worth a new stream: the connection, the member or gRPC broke, not the request. */
    private static final Set<ErrorCode> RETRYABLE = EnumSet.of(ErrorCode.UNAVAILABLE, ErrorCode.INTERNAL,
            ErrorCode.CANCELLED, ErrorCode.DEADLINE_EXCEEDED, ErrorCode.UNKNOWN, ErrorCode.ABORTED);

    private final Client client;
    private final String prefix;
    private final WatchListener listener;
    private final String where;
    private final Consumer<EtcdWatch> onEnd;
    private final ExecutorService delivery;
    private final ReentrantLock lock = new ReentrantLock();
    private final CountDownLatch closing = new CountDownLatch(1);
    /** Completes when the first stream is set up in etcd, or the watch ended before. */
    final CompletableFuture<Void> started = new CompletableFuture<>();

    private volatile boolean stopped;
    private volatile Stream current;
    /** The revision of the last change delivered (the watch's start before any); guarded by the lock. */
    private long lastRevision;
    private Duration retryDelay = FIRST_RETRY; // delivery thread only
    private int generation;

    EtcdWatch(Client client, String prefix, long afterRevision, WatchListener listener, String where,
              Consumer<EtcdWatch> onEnd) {
        this.client = client;
        this.prefix = prefix;
        this.listener = listener;
        this.where = where;
        this.onEnd = onEnd;
        this.lastRevision = afterRevision;
        this.delivery = Executors.newSingleThreadExecutor(Thread.ofVirtual().name("etcd-watch-" + prefix).factory());
    }

    /** Opens the first stream; the caller waits on {@link #started} if it wants to know it is there. */
    void start() {
        lock.lock();
        try {
            openStream();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void requestProgress() {
        Stream s = current;
        // while a broken stream is being replaced there is nobody to ask; the new stream reports soon enough
        if (s != null && s.watcher != null && !s.broken) s.watcher.requestProgress();
    }

    @Override
    public void close() {
        stopped = true;
        closing.countDown();
        lock.lock(); // waits for a delivery in progress (unless it is the listener closing us: the lock is reentrant)
        try {
            Stream s = current;
            if (s != null) s.stop();
        } finally {
            lock.unlock();
        }
        delivery.shutdown();
        started.complete(null);
        onEnd.accept(this);
    }


    // ---- delivery thread ----

    /** Opens a stream from just after the last delivered revision. Call with the lock held. */
    private void openStream() {
        if (stopped) return;
        Stream s = new Stream(++generation);
        current = s;
        WatchOption options = WatchOption.builder()
                .withRange(Keys.prefixEnd(prefix))
                .withRevision(lastRevision + 1)
                .withPrevKV(true)
                .withProgressNotify(true)
                .withCreateNotify(true)
                .build();
        try {
            s.watcher = client.getWatchClient().watch(Keys.rangeStart(prefix), options, s);
        } catch (RuntimeException e) {
            end(new StoreException.Unavailable("cannot watch " + prefix + " on " + where + ": "
                    + EtcdErrors.messages(e), e));
        }
    }

    private void handle(Stream s, WatchResponse response) {
        lock.lock();
        try {
            if (stopped || s != current) return;
            if (response.getEvents().isEmpty()) {
                long revision = response.getHeader().getRevision();
                // a member that is behind may report less than was already delivered: that says nothing new
                if (revision >= lastRevision) deliver(new WatchEvent.Progress(revision));
                return;
            }
            // a resumed stream starts after lastRevision, but one revision's events all come in one response,
            // so compare against the revision before this response, not the one just delivered
            long before = lastRevision;
            for (io.etcd.jetcd.watch.WatchEvent e : response.getEvents()) {
                long revision = e.getKeyValue().getModRevision();
                if (revision <= before) continue;
                KeyValue prev = Keys.keyValue(e.getPrevKV());
                WatchEvent event = switch (e.getEventType()) {
                    case PUT -> new WatchEvent.Put(Keys.keyValue(e.getKeyValue()), prev);
                    case DELETE -> new WatchEvent.Delete(Keys.string(e.getKeyValue().getKey()), revision, prev);
                    case UNRECOGNIZED -> null;
                };
                if (event == null) continue;
                deliver(event);
                if (stopped) return; // the listener closed the watch
                lastRevision = Math.max(lastRevision, revision);
            }
        } finally {
            lock.unlock();
        }
    }

    private void streamFailed(Stream s, Throwable failure) {
        lock.lock();
        try {
            if (stopped || s != current) return;
            s.stop();
            if (failure instanceof CompactedException c) {
                end(new StoreException.Compacted(lastRevision + 1, c.getCompactedRevision()));
                return;
            }
            if (failure != null && !(failure instanceof EtcdException e && RETRYABLE.contains(e.getErrorCode()))) {
                end(new StoreException.Unavailable("watch of " + prefix + " on " + where + " failed: "
                        + EtcdErrors.messages(failure), failure));
                return;
            }
            log.info("watch of {} on {} broke after revision {} ({}); resuming in {}", prefix, where, lastRevision,
                    failure == null ? "stream ended" : EtcdErrors.messages(failure), retryDelay);
        } finally {
            lock.unlock();
        }
        Duration delay = retryDelay;
        retryDelay = retryDelay.multipliedBy(2).compareTo(MAX_RETRY) > 0 ? MAX_RETRY : retryDelay.multipliedBy(2);
        try {
            if (closing.await(delay.toNanos(), TimeUnit.NANOSECONDS)) return;
        } catch (InterruptedException e) {
            return; // only shutdown interrupts the delivery thread
        }
        lock.lock();
        try {
            openStream();
        } finally {
            lock.unlock();
        }
    }

    private void streamCreated(Stream s) {
        if (s == current) retryDelay = FIRST_RETRY;
        started.complete(null);
    }

    private void deliver(WatchEvent event) {
        try {
            listener.onEvent(event);
        } catch (RuntimeException e) {
            // the listener's bug must not end the watch for everyone relying on its order
            log.warn("watch listener for {} failed on {}", prefix, event, e);
        }
    }

    /**
     * Ends the watch with {@code error}, which the listener receives unless the watch was closed or ended
     * before. Any thread may call it: the lock keeps it from overlapping a delivery.
     */
    void end(StoreException error) {
        lock.lock();
        try {
            if (stopped) return;
            stopped = true;
            closing.countDown();
            Stream s = current;
            if (s != null) s.stop();
            try {
                listener.onError(error);
            } catch (RuntimeException e) {
                log.warn("watch listener for {} failed on {}", prefix, error, e);
            }
        } finally {
            lock.unlock();
        }
        delivery.shutdown();
        started.complete(null);
        onEnd.accept(this);
    }

    private void submit(Runnable task) {
        if (stopped) return;
        try {
            delivery.execute(task);
        } catch (RejectedExecutionException closedMeanwhile) {
            // the watch ended; nothing more is delivered
        }
    }

    /** One jetcd watch stream. Once broken or replaced, whatever it still reports is ignored. */
    private final class Stream implements io.etcd.jetcd.Watch.Listener {
        final int generation;
        volatile io.etcd.jetcd.Watch.Watcher watcher;
        volatile boolean broken;

        Stream(int generation) {
            this.generation = generation;
        }

        void stop() {
            broken = true; // before close(): jetcd calls onCompleted from it
            io.etcd.jetcd.Watch.Watcher w = watcher;
            if (w != null) w.close();
        }

        @Override
        public void onNext(WatchResponse response) {
            if (broken) return;
            if (response.isCreatedNotify()) {
                submit(() -> streamCreated(this));
            } else {
                submit(() -> handle(this, response));
            }
        }

        @Override
        public void onError(Throwable error) {
            if (broken) return;
            broken = true; // jetcd would now resume on its own from a revision we cannot trust: ignore it
            submit(() -> streamFailed(this, EtcdErrors.unwrap(error)));
        }

        @Override
        public void onCompleted() {
            if (broken) return;
            broken = true; // the server ended the stream without an error
            submit(() -> streamFailed(this, null));
        }

        @Override
        public String toString() {
            return "stream " + generation + " of " + prefix;
        }
    }
}
