package io.kubeha.bench;

import io.kubeha.store.StoreOptions;
import io.kubeha.store.embedded.EmbeddedStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A tiny run of the scheduler benchmark end to end: its figures are there and say what happened (no timing asserted). */
class SchedulerBenchTest {
    @Test
    void everyPodIsBoundAcrossTheNodesAndTheFiguresAreReported(@TempDir Path dir) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SchedulerBench bench = new SchedulerBench(new SchedulerBench.Config(40, 4, 0, false), new PrintStream(out, true, StandardCharsets.UTF_8));
        SchedulerBench.Result r;
        try (var store = EmbeddedStore.open(dir.resolve("store"), StoreOptions.DEFAULTS.withFsync(false))) {
            r = bench.run("embedded", store, 5, false);
        }
        assertThat(r.nodes()).isEqualTo(5);
        assertThat(r.pods()).isEqualTo(40);
        assertThat(r.nodesUsed()).isEqualTo(5); // 40 pods of 100m spread by least-allocated over 5 empty nodes
        assertThat(r.bindPerSecond()).isPositive();
        assertThat(r.p99Micros()).isGreaterThanOrEqualTo(r.p50Micros());
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("embedded, 5 nodes: 40 pods created at", "bound at");

        String table = SchedulerBench.table(SchedulerBench.medians(List.of(r, r)));
        assertThat(table).startsWith("| store | nodes | pods |").contains("| embedded | 5 | 40 |");
    }

    @Test
    void withABacklogThePodsWaitForTheSchedulerAndNoLatencyIsClaimed(@TempDir Path dir) throws Exception {
        SchedulerBench bench = new SchedulerBench(new SchedulerBench.Config(30, 4, 0, true), System.err);
        SchedulerBench.Result r;
        try (var store = EmbeddedStore.open(dir.resolve("store"), StoreOptions.DEFAULTS.withFsync(false))) {
            r = bench.run("embedded", store, 3, false);
        }
        assertThat(r.pods()).isEqualTo(30);
        assertThat(r.nodesUsed()).isEqualTo(3);
        assertThat(r.bindPerSecond()).isPositive();
        assertThat(r.p50Micros()).isNaN();
        assertThat(SchedulerBench.table(List.of(r))).contains("| – | – |");
    }

    @Test
    void morePodsThanTheNodesHoldAreRefusedUpFront() {
        assertThat(SchedulerBench.capacity(100)).isEqualTo(3_200); // 16Gi / 500Mi = 32 per node
        SchedulerBench bench = new SchedulerBench(new SchedulerBench.Config(100, 1, 0, false), System.err);
        assertThatThrownBy(() -> bench.run("embedded", null, 3, false)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("100 pods do not fit on 3 nodes");
        assertThatThrownBy(() -> new SchedulerBench.Config(0, 1, 0, false)).hasMessageContaining("pods must be at least 1");
    }
}
