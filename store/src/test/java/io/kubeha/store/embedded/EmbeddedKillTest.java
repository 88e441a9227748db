package io.kubeha.store.embedded;

import io.kubeha.store.KeyValue;
import io.kubeha.store.Store;
import io.kubeha.store.StoreOptions;
import io.kubeha.testkit.ChildJvm;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * A write the embedded store acknowledged survives kill -9 of its process: a child JVM writes from several
 * threads and reports each acknowledgement; it is killed at a random moment in the middle of the stream,
 * then every acknowledged write must be there after reopening, at the revision acknowledged. Three kills
 * in a row on the same data directory.
 */
class EmbeddedKillTest {
    @TempDir
    Path tmp;

    @ParameterizedTest(name = "fsync={0}")
    @ValueSource(booleans = {true, false})
    void acknowledgedWritesSurviveKill9(boolean fsync) throws Exception {
        Path dir = tmp.resolve("data");
        long lastRevision = 0;
        for (int round = 0; round < 3; round++) {
            Map<String, Long> acked = new LinkedHashMap<>();
            Path log = tmp.resolve("writer-" + round + ".log");
            try (ChildJvm child = ChildJvm.start(DurabilityWriter.class, log, dir.toString(), "r" + round, Boolean.toString(fsync))) {
                String ready = child.nextLine(Duration.ofSeconds(60));
                if (ready == null || !ready.startsWith("READY")) {
                    fail("the writer did not start: " + ready + "\n" + Files.readString(log));
                }
                assertThat(Long.parseLong(ready.split(" ")[1])).as("revision after reopen").isGreaterThanOrEqualTo(lastRevision);
                int target = 200 + ThreadLocalRandom.current().nextInt(400);
                while (acked.size() < target) {
                    String line = child.nextLine(Duration.ofSeconds(60));
                    if (line == null) fail("the writer stopped early:\n" + Files.readString(log));
                    record(acked, line);
                }
                child.kill9();
                for (String line : child.remainingLines(Duration.ofSeconds(10))) record(acked, line);
            }
            try (Store store = EmbeddedStore.open(dir, StoreOptions.DEFAULTS)) {
                for (Map.Entry<String, Long> a : acked.entrySet()) {
                    Optional<KeyValue> kv = store.get(a.getKey());
                    assertThat(kv).as("acknowledged write %s at revision %d after kill -9", a.getKey(), a.getValue()).isPresent();
                    assertThat(kv.get().modRevision()).isEqualTo(a.getValue());
                }
                lastRevision = store.currentRevision();
                assertThat(lastRevision).isGreaterThanOrEqualTo(acked.values().stream().mapToLong(Long::longValue).max().orElse(0));
                List<KeyValue> all = store.range("/durability/r" + round + "/", io.kubeha.store.RangeOptions.LATEST).kvs();
                assertThat(all.size()).as("every acknowledged key, and perhaps some committed but not yet acknowledged")
                        .isGreaterThanOrEqualTo(acked.size());
            }
        }
    }

    private static void record(Map<String, Long> acked, String line) {
        if (!line.startsWith("ACK ")) return;
        String[] parts = line.split(" ");
        if (parts.length == 3) acked.put(parts[1], Long.parseLong(parts[2]));
    }
}
