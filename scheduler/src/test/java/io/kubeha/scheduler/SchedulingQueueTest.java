package io.kubeha.scheduler;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** The queue on a clock the test moves. */
class SchedulingQueueTest {
    private final AtomicLong now = new AtomicLong();
    private final SchedulingQueue queue = new SchedulingQueue(Duration.ofSeconds(1), Duration.ofSeconds(10), now::get);

    private void advance(Duration d) {
        now.addAndGet(d.toNanos());
    }

    @Test
    void fifoAndNoDuplicates() {
        queue.add("ns/a");
        queue.add("ns/b");
        queue.add("ns/a");
        assertThat(queue.poll()).isEqualTo("ns/a");
        queue.add("ns/a"); // in flight: not handed out twice
        assertThat(queue.poll()).isEqualTo("ns/b");
        assertThat(queue.poll()).isNull();
    }

    @Test
    void backoffDoublesFromOneToTenSeconds() {
        assertThat(queue.backoffNanos(1)).isEqualTo(Duration.ofSeconds(1).toNanos());
        assertThat(queue.backoffNanos(2)).isEqualTo(Duration.ofSeconds(2).toNanos());
        assertThat(queue.backoffNanos(4)).isEqualTo(Duration.ofSeconds(8).toNanos());
        assertThat(queue.backoffNanos(5)).isEqualTo(Duration.ofSeconds(10).toNanos());
        assertThat(queue.backoffNanos(50)).isEqualTo(Duration.ofSeconds(10).toNanos());
    }

    @Test
    void unschedulablePodIsRetriedWhenItsBackoffEnds() {
        queue.add("ns/a");
        queue.poll();
        queue.unschedulable("ns/a");
        assertThat(queue.poll()).isNull();
        queue.add("ns/a"); // an update while backing off does not cut the back-off short
        advance(Duration.ofMillis(999));
        assertThat(queue.poll()).isNull();
        advance(Duration.ofMillis(1));
        assertThat(queue.poll()).isEqualTo("ns/a");
        queue.unschedulable("ns/a");
        advance(Duration.ofMillis(1999));
        assertThat(queue.poll()).isNull();
        advance(Duration.ofMillis(1));
        assertThat(queue.poll()).isEqualTo("ns/a");
        assertThat(queue.attempts("ns/a")).isEqualTo(2);
        queue.done("ns/a");
        assertThat(queue.attempts("ns/a")).isZero();
    }

    @Test
    void clusterEventRetriesWaitingPodsAtOnce() {
        queue.add("ns/a");
        queue.poll();
        queue.unschedulable("ns/a");
        assertThat(queue.isBackingOff("ns/a")).isTrue();
        queue.moveAllToActive();
        assertThat(queue.poll()).isEqualTo("ns/a");
    }

    @Test
    void clusterEventDuringAnAttemptIsNotLost() {
        queue.add("ns/a");
        queue.poll();
        queue.moveAllToActive(); // a node was added while ns/a was being scheduled against the old snapshot
        queue.unschedulable("ns/a");
        assertThat(queue.poll()).isEqualTo("ns/a");
    }

    @Test
    void deletedPodIsForgotten() {
        queue.add("ns/a");
        queue.poll();
        queue.delete("ns/a");
        queue.unschedulable("ns/a");
        advance(Duration.ofSeconds(30));
        assertThat(queue.poll()).isNull();
        assertThat(queue.size()).isZero();
    }

    @Test
    void takeWaitsForTheBackoffOnTheRealClock() throws Exception {
        var real = new SchedulingQueue(Duration.ofMillis(50), Duration.ofMillis(100), System::nanoTime);
        real.add("ns/a");
        assertThat(real.take(Duration.ofSeconds(1))).isEqualTo("ns/a");
        real.unschedulable("ns/a");
        long t0 = System.nanoTime();
        assertThat(real.take(Duration.ofSeconds(5))).isEqualTo("ns/a");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(40));
        assertThat(real.take(Duration.ofMillis(20))).isNull();
    }
}
