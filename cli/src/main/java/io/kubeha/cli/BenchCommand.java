package io.kubeha.cli;

import io.kubeha.bench.BenchTarget;
import io.kubeha.bench.Machine;
import io.kubeha.bench.RawEtcdTarget;
import io.kubeha.bench.StoreBench;
import io.kubeha.bench.StoreTarget;
import io.kubeha.store.StoreOptions;
import io.kubeha.store.Stores;
import io.kubeha.store.embedded.EmbeddedStore;
import io.kubeha.testkit.EtcdCluster;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks; results as Markdown tables.",
        subcommands = {BenchCommand.StoreBenchCommand.class})
final class BenchCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "store", mixinStandardHelpOptions = true,
            description = "Put, get, range and watch-delivery throughput and latency of each store, with raw etcd "
                    + "(jetcd, no kubeha code) as the reference. Without --etcd it starts a 3-member etcd on loopback.")
    static final class StoreBenchCommand implements Callable<Integer> {
        @Option(names = "--stores", split = ",", defaultValue = "embedded,etcd,raw-etcd",
                description = "Which to run, of embedded, etcd, raw-etcd (default: ${DEFAULT-VALUE}).")
        List<String> stores;

        @Option(names = "--etcd", paramLabel = "URL,...", description = "An etcd cluster to use instead of starting one.")
        String etcd;

        @Option(names = "--data-dir", description = "Where the embedded store goes (default: a temp dir, removed after).")
        Path dataDir;

        @Option(names = "--no-fsync", description = "Embedded store without fsync per commit (survives kill -9, not power loss).")
        boolean noFsync;

        @Option(names = "--rounds", defaultValue = "1",
                description = "Run every store this many times (in rotating order) and report medians (default: ${DEFAULT-VALUE}).")
        int rounds;

        @Option(names = "--puts", defaultValue = "10000") int puts;
        @Option(names = "--gets", defaultValue = "20000") int gets;
        @Option(names = "--ranges", defaultValue = "300") int ranges;
        @Option(names = "--range-keys", defaultValue = "1000") int rangeKeys;
        @Option(names = "--watch-events", defaultValue = "5000") int watchEvents;
        @Option(names = "--concurrency", defaultValue = "16") int concurrency;
        @Option(names = "--value-bytes", defaultValue = "1024") int valueBytes;

        @Override
        public Integer call() throws Exception {
            for (String s : stores) {
                if (!List.of("embedded", "etcd", "raw-etcd").contains(s)) {
                    throw new Main.UserError("--stores: unknown store '" + s + "'; choose from embedded, etcd, raw-etcd");
                }
            }
            StoreBench bench = new StoreBench(new StoreBench.Config(puts, gets, ranges, rangeKeys, watchEvents, concurrency,
                    valueBytes), System.err);
            List<StoreBench.Result> results = new ArrayList<>();
            EtcdCluster cluster = null;
            Path tmp = null;
            try {
                List<URI> endpoints = null;
                if (stores.contains("etcd") || stores.contains("raw-etcd")) {
                    if (etcd != null) {
                        endpoints = List.of(etcd.split(",")).stream().map(String::strip).map(URI::create).toList();
                    } else {
                        System.err.println("bench: starting a 3-member etcd cluster on loopback ...");
                        cluster = EtcdCluster.start(3);
                        endpoints = cluster.clientEndpoints();
                    }
                }
                if (rounds < 1) throw new Main.UserError("--rounds must be at least 1");
                List<String> order = new ArrayList<>(stores);
                for (int round = 1; round <= rounds; round++) {
                  for (String s : order) {
                    System.err.println("bench: round " + round + "/" + rounds + ": " + s + " ...");
                    BenchTarget target = switch (s) {
                        case "embedded" -> {
                            Path dir = dataDir;
                            if (dir == null) dir = tmp = Files.createTempDirectory("kubeha-bench-");
                            yield new StoreTarget("embedded" + (noFsync ? " (no fsync)" : ""),
                                    EmbeddedStore.open(dir, StoreOptions.DEFAULTS.withFsync(!noFsync)));
                        }
                        case "etcd" -> new StoreTarget("etcd (kubeha store)", Stores.open("etcd:" + endpoints.stream()
                                .map(URI::toString).collect(Collectors.joining(",")), StoreOptions.DEFAULTS));
                        default -> new RawEtcdTarget(endpoints);
                    };
                    try (target) {
                        results.addAll(bench.run(target));
                    }
                    if (tmp != null) {
                        deleteTree(tmp);
                        tmp = null;
                    }
                  }
                  java.util.Collections.rotate(order, 1); // no store always runs first
                }
            } finally {
                if (cluster != null) cluster.close();
                if (tmp != null) deleteTree(tmp);
            }
            System.out.println(Machine.describe());
            System.out.printf("Medians of %d round(s); each phase: %d virtual threads, %d-byte values.%n%n", rounds,
                    concurrency, valueBytes);
            System.out.print(StoreBench.table(StoreBench.medians(results)));
            return 0;
        }
    }

    static void deleteTree(Path root) throws java.io.IOException {
        try (var paths = Files.walk(root)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
