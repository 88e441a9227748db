package io.kubeha.store;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Keeps a retention window of history and compacts what is older, as kube-apiserver does for etcd: every
 * {@code interval} it records the current revision, and compacts to the revision it recorded one interval
 * earlier, so at least one interval of history is always kept for watches to resume from.
 *
 * <p>Several API servers share one store; a compare-and-swap on {@link #KEY} lets exactly one of them
 * compact per interval, whichever wins (kube-apiserver's compact_rev_key does the same).
 */
public final class Compactor implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Compactor.class);
    public static final String KEY = "/kubeha/compact_rev_key";

    private final Store store;
    private final ScheduledFuture<?> task;
    /** The key's modRevision when this compactor last saw it; 0 before. */
    private long seen;
    /** The revision recorded one interval ago, to compact to now; 0 when there is none. */
    private long pending;

    public Compactor(Store store, Duration interval, ScheduledExecutorService scheduler) {
        this.store = store;
        long ms = interval.toMillis();
        this.task = scheduler.scheduleWithFixedDelay(this::safeTick, ms, ms, TimeUnit.MILLISECONDS);
    }

    private void safeTick() {
        try {
            tick();
        } catch (StoreException e) {
            log.warn("compaction skipped this round: {}", e.getMessage());
        } catch (RuntimeException e) {
            log.error("compaction failed", e);
        }
    }

    /** One round; public so that a test can drive it without waiting for the clock. */
    public synchronized void tick() {
        long current = store.currentRevision();
        TxnResult r = store.txn(new Txn(List.of(Compare.modRevisionIs(KEY, seen)),
                List.of(Op.put(KEY, Long.toString(current).getBytes(StandardCharsets.UTF_8))),
                List.of(Op.get(KEY))));
        if (r.succeeded()) {
            seen = r.revision();
            if (pending > 0) {
                store.compact(pending);
                log.info("compacted history before revision {}", pending);
            }
            pending = current;
        } else {
            // another server won this round; follow its key and start our window again
            KeyValue kv = ((TxnResult.OpResult.Get) r.results().get(0)).kv();
            seen = kv == null ? 0 : kv.modRevision();
            pending = 0;
        }
    }

    @Override
    public void close() {
        task.cancel(false);
    }
}
