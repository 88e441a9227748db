package io.kubeha.store.embedded;

import io.kubeha.store.Compactor;
import io.kubeha.store.RangeOptions;
import io.kubeha.store.Store;
import io.kubeha.store.StoreException;
import io.kubeha.store.StoreOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CompactorTest {
    @TempDir
    Path dir;

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void keepsOneIntervalOfHistoryAndOnlyOneOfTwoServersCompactsPerRound() {
        ScheduledExecutorService never = Executors.newSingleThreadScheduledExecutor();
        try (Store store = EmbeddedStore.open(dir, StoreOptions.DEFAULTS);
             Compactor a = new Compactor(store, Duration.ofHours(1), never);
             Compactor b = new Compactor(store, Duration.ofHours(1), never)) {
            store.put("/test/k", b("1"));
            long first = store.currentRevision();
            a.tick(); // records `first`, compacts nothing
            b.tick(); // loses the race: a holds the key
            store.put("/test/k", b("2"));
            long second = store.currentRevision();
            assertThat(store.range("/test/k", RangeOptions.atRevision(first - 1)).kvs()).isEmpty();

            a.tick(); // compacts to what it recorded one round ago
            assertThatThrownBy(() -> store.range("/test/k", RangeOptions.atRevision(first - 1)))
                    .isInstanceOf(StoreException.Compacted.class);
            assertThat(store.range("/test/k", RangeOptions.atRevision(second)).kvs()).hasSize(1);
            assertThat(store.get("/test/k").orElseThrow().valueAsString()).isEqualTo("2");
        } finally {
            never.shutdownNow();
        }
    }
}
