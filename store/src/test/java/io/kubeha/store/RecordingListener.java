package io.kubeha.store;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** A watch listener that records what it is given, for tests to wait on. */
public final class RecordingListener implements WatchListener {
    private final BlockingQueue<WatchEvent> events = new LinkedBlockingQueue<>();
    public final CompletableFuture<StoreException> error = new CompletableFuture<>();

    @Override
    public void onEvent(WatchEvent event) {
        events.add(event);
    }

    @Override
    public void onError(StoreException e) {
        error.complete(e);
    }

    /** The next change event (progress marks skipped), failing after {@code timeout}. */
    public WatchEvent nextChange(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            WatchEvent e = events.poll(Math.max(0, left), TimeUnit.NANOSECONDS);
            assertThat(e).as("a watch event within %s", timeout).isNotNull();
            if (!(e instanceof WatchEvent.Progress)) return e;
        }
    }

    /** The next progress mark, skipping changes, failing after {@code timeout}. */
    public WatchEvent.Progress nextProgress(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            WatchEvent e = events.poll(Math.max(0, left), TimeUnit.NANOSECONDS);
            assertThat(e).as("a progress notification within %s", timeout).isNotNull();
            if (e instanceof WatchEvent.Progress p) return p;
        }
    }

    /** Exactly {@code n} change events, failing when they do not arrive within {@code timeout}. */
    public List<WatchEvent> changes(int n, Duration timeout) throws InterruptedException {
        List<WatchEvent> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) out.add(nextChange(timeout));
        return out;
    }

    /** Change events that arrive within {@code quiet}, without waiting longer. */
    public List<WatchEvent> drainChanges(Duration quiet) throws InterruptedException {
        List<WatchEvent> out = new ArrayList<>();
        WatchEvent e;
        while ((e = events.poll(quiet.toMillis(), TimeUnit.MILLISECONDS)) != null) {
            if (!(e instanceof WatchEvent.Progress)) out.add(e);
        }
        return out;
    }
}
