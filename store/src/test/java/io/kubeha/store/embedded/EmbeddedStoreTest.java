package io.kubeha.store.embedded;

import io.kubeha.store.Store;
import io.kubeha.store.StoreContractTest;
import io.kubeha.store.StoreOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class EmbeddedStoreTest extends StoreContractTest {
    @TempDir
    Path dir;

    @Override
    protected Store openStore() {
        return EmbeddedStore.open(dir, StoreOptions.DEFAULTS.withProgressInterval(Duration.ofMillis(500)));
    }

    @Test
    void reopenedStoreHasEveryKeyRevisionAndTheCompaction() {
        store.put(p + "a", b("1"));
        store.put(p + "a", b("2"));
        store.put(p + "b", b("1"));
        store.delete(p + "b");
        long rev = store.currentRevision();
        store.compact(rev - 1);
        store.close();

        store = openStore();
        assertThat(store.currentRevision()).isEqualTo(rev);
        assertThat(store.get(p + "a").orElseThrow().version()).isEqualTo(2);
        assertThat(store.get(p + "b")).isEmpty();
        assertThat(store.put(p + "c", b("x")).modRevision()).isEqualTo(rev + 1);
    }

    @Test
    void revisionsAreNeverReusedAfterTheNewestRecordsWereCompactedAway() {
        store.put(p + "a", b("1"));
        store.delete(p + "a");
        long rev = store.currentRevision();
        store.compact(rev);
        store.close();

        store = openStore();
        assertThat(store.currentRevision()).isEqualTo(rev);
        assertThat(store.put(p + "a", b("again")).modRevision()).isEqualTo(rev + 1);
    }
}
