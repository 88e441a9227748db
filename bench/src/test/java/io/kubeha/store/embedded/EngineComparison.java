package io.kubeha.store.embedded;

import io.kubeha.bench.Machine;
import io.kubeha.bench.Phases;
import io.kubeha.bench.StoreBench;
import io.kubeha.bench.StoreTarget;
import io.kubeha.store.StoreOptions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * How the embedded store's engine was chosen: the same store (index, group commit, watches) on three
 * well-kept embedded storage libraries, driven by the same benchmark as {@code kubeha bench store}, with
 * fsync per commit. Run: see BENCHMARKS.md.
 */
public final class EngineComparison {
    public static void main(String[] args) throws Exception {
        List<String> argv = List.of(args);
        StoreBench.Config config = argv.contains("--quick")
                ? new StoreBench.Config(2_000, 5_000, 100, 1_000, 2_000, 16, 1_024)
                : StoreBench.Config.defaults();
        int rounds = argv.contains("--rounds") ? Integer.parseInt(argv.get(argv.indexOf("--rounds") + 1)) : 1;
        StoreBench bench = new StoreBench(config, System.err);
        List<Phases.Result> results = new ArrayList<>();
        List<String> engines = new ArrayList<>(List.of("lmdb", "sqlite", "mvstore"));
        for (int round = 0; round < rounds; round++) {
            for (String engine : engines) results.addAll(runOnce(bench, engine));
            java.util.Collections.rotate(engines, 1); // no engine always goes first
        }
        System.out.println(Machine.describe());
        System.out.printf("Medians of %d round(s); each phase: %d virtual threads, %d-byte values, fsync per commit.%n%n",
                rounds, config.concurrency(), config.valueBytes());
        System.out.print(Phases.table(Phases.medians(results)));
    }

    private static List<Phases.Result> runOnce(StoreBench bench, String engine) throws Exception {
        List<Phases.Result> results = new ArrayList<>();
        {
            Path dir = Files.createTempDirectory("kubeha-engine-" + engine);
            Backend backend = switch (engine) {
                case "lmdb" -> new LmdbBackend(dir, true, LmdbBackend.DEFAULT_MAP_SIZE);
                case "sqlite" -> new SqliteBackend(dir, true);
                default -> new MvStoreBackend(dir, true);
            };
            System.err.println("engine " + engine + " ...");
            try (StoreTarget target = new StoreTarget("embedded on " + engine, new EmbeddedStore(backend, StoreOptions.DEFAULTS))) {
                results.addAll(bench.run(target));
            }
            long bytes;
            try (var files = Files.walk(dir)) {
                bytes = files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
            }
            System.err.printf("engine %s: %,d bytes on disk%n", engine, bytes);
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        return results;
    }
}
