package io.kubeha.controllers;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

class WorkQueueTest {
    private final ScheduledExecutorService delayer = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void stop() {
        delayer.shutdownNow();
    }

    @Test
    void keysAddedTwiceBeforeTakeAreProcessedOnce() throws Exception {
        WorkQueue q = new WorkQueue(delayer);
        q.add("a");
        q.add("b");
        q.add("a");
        assertThat(q.length()).isEqualTo(2);
        assertThat(q.take()).isEqualTo("a");
        assertThat(q.take()).isEqualTo("b");
        assertThat(q.length()).isZero();
    }

    @Test
    void aKeyAddedWhileProcessingWaitsUntilDone() throws Exception {
        WorkQueue q = new WorkQueue(delayer);
        q.add("a");
        String k = q.take();
        q.add("a");
        assertThat(q.length()).as("not handed out while being processed").isZero();
        q.done(k);
        assertThat(q.length()).isEqualTo(1);
        assertThat(q.take()).isEqualTo("a");
    }

    @Test
    void backOffDoublesFromFiveMillisecondsToTheCapAndForgetResets() {
        WorkQueue q = new WorkQueue(delayer);
        assertThat(q.nextBackoff("k")).isEqualTo(Duration.ofMillis(5));
        assertThat(q.nextBackoff("k")).isEqualTo(Duration.ofMillis(10));
        assertThat(q.nextBackoff("k")).isEqualTo(Duration.ofMillis(20));
        for (int i = 0; i < 60; i++) {
            assertThat(q.nextBackoff("k")).isLessThanOrEqualTo(Duration.ofSeconds(1000));
        }
        assertThat(q.nextBackoff("k")).isEqualTo(Duration.ofSeconds(1000));
        assertThat(q.nextBackoff("other")).isEqualTo(Duration.ofMillis(5));
        q.forget("k");
        assertThat(q.numRequeues("k")).isZero();
        assertThat(q.nextBackoff("k")).isEqualTo(Duration.ofMillis(5));
        assertThatThrownBy(() -> new WorkQueue(delayer, Duration.ZERO, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shutDownReleasesWaitingWorkers() throws Exception {
        WorkQueue q = new WorkQueue(delayer);
        AtomicInteger returned = new AtomicInteger();
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                if (q.take() == null) {
                    returned.incrementAndGet();
                }
            } catch (InterruptedException ignored) {
            }
        });
        q.shutDown();
        t.join(Duration.ofSeconds(10));
        assertThat(returned).hasValue(1);
    }

    @Test
    void loopNeverRunsOneKeyOnTwoWorkersAndRetriesFailuresUntilTheySucceed() {
        WorkQueue q = new WorkQueue(delayer, Duration.ofMillis(1), Duration.ofMillis(10));
        Set<String> inFlight = ConcurrentHashMap.newKeySet();
        AtomicInteger overlaps = new AtomicInteger();
        AtomicInteger failuresLeft = new AtomicInteger(3);
        AtomicLong runs = new AtomicLong();
        Set<String> succeeded = ConcurrentHashMap.newKeySet();
        Reconciler r = key -> {
            if (!inFlight.add(key)) {
                overlaps.incrementAndGet();
            }
            try {
                runs.incrementAndGet();
                Thread.sleep(1); // widen the window for overlaps
                if (key.equals("fail") && failuresLeft.getAndDecrement() > 0) {
                    throw new IllegalStateException("injected");
                }
                succeeded.add(key);
                return null;
            } finally {
                inFlight.remove(key);
            }
        };
        try (ReconcileLoop loop = new ReconcileLoop("test", q, r, 4, () -> true).start()) {
            for (int i = 0; i < 200; i++) {
                q.add("k" + (i % 5));
            }
            q.add("fail");
            await().atMost(Duration.ofSeconds(30)).until(() -> succeeded.size() == 6);
            assertThat(overlaps).hasValue(0);
            assertThat(q.numRequeues("fail")).isZero();
        }
    }

    @Test
    void loopDoesNotReconcileWhileTheGateIsClosedAndResumesWhenItOpens() {
        WorkQueue q = new WorkQueue(delayer);
        AtomicInteger runs = new AtomicInteger();
        AtomicInteger gateChecks = new AtomicInteger();
        java.util.concurrent.atomic.AtomicBoolean acting = new java.util.concurrent.atomic.AtomicBoolean(false);
        try (ReconcileLoop loop = new ReconcileLoop("gate", q, k -> {
            runs.incrementAndGet();
            return null;
        }, 2, () -> {
            gateChecks.incrementAndGet();
            return acting.get();
        }).start()) {
            q.add("x");
            await().atMost(Duration.ofSeconds(10)).until(() -> gateChecks.get() >= 3);
            assertThat(runs).as("kept, not reconciled, while the gate is closed").hasValue(0);
            acting.set(true);
            await().atMost(Duration.ofSeconds(10)).until(() -> runs.get() == 1);
        }
    }
}
