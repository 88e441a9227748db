package io.kubeha.store;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The contract every {@link Store} keeps: one abstract suite, extended once per implementation. Each test
 * works under its own random prefix, so implementations may share one store between tests.
 */
public abstract class StoreContractTest {
    protected static final Duration WAIT = Duration.ofSeconds(10);

    protected Store store;
    protected String p;

    /** A store for one test; closed after it. */
    protected abstract Store openStore() throws Exception;

    @BeforeEach
    void openIt() throws Exception {
        store = openStore();
        p = "/t/" + UUID.randomUUID() + "/";
    }

    @AfterEach
    void closeIt() {
        if (store != null) store.close();
    }

    protected static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void createThenGetCarriesRevisionsAndVersion() {
        long before = store.currentRevision();
        KeyValue kv = store.create(p + "a", b("one"));
        assertThat(kv.modRevision()).isEqualTo(before + 1);
        assertThat(kv.createRevision()).isEqualTo(kv.modRevision());
        assertThat(kv.version()).isEqualTo(1);
        assertThat(store.get(p + "a")).contains(kv);
        assertThat(store.currentRevision()).isEqualTo(kv.modRevision());
        assertThat(store.get(p + "missing")).isEmpty();
    }

    @Test
    void createOfAnExistingKeyFailsWithTheExistingValue() {
        KeyValue kv = store.create(p + "a", b("one"));
        assertThatThrownBy(() -> store.create(p + "a", b("two")))
                .isInstanceOfSatisfying(StoreException.KeyExists.class, e -> assertThat(e.existing()).isEqualTo(kv));
        assertThat(store.get(p + "a").orElseThrow().valueAsString()).isEqualTo("one");
    }

    @Test
    void updateNeedsTheCurrentModRevision() {
        KeyValue v1 = store.create(p + "a", b("one"));
        KeyValue v2 = store.update(p + "a", b("two"), v1.modRevision());
        assertThat(v2.version()).isEqualTo(2);
        assertThat(v2.createRevision()).isEqualTo(v1.createRevision());
        assertThat(v2.modRevision()).isEqualTo(v1.modRevision() + 1);
        assertThat(v2.valueAsString()).isEqualTo("two");

        assertThatThrownBy(() -> store.update(p + "a", b("stale"), v1.modRevision()))
                .isInstanceOfSatisfying(StoreException.Conflict.class, e -> {
                    assertThat(e.current()).isEqualTo(v2);
                    assertThat(e.expected()).isEqualTo(v1.modRevision());
                });
        assertThatThrownBy(() -> store.update(p + "nothing", b("x"), 5))
                .isInstanceOfSatisfying(StoreException.Conflict.class, e -> assertThat(e.current()).isNull());
        assertThat(store.get(p + "a")).contains(v2);
    }

    @Test
    void deleteConditionalAndUnconditional() {
        KeyValue a = store.create(p + "a", b("1"));
        store.create(p + "b", b("2"));
        assertThatThrownBy(() -> store.delete(p + "a", a.modRevision() + 100))
                .isInstanceOf(StoreException.Conflict.class);
        KeyValue deleted = store.delete(p + "a", a.modRevision());
        assertThat(deleted).isEqualTo(a);
        assertThat(store.get(p + "a")).isEmpty();

        assertThat(store.delete(p + "b").valueAsString()).isEqualTo("2");
        long rev = store.currentRevision();
        assertThat(store.delete(p + "b")).as("deleting an absent key").isNull();
        assertThat(store.currentRevision()).as("deleting nothing does not advance the revision").isEqualTo(rev);
    }

    @Test
    void recreatedKeyStartsANewGeneration() {
        KeyValue first = store.create(p + "a", b("1"));
        store.delete(p + "a");
        KeyValue second = store.create(p + "a", b("2"));
        assertThat(second.version()).isEqualTo(1);
        assertThat(second.createRevision()).isGreaterThan(first.createRevision());
    }

    @Test
    void everyWriteAdvancesTheRevisionByOneAndFailedOrReadOnlyTxnsDoNot() {
        long r0 = store.currentRevision();
        store.put(p + "a", b("1"));
        store.put(p + "a", b("2"));
        assertThat(store.currentRevision()).isEqualTo(r0 + 2);
        TxnResult failed = store.txn(new Txn(List.of(Compare.absent(p + "a")), List.of(Op.put(p + "a", b("3"))), List.of()));
        assertThat(failed.succeeded()).isFalse();
        TxnResult read = store.txn(new Txn(List.of(), List.of(Op.get(p + "a")), List.of()));
        assertThat(read.succeeded()).isTrue();
        assertThat(read.revision()).isEqualTo(r0 + 2);
        assertThat(store.currentRevision()).isEqualTo(r0 + 2);
    }

    @Test
    void multiKeyTxnIsAllOrNothingAtOneRevision() {
        KeyValue a = store.create(p + "a", b("a1"));
        KeyValue bb = store.create(p + "b", b("b1"));

        TxnResult bad = store.txn(new Txn(
                List.of(Compare.modRevisionIs(p + "a", a.modRevision()), Compare.modRevisionIs(p + "b", 1)),
                List.of(Op.put(p + "a", b("a2")), Op.put(p + "b", b("b2"))),
                List.of(Op.get(p + "a"), Op.get(p + "b"))));
        assertThat(bad.succeeded()).isFalse();
        assertThat(bad.results()).containsExactly(
                new TxnResult.OpResult.Get(p + "a", a), new TxnResult.OpResult.Get(p + "b", bb));
        assertThat(store.get(p + "a").orElseThrow().valueAsString()).isEqualTo("a1");

        TxnResult good = store.txn(new Txn(
                List.of(Compare.modRevisionIs(p + "a", a.modRevision()), Compare.modRevisionIs(p + "b", bb.modRevision()),
                        Compare.absent(p + "c")),
                List.of(Op.put(p + "a", b("a2")), Op.delete(p + "b"), Op.put(p + "c", b("c1")), Op.get(p + "c")),
                List.of()));
        assertThat(good.succeeded()).isTrue();
        long rev = good.revision();
        assertThat(rev).isEqualTo(bb.modRevision() + 1);
        var put = (TxnResult.OpResult.Put) good.results().get(0);
        assertThat(put.kv().modRevision()).isEqualTo(rev);
        assertThat(put.prev()).isEqualTo(a);
        assertThat(((TxnResult.OpResult.Delete) good.results().get(1)).prev()).isEqualTo(bb);
        var created = (TxnResult.OpResult.Put) good.results().get(2);
        assertThat(created.prev()).isNull();
        assertThat(created.kv().createRevision()).isEqualTo(rev);
        assertThat(((TxnResult.OpResult.Get) good.results().get(3)).kv()).isEqualTo(created.kv());
        assertThat(store.get(p + "c").orElseThrow().modRevision()).isEqualTo(rev);
        assertThat(store.get(p + "b")).isEmpty();
        assertThat(store.currentRevision()).isEqualTo(rev);
    }

    @Test
    void concurrentCompareAndSwapLetsExactlyOneWin() throws Exception {
        KeyValue a = store.create(p + "a", b("0"));
        int n = 8;
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int id = i;
                results.add(ex.submit(() -> {
                    try {
                        store.update(p + "a", b("w" + id), a.modRevision());
                        return true;
                    } catch (StoreException.Conflict e) {
                        return false;
                    }
                }));
            }
            int wins = 0;
            for (Future<Boolean> f : results) if (f.get()) wins++;
            assertThat(wins).isEqualTo(1);
        }
        assertThat(store.get(p + "a").orElseThrow().version()).isEqualTo(2);
    }

    @Test
    void rangeReturnsThePrefixInKeyOrderOnly() {
        store.put(p + "x/b", b("2"));
        store.put(p + "x/a", b("1"));
        store.put(p + "x/c", b("3"));
        store.put(p + "xy/a", b("other prefix"));
        store.put(p + "w", b("before"));
        RangeResult r = store.range(p + "x/", RangeOptions.LATEST);
        assertThat(r.kvs()).extracting(KeyValue::key).containsExactly(p + "x/a", p + "x/b", p + "x/c");
        assertThat(r.count()).isEqualTo(3);
        assertThat(r.more()).isFalse();
        assertThat(r.revision()).isEqualTo(store.currentRevision());
        assertThat(store.count(p + "x/")).isEqualTo(3);
        assertThat(store.count(p)).isEqualTo(5);
        assertThat(store.range(p + "nothing/", RangeOptions.LATEST).kvs()).isEmpty();
    }

    @Test
    void pagedRangeVisitsEveryKeyOnceAtOneRevision() {
        Set<String> written = new HashSet<>();
        for (int i = 0; i < 25; i++) {
            store.put(p + "k/" + String.format("%03d", i), b("v" + i));
            written.add(p + "k/" + String.format("%03d", i));
        }
        RangeResult first = store.range(p + "k/", RangeOptions.LATEST.withLimit(10));
        assertThat(first.kvs()).hasSize(10);
        assertThat(first.more()).isTrue();
        assertThat(first.count()).isEqualTo(25);
        long rev = first.revision();
        store.put(p + "k/000a", b("written after the first page"));

        List<String> seen = new ArrayList<>();
        first.kvs().forEach(kv -> seen.add(kv.key()));
        String next = first.continueKey();
        while (next != null) {
            RangeResult page = store.range(p + "k/", RangeOptions.atRevision(rev).withLimit(10).withStartKey(next));
            page.kvs().forEach(kv -> seen.add(kv.key()));
            next = page.continueKey();
        }
        assertThat(seen).doesNotHaveDuplicates();
        assertThat(new HashSet<>(seen)).isEqualTo(written);
    }

    @Test
    void rangeAtAnOlderRevisionSeesTheOldState() {
        KeyValue a1 = store.put(p + "a", b("1"));
        store.put(p + "b", b("1"));
        long then = store.currentRevision();
        store.put(p + "a", b("2"));
        store.delete(p + "b");
        store.put(p + "c", b("1"));

        RangeResult old = store.range(p, RangeOptions.atRevision(then));
        assertThat(old.kvs()).extracting(KeyValue::key).containsExactly(p + "a", p + "b");
        assertThat(old.kvs().get(0)).isEqualTo(a1);
        assertThat(old.revision()).isEqualTo(then);
        RangeResult now = store.range(p, RangeOptions.LATEST);
        assertThat(now.kvs()).extracting(KeyValue::valueAsString).containsExactly("2", "1");
    }

    @Test
    void keysOnlyRangeLeavesValuesEmpty() {
        store.put(p + "a", b("value"));
        RangeResult r = store.range(p, new RangeOptions(0, 0, null, true));
        assertThat(r.kvs()).hasSize(1);
        assertThat(r.kvs().get(0).value()).isEmpty();
        assertThat(r.kvs().get(0).version()).isEqualTo(1);
    }

    @Test
    void rangeAtAFutureRevisionIsRefused() {
        long future = store.currentRevision() + 1000;
        assertThatThrownBy(() -> store.range(p, RangeOptions.atRevision(future)))
                .isInstanceOf(StoreException.Invalid.class)
                .hasMessageContaining("future");
    }

    @Test
    void largeValuesRoundTrip() {
        byte[] big = new byte[1024 * 1024];
        for (int i = 0; i < big.length; i++) big[i] = (byte) (i * 31);
        store.put(p + "big", big);
        assertThat(store.get(p + "big").orElseThrow().value()).isEqualTo(big);
    }

    @Test
    void compactionDropsOldHistoryOnly() throws Exception {
        store.put(p + "a", b("1"));
        long old = store.currentRevision();
        store.put(p + "a", b("2"));
        store.put(p + "gone", b("x"));
        store.delete(p + "gone");
        long mid = store.currentRevision();
        store.put(p + "a", b("3"));

        store.compact(mid);
        assertThatThrownBy(() -> store.range(p, RangeOptions.atRevision(old)))
                .isInstanceOfSatisfying(StoreException.Compacted.class,
                        e -> assertThat(e.compactRevision()).isGreaterThanOrEqualTo(mid));
        assertThat(store.range(p, RangeOptions.atRevision(mid)).kvs())
                .extracting(KeyValue::valueAsString).containsExactly("2");
        assertThat(store.get(p + "a").orElseThrow().valueAsString()).isEqualTo("3");
        assertThat(store.get(p + "gone")).isEmpty();

        RecordingListener l = new RecordingListener();
        try {
            Watch w = store.watch(p, old, l);
            w.close();
            assertThat(l.error.get(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS))
                    .isInstanceOf(StoreException.Compacted.class);
        } catch (StoreException.Compacted expected) {
            // thrown at once is as good as reported through the listener
        }
        // compacting again at or below the compacted revision changes nothing
        store.compact(mid);
        assertThat(store.get(p + "a").orElseThrow().valueAsString()).isEqualTo("3");
    }

    @Test
    void watchDeliversEveryChangeAfterItsRevisionInOrderWithPreviousValues() throws Exception {
        KeyValue a1 = store.put(p + "a", b("1"));
        long start = store.currentRevision();
        RecordingListener l = new RecordingListener();
        try (Watch w = store.watch(p, start, l)) {
            KeyValue a2 = store.put(p + "a", b("2"));
            KeyValue c = store.create(p + "c", b("c"));
            store.put("/elsewhere/" + UUID.randomUUID(), b("not watched"));
            store.delete(p + "a");

            List<WatchEvent> got = l.changes(3, WAIT);
            assertThat(got.get(0)).isEqualTo(new WatchEvent.Put(a2, a1));
            assertThat(got.get(1)).isEqualTo(new WatchEvent.Put(c, null));
            assertThat(got.get(2)).isInstanceOfSatisfying(WatchEvent.Delete.class, d -> {
                assertThat(d.key()).isEqualTo(p + "a");
                assertThat(d.prev()).isEqualTo(a2);
                assertThat(d.revision()).isEqualTo(store.currentRevision());
            });
            assertThat(l.drainChanges(Duration.ofMillis(300))).isEmpty();
        }
    }

    @Test
    void watchFromAnOlderRevisionReplaysHistoryThenFollows() throws Exception {
        long start = store.currentRevision();
        for (int i = 0; i < 5; i++) store.put(p + "k" + i, b("v" + i));
        RecordingListener l = new RecordingListener();
        try (Watch w = store.watch(p, start, l)) {
            for (int i = 5; i < 10; i++) store.put(p + "k" + i, b("v" + i));
            List<WatchEvent> got = l.changes(10, WAIT);
            for (int i = 0; i < 10; i++) {
                assertThat(((WatchEvent.Put) got.get(i)).kv().key()).isEqualTo(p + "k" + i);
                assertThat(got.get(i).revision()).isEqualTo(start + 1 + i);
            }
            assertThat(l.drainChanges(Duration.ofMillis(300))).isEmpty();
        }
    }

    @Test
    void watchUnderConcurrentWritersSeesEveryRevisionOnceAscending() throws Exception {
        long start = store.currentRevision();
        RecordingListener l = new RecordingListener();
        int writers = 4, each = 50;
        try (Watch w = store.watch(p, start, l)) {
            try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int t = 0; t < writers; t++) {
                    int id = t;
                    ex.submit(() -> {
                        for (int i = 0; i < each; i++) store.put(p + "w" + id + "/" + i, b("x"));
                        return null;
                    });
                }
            }
            List<WatchEvent> got = l.changes(writers * each, WAIT);
            long prev = start;
            for (WatchEvent e : got) {
                assertThat(e.revision()).isGreaterThan(prev);
                prev = e.revision();
            }
            assertThat(l.drainChanges(Duration.ofMillis(300))).isEmpty();
        }
    }

    @Test
    void requestedProgressReportsTheWatchIsCurrent() throws Exception {
        RecordingListener l = new RecordingListener();
        try (Watch w = store.watch(p, store.currentRevision(), l)) {
            KeyValue kv = store.put(p + "a", b("1"));
            assertThat(l.nextChange(WAIT).revision()).isEqualTo(kv.modRevision());
            w.requestProgress();
            assertThat(l.nextProgress(WAIT).revision()).isGreaterThanOrEqualTo(kv.modRevision());
        }
    }

    @Test
    void closedWatchDeliversNothingMore() throws Exception {
        RecordingListener l = new RecordingListener();
        Watch w = store.watch(p, store.currentRevision(), l);
        store.put(p + "a", b("1"));
        l.nextChange(WAIT);
        w.close();
        store.put(p + "a", b("2"));
        assertThat(l.drainChanges(Duration.ofMillis(500))).isEmpty();
        assertThat(l.error).isNotDone();
    }

    @Test
    void healthyStoreSaysSo() {
        Health h = store.health();
        assertThat(h.healthy()).as(h.detail()).isTrue();
        assertThat(store.describe()).isNotBlank();
    }
}
