package io.kubeha.store.etcd;

import io.kubeha.store.Health;
import io.kubeha.store.RangeOptions;
import io.kubeha.store.RecordingListener;
import io.kubeha.store.Store;
import io.kubeha.store.StoreContractTest;
import io.kubeha.store.StoreException;
import io.kubeha.store.StoreOptions;
import io.kubeha.testkit.EtcdCluster;
import io.kubeha.testkit.Ports;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The store contract against a real 3-member etcd cluster, plus what only the etcd store has to say. */
class EtcdStoreTest extends StoreContractTest {
    private static EtcdCluster cluster;

    @RegisterExtension
    static final PrintEtcdLogsOnFailure logs = new PrintEtcdLogsOnFailure(() -> cluster);

    @BeforeAll
    static void startCluster() {
        cluster = EtcdCluster.start(3);
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) cluster.close();
    }

    @Override
    protected Store openStore() {
        return EtcdStore.open(cluster.clientEndpoints(), StoreOptions.DEFAULTS);
    }

    @Test
    void aValueLargerThanEtcdAcceptsIsInvalid() {
        byte[] huge = new byte[2 * 1024 * 1024]; // etcd's --max-request-bytes defaults to 1.5 MiB
        assertThatThrownBy(() -> store.put(p + "huge", huge))
                .isInstanceOf(StoreException.Invalid.class)
                .hasMessageContaining("larger than etcd accepts");
        assertThat(store.get(p + "huge")).isEmpty();
    }

    @Test
    void compactedReadsAndWatchesReportEtcdsCompactionRevision() {
        store.put(p + "a", b("1"));
        long old = store.currentRevision();
        for (int i = 0; i < 3; i++) store.put(p + "a", b("more" + i));
        long compactedAt = store.currentRevision();
        store.compact(compactedAt);

        // etcd's error has no revision in it; the store must find the real one, not guess old + 1
        assertThatThrownBy(() -> store.range(p, RangeOptions.atRevision(old)))
                .isInstanceOfSatisfying(StoreException.Compacted.class, e -> {
                    assertThat(e.requested()).isEqualTo(old);
                    assertThat(e.compactRevision()).isEqualTo(compactedAt);
                });
        assertThatThrownBy(() -> store.watch(p, old, new RecordingListener()))
                .isInstanceOfSatisfying(StoreException.Compacted.class,
                        e -> assertThat(e.compactRevision()).isEqualTo(compactedAt));
        store.compact(old); // below the compaction revision: nothing to do, no error
    }

    @Test
    void unreachableEtcdFailsUnavailableWithinTheTimeout() {
        URI nothing = URI.create("http://127.0.0.1:" + Ports.free(Ports.loopback()));
        Duration timeout = Duration.ofSeconds(1);
        try (Store dead = EtcdStore.open(List.of(nothing), StoreOptions.DEFAULTS.withRequestTimeout(timeout))) {
            long started = System.nanoTime();
            assertThatThrownBy(() -> dead.put(p + "a", b("x")))
                    .isInstanceOf(StoreException.Unavailable.class)
                    .hasMessageContaining(nothing.toString())
                    .hasMessageContaining("check that");
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(timeout.plusSeconds(2));
            assertThatThrownBy(() -> dead.watch(p, 0, new RecordingListener()))
                    .isInstanceOf(StoreException.Unavailable.class);
            Health h = dead.health();
            assertThat(h.healthy()).isFalse();
            assertThat(h.detail()).contains(nothing + " unreachable");
        }
    }

    @Test
    void closingTheStoreEndsItsOpenWatchesUnavailable() throws Exception {
        Store other = openStore();
        RecordingListener l = new RecordingListener();
        other.watch(p, other.currentRevision(), l);
        other.close();
        assertThat(l.error.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isInstanceOf(StoreException.Unavailable.class);
        assertThatThrownBy(other::currentRevision).isInstanceOf(StoreException.Unavailable.class);
    }

    @Test
    void describeNamesTheEndpoints() {
        assertThat(store.describe()).startsWith("etcd:").contains(cluster.clientEndpoint(0).toString());
    }
}
