package io.kubeha.client;

import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

class StampedLeaseLockTest {
    static final Instant NOW = Instant.parse("2026-11-25T18:00:10Z");
    static final long NANO_NOW = 1_000_000_000_000L;

    @Test
    void aSlowReadCountsFromTheStampNotFromTheWrite() {
        // renewTime stamped 4 s ago, before a read that took 3.5 s; the write started 0.5 s ago
        long stamp = StampedLeaseLock.stamp(NOW.minusSeconds(4), NOW, NANO_NOW, NANO_NOW - 500_000_000L);
        assertThat(NANO_NOW - stamp).isEqualTo(4_000_000_000L);
    }

    @Test
    void aStampFromTheFutureCountsFromTheWrite() {
        long stamp = StampedLeaseLock.stamp(NOW.plusSeconds(2), NOW, NANO_NOW, NANO_NOW - 300_000_000L);
        assertThat(NANO_NOW - stamp).isEqualTo(300_000_000L);
    }

    @Test
    void noStampCountsFromTheWrite() {
        assertThat(StampedLeaseLock.stamp(null, NOW, NANO_NOW, NANO_NOW - 7)).isEqualTo(NANO_NOW - 7);
    }

    @Test
    void aLockThatNeverRenewedIsNotWithinAnyDeadline() {
        assertThat(new StampedLeaseLock("kube-system", "x", "me").renewedWithin(java.time.Duration.ofDays(1))).isFalse();
    }

    @Test
    void identitiesNameTheProcessAndDiffer() {
        String a = Identity.forThisProcess();
        assertThat(a).contains("_" + ProcessHandle.current().pid() + "_");
        assertThat(a).isNotEqualTo(Identity.forThisProcess());
    }
}
