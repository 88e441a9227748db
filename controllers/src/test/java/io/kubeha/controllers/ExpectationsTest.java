package io.kubeha.controllers;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class ExpectationsTest {
    @Test
    void creationsAndDeletionsMustBeObservedOrExpire() {
        AtomicLong now = new AtomicLong();
        Expectations e = new Expectations(now::get, Duration.ofMinutes(5));
        assertThat(e.satisfied("rs")).isTrue();
        e.expect("rs", 2, Set.of());
        assertThat(e.satisfied("rs")).isFalse();
        e.creationObserved("rs");
        assertThat(e.satisfied("rs")).isFalse();
        e.creationObserved("rs");
        assertThat(e.satisfied("rs")).isTrue();

        e.expect("rs", 0, Set.of("ns/a", "ns/b"));
        e.deletionObserved("rs", "ns/a");
        e.deletionObserved("rs", "ns/a"); // the same pod seen twice (update with deletionTimestamp, then delete)
        assertThat(e.satisfied("rs")).isFalse();
        e.deletionObserved("rs", "ns/b");
        assertThat(e.satisfied("rs")).isTrue();

        e.expect("rs", 1, Set.of());
        now.addAndGet(Duration.ofMinutes(5).plusNanos(1).toNanos());
        assertThat(e.satisfied("rs")).as("expired").isTrue();
        e.delete("rs");
        assertThat(e.describe("rs")).isEqualTo("none");
    }
}
