package io.kubeha.store.etcd;

import io.kubeha.store.Health;
import io.kubeha.store.KeyValue;
import io.kubeha.store.RangeOptions;
import io.kubeha.store.RecordingListener;
import io.kubeha.store.Store;
import io.kubeha.store.StoreException;
import io.kubeha.store.StoreOptions;
import io.kubeha.store.Watch;
import io.kubeha.store.WatchEvent;
import io.kubeha.testkit.EtcdCluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The etcd store while members die: a 3-member cluster per test (tests kill members), killed with SIGKILL
 * as a crash would. With one member gone everything goes on; with two gone writes fail Unavailable in bounded
 * time and work again once a member is back; a watch survives the loss of the member it streams from
 * without losing or repeating a change.
 */
class EtcdMemberLossIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(3);
    private static final Duration WAIT = Duration.ofSeconds(30);

    private EtcdCluster cluster;
    private Store store;
    private String p;

    @RegisterExtension
    final PrintEtcdLogsOnFailure logs = new PrintEtcdLogsOnFailure(() -> cluster);

    @BeforeEach
    void startCluster() {
        cluster = EtcdCluster.start(3);
        store = EtcdStore.open(cluster.clientEndpoints(), StoreOptions.DEFAULTS.withRequestTimeout(TIMEOUT));
        p = "/it/" + UUID.randomUUID() + "/";
    }

    @AfterEach
    void stopCluster() {
        List<ProcessHandle> etcds = new ArrayList<>();
        try {
            if (store != null) store.close();
        } finally {
            if (cluster != null) {
                for (int i = 0; i < cluster.size(); i++) {
                    if (cluster.isRunning(i)) ProcessHandle.of(cluster.pid(i)).ifPresent(etcds::add);
                }
                cluster.close();
            }
        }
        assertThat(etcds).as("etcd processes left running").noneMatch(ProcessHandle::isAlive);
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void withOneMemberLostReadsWritesAndWatchesGoOn() throws Exception {
        RecordingListener l = new RecordingListener();
        try (Watch w = store.watch(p, store.currentRevision(), l)) {
            cluster.kill(0);
            // if the killed member led, the others elect a new leader first (about a second)
            await().atMost(WAIT).ignoreException(StoreException.Unavailable.class)
                    .until(() -> store.put(p + "k/first", b("x")) != null);
            List<KeyValue> written = new ArrayList<>();
            for (int i = 0; i < 20; i++) written.add(store.put(p + "k/" + i, b("v" + i)));

            assertThat(store.count(p + "k/")).isEqualTo(21);
            assertThat(store.get(p + "k/7").orElseThrow()).isEqualTo(written.get(7));
            List<WatchEvent> seen = l.changes(21, WAIT);
            assertThat(seen.subList(1, 21)).extracting(WatchEvent::revision)
                    .containsExactlyElementsOf(written.stream().map(KeyValue::modRevision).toList());
            assertThat(store.health().healthy()).as(store.health().detail()).isTrue();
        }
    }

    @Test
    void withQuorumLostWritesFailUnavailableInBoundedTimeAndRecoverWhenAMemberReturns() {
        store.put(p + "before", b("x"));
        cluster.kill(0);
        cluster.kill(1);

        long started = System.nanoTime();
        assertThatThrownBy(() -> store.put(p + "during", b("x")))
                .isInstanceOf(StoreException.Unavailable.class)
                .hasMessageContaining(cluster.clientEndpoint(2).toString());
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        assertThat(took).as("a write without quorum fails within the request timeout (plus slack)")
                .isLessThan(TIMEOUT.plusSeconds(3));

        Health h = store.health();
        assertThat(h.healthy()).isFalse();
        assertThat(h.detail()).contains(cluster.clientEndpoint(0).toString() + " unreachable");

        cluster.restart(1);
        await().atMost(WAIT).ignoreException(StoreException.Unavailable.class)
                .until(() -> store.put(p + "after", b("x")) != null);
        assertThat(store.get(p + "before")).isPresent();
        assertThat(store.health().healthy()).isTrue();
    }

    @Test
    void aWatchSurvivesTheLossOfEveryMemberInTurnWithoutLosingOrRepeatingAChange() throws Exception {
        long start = store.currentRevision();
        RecordingListener l = new RecordingListener();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger attempted = new AtomicInteger();
        try (Watch w = store.watch(p, start, l)) {
            // one writer, unique keys: a write that failed Unavailable may still have been applied, so what
            // the watch must show is what the store holds at the end, not what the writer was told
            long writeUntil = System.nanoTime() + Duration.ofMinutes(3).toNanos(); // bounded whatever happens
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                while (!stop.get() && attempted.get() < 100_000 && System.nanoTime() < writeUntil) {
                    int i = attempted.getAndIncrement();
                    try {
                        store.put(p + String.format("%05d", i), b("v" + i));
                    } catch (StoreException.Unavailable e) {
                        // expected while a leader is being elected
                    }
                }
            });
            // the watch streams from one member; killing each in turn (the others keeping quorum) kills it too
            for (int i = 0; i < cluster.size(); i++) {
                int before = attempted.get();
                await().atMost(WAIT).until(() -> attempted.get() >= before + 50);
                cluster.kill(i);
                int during = attempted.get();
                await().atMost(WAIT).until(() -> attempted.get() >= during + 50);
                cluster.restart(i);
                cluster.awaitHealthy();
            }
            int last = attempted.get();
            await().atMost(WAIT).until(() -> attempted.get() >= last + 50);
            stop.set(true);
            writer.get();

            List<Long> stored = store.range(p, RangeOptions.LATEST).kvs().stream().map(KeyValue::modRevision)
                    .sorted().toList();
            assertThat(stored).hasSizeGreaterThan(200);
            List<WatchEvent> seen = l.changes(stored.size(), WAIT);
            assertThat(l.drainChanges(Duration.ofMillis(500))).as("changes beyond those stored").isEmpty();
            assertThat(seen).extracting(WatchEvent::revision).containsExactlyElementsOf(stored);
            assertThat(l.error).isNotDone();
        }
    }
}
