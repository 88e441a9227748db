package io.kubeha.cli;

import io.kubeha.bench.ApiBench;
import io.kubeha.bench.BenchTarget;
import io.kubeha.bench.Machine;
import io.kubeha.bench.Phases;
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
        subcommands = {BenchCommand.StoreBenchCommand.class, BenchCommand.ApiBenchCommand.class})
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
            List<Phases.Result> results = new ArrayList<>();
            EtcdCluster cluster = null;
            Path tmp = null;
            try {
                List<URI> endpoints = null;
                if (stores.contains("etcd") || stores.contains("raw-etcd")) {
                    if (etcd == null) cluster = startEtcd();
                    endpoints = etcd != null ? parseEndpoints(etcd) : cluster.clientEndpoints();
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
            System.out.print(Phases.table(Phases.medians(results)));
            return 0;
        }
    }

    @Command(name = "api", mixinStandardHelpOptions = true,
            description = "Create, get, update, list and watch-delivery throughput and latency through the API server on each "
                    + "store, beside the same store's raw figures (the API layer's cost as a ratio). Without --etcd it starts "
                    + "a 3-member etcd on loopback.")
    static final class ApiBenchCommand implements Callable<Integer> {
        @Option(names = "--stores", split = ",", defaultValue = "embedded,etcd",
                description = "Which stores, of embedded and etcd (default: ${DEFAULT-VALUE}).")
        List<String> stores;

        @Option(names = "--etcd", paramLabel = "URL,...", description = "An etcd cluster to use instead of starting one.")
        String etcd;

        @Option(names = "--rounds", defaultValue = "1", description = "Rounds; medians are reported (default: ${DEFAULT-VALUE}).")
        int rounds;

        @Option(names = "--objects", defaultValue = "5000") int objects;
        @Option(names = "--gets", defaultValue = "10000") int gets;
        @Option(names = "--lists", defaultValue = "100") int lists;
        @Option(names = "--list-objects", defaultValue = "1000") int listObjects;
        @Option(names = "--watch-events", defaultValue = "3000") int watchEvents;
        @Option(names = "--concurrency", defaultValue = "16") int concurrency;

        @Override
        public Integer call() throws Exception {
            for (String s : stores) {
                if (!List.of("embedded", "etcd").contains(s)) throw new Main.UserError("--stores: unknown store '" + s + "'; choose from embedded, etcd");
            }
            if (rounds < 1) throw new Main.UserError("--rounds must be at least 1");
            ApiBench api = new ApiBench(new ApiBench.Config(objects, gets, lists, listObjects, watchEvents, concurrency, 1024), System.err);
            StoreBench raw = new StoreBench(new StoreBench.Config(objects, gets, lists, listObjects, watchEvents, concurrency, 1024), System.err);
            List<Phases.Result> results = new ArrayList<>();
            EtcdCluster cluster = null;
            try {
                String etcdUri = null;
                if (stores.contains("etcd")) {
                    if (etcd == null) cluster = startEtcd();
                    etcdUri = "etcd:" + (etcd != null ? parseEndpoints(etcd) : cluster.clientEndpoints()).stream()
                            .map(URI::toString).collect(Collectors.joining(","));
                }
                for (int round = 1; round <= rounds; round++) {
                    for (String s : stores) {
                        System.err.println("bench: round " + round + "/" + rounds + ": " + s + " ...");
                        Path tmp = s.equals("embedded") ? Files.createTempDirectory("kubeha-bench-api-") : null;
                        String uri = tmp != null ? "embedded:" + tmp : etcdUri;
                        try (var store = Stores.open(uri, StoreOptions.DEFAULTS)) {
                            results.addAll(api.run(s, store));
                        }
                        if (tmp != null) deleteTree(tmp);
                        tmp = s.equals("embedded") ? Files.createTempDirectory("kubeha-bench-raw-") : null;
                        uri = tmp != null ? "embedded:" + tmp : etcdUri;
                        try (StoreTarget target = new StoreTarget(s + " store", Stores.open(uri, StoreOptions.DEFAULTS))) {
                            results.addAll(raw.run(target));
                        }
                        if (tmp != null) deleteTree(tmp);
                    }
                }
            } finally {
                if (cluster != null) cluster.close();
            }
            List<Phases.Result> medians = Phases.medians(results);
            System.out.println(Machine.describe());
            System.out.printf("Medians of %d round(s); %d virtual threads; 1 KiB ConfigMaps (API) and 1 KiB values (store).%n%n",
                    rounds, concurrency);
            System.out.print(Phases.table(medians));
            System.out.println();
            System.out.println("| store | API create / store put | API get / store get | API list / store range | API watch / store watch |");
            System.out.println("|---|---:|---:|---:|---:|");
            for (String s : stores) {
                System.out.printf("| %s | %.2f | %.2f | %.2f | %.2f |%n", s,
                        ratio(medians, s + " via API", "create", s + " store", "put"),
                        ratio(medians, s + " via API", "get", s + " store", "get"),
                        ratio(medians, s + " via API", "list " + listObjects, s + " store", "range " + listObjects),
                        ratio(medians, s + " via API", "watch delivery", s + " store", "watch delivery"));
            }
            return 0;
        }

        private static double ratio(List<Phases.Result> rs, String t1, String op1, String t2, String op2) {
            double a = rs.stream().filter(r -> r.target().equals(t1) && r.op().equals(op1)).mapToDouble(Phases.Result::perSecond).findFirst().orElse(Double.NaN);
            double b = rs.stream().filter(r -> r.target().equals(t2) && r.op().equals(op2)).mapToDouble(Phases.Result::perSecond).findFirst().orElse(Double.NaN);
            return a / b;
        }
    }

    /** The benchmarks' own 3-member etcd on loopback, when the user names none. */
    static EtcdCluster startEtcd() {
        System.err.println("bench: starting a 3-member etcd cluster on loopback ...");
        return EtcdCluster.start(3);
    }

    static List<URI> parseEndpoints(String list) {
        return List.of(list.split(",")).stream().map(String::strip).map(URI::create).toList();
    }

    static void deleteTree(Path root) throws java.io.IOException {
        try (var paths = Files.walk(root)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
