package io.kubeha.cli;

import io.kubeha.bench.ApiBench;
import io.kubeha.bench.BenchTarget;
import io.kubeha.bench.Machine;
import io.kubeha.bench.Phases;
import io.kubeha.bench.PodBench;
import io.kubeha.bench.RawEtcdTarget;
import io.kubeha.bench.SchedulerBench;
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
        subcommands = {BenchCommand.StoreBenchCommand.class, BenchCommand.ApiBenchCommand.class, BenchCommand.SchedulerBenchCommand.class,
                BenchCommand.PodBenchCommand.class, BenchCommand.FailoverBenchCommand.class})
final class BenchCommand implements Runnable {
    @Command(name = "failover", mixinStandardHelpOptions = true,
            description = "Against a cluster of kubeha up: kill -9 the VIP holder's API server, again and again; how long the API through"
                    + " the VIP, and the controller-manager and scheduler leaders, are gone, and how many NodePort 31070 requests fail.")
    static final class FailoverBenchCommand implements Callable<Integer> {
        @Option(names = "--dir", defaultValue = "${sys:user.home}/.kubeha/up", description = "The cluster of kubeha up (default: ${DEFAULT-VALUE}).")
        java.nio.file.Path dir;

        @Option(names = "--rounds", defaultValue = "10", description = "Kills (default: ${DEFAULT-VALUE}).")
        int rounds;

        @Override
        public Integer call() throws Exception {
            Lab lab = new Lab(dir);
            if (lab.recorded().stream().noneMatch(Lab.Proc::alive)) {
                throw new Main.UserError("no cluster of kubeha up runs in " + lab.dir + ": start one with kubeha up --dir " + lab.dir);
            }
            if (rounds < 1) throw new Main.UserError("--rounds must be at least 1");
            if (lab.net.netns() && !Lab.inNamespace(Lab.namespace("admin"))) {
                return Lab.inAdmin("bench", "failover", "--dir", lab.dir.toString(), "--rounds", Integer.toString(rounds));
            }
            System.err.println("bench failover: " + rounds + " kills of the VIP holder's API server in " + lab.dir);
            System.out.print(new FailoverBench(lab, rounds, System.err).run());
            return 0;
        }
    }

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

        @Option(names = "--security", defaultValue = "both", paramLabel = "plain|tls|both",
                description = "plain: HTTP/1.1 without authentication (the figures before TLS); tls: HTTPS with HTTP/2, a client "
                        + "certificate and RBAC, as a user's client meets the server; both (default): one after the other, with their ratio.")
        String security;

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
            if (!List.of("plain", "tls", "both").contains(security)) throw new Main.UserError("--security: '" + security + "'; choose plain, tls or both");
            List<Boolean> modes = security.equals("both") ? List.of(false, true) : List.of(security.equals("tls"));
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
                        for (boolean secure : modes) {
                            if (tmp == null && s.equals("embedded")) tmp = Files.createTempDirectory("kubeha-bench-api-");
                            uri = tmp != null ? "embedded:" + tmp : etcdUri;
                            try (var store = Stores.open(uri, StoreOptions.DEFAULTS)) {
                                results.addAll(api.run(s, store, secure));
                            }
                            if (tmp != null) deleteTree(tmp);
                            tmp = null;
                        }
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
            if (security.equals("both")) {
                System.out.println();
                System.out.println("| store | TLS+RBAC / plain: create p50 | get p50 | update p50 | list p50 | watch p50 | get throughput |");
                System.out.println("|---|---:|---:|---:|---:|---:|---:|");
                for (String s : stores) {
                    String plain = s + " via API";
                    String tls = s + " TLS+RBAC via API";
                    System.out.printf("| %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |%n", s,
                            p50Ratio(medians, tls, plain, "create"), p50Ratio(medians, tls, plain, "get"), p50Ratio(medians, tls, plain, "update"),
                            p50Ratio(medians, tls, plain, "list " + listObjects), p50Ratio(medians, tls, plain, "watch delivery"),
                            ratio(medians, tls, "get", plain, "get"));
                }
            }
            return 0;
        }

        /** How many times the first target's median latency is the second's. */
        private static double p50Ratio(List<Phases.Result> rs, String t1, String t2, String op) {
            double a = rs.stream().filter(r -> r.target().equals(t1) && r.op().equals(op)).mapToDouble(Phases.Result::p50Micros).findFirst().orElse(Double.NaN);
            double b = rs.stream().filter(r -> r.target().equals(t2) && r.op().equals(op)).mapToDouble(Phases.Result::p50Micros).findFirst().orElse(Double.NaN);
            return a / b;
        }

        private static double ratio(List<Phases.Result> rs, String t1, String op1, String t2, String op2) {
            double a = rs.stream().filter(r -> r.target().equals(t1) && r.op().equals(op1)).mapToDouble(Phases.Result::perSecond).findFirst().orElse(Double.NaN);
            double b = rs.stream().filter(r -> r.target().equals(t2) && r.op().equals(op2)).mapToDouble(Phases.Result::perSecond).findFirst().orElse(Double.NaN);
            return a / b;
        }
    }

    @Command(name = "scheduler", mixinStandardHelpOptions = true,
            description = "Pods bound per second and the latency from creating a pod to seeing it bound, with kubeha's scheduler "
                    + "beside an in-process API server, for each node count (Node objects only: 4 cpu, 16Gi, 110 pods, Ready). "
                    + "The embedded store goes in a temp dir (fsync on, the server's default); with etcd and no --etcd it "
                    + "starts a 3-member etcd on loopback.")
    static final class SchedulerBenchCommand implements Callable<Integer> {
        @Option(names = "--nodes", split = ",", defaultValue = "100,1000,5000",
                description = "Node counts to run with (default: ${DEFAULT-VALUE}).")
        List<Integer> nodes;

        @Option(names = "--pods", defaultValue = "2000", description = "Pods created and bound per run (default: ${DEFAULT-VALUE}).")
        int pods;

        @Option(names = "--rate", defaultValue = "0",
                description = "Pods created per second; 0: as fast as the client threads can (default: ${DEFAULT-VALUE}).")
        double rate;

        @Option(names = "--backlog", description = "Create every pod before starting the scheduler, so that binding is not "
                + "capped by how fast pods are created (no latency is reported then).")
        boolean backlog;

        @Option(names = "--concurrency", defaultValue = "16", description = "Client threads creating nodes and pods (default: ${DEFAULT-VALUE}).")
        int concurrency;

        @Option(names = "--rounds", defaultValue = "1", description = "Rounds; medians are reported (default: ${DEFAULT-VALUE}).")
        int rounds;

        @Option(names = "--store", defaultValue = "embedded", description = "embedded or etcd (default: ${DEFAULT-VALUE}).")
        String store;

        @Option(names = "--etcd", paramLabel = "URL,...", description = "With --store etcd: an etcd cluster to use instead of starting one.")
        String etcd;

        @Override
        public Integer call() throws Exception {
            if (!List.of("embedded", "etcd").contains(store)) throw new Main.UserError("--store: unknown store '" + store + "'; choose embedded or etcd");
            if (etcd != null && !store.equals("etcd")) throw new Main.UserError("--etcd needs --store etcd");
            if (rounds < 1) throw new Main.UserError("--rounds must be at least 1");
            if (backlog && rate > 0) throw new Main.UserError("--backlog creates the pods before the scheduler starts: --rate has no meaning with it");
            if (nodes.isEmpty()) throw new Main.UserError("--nodes: give at least one node count");
            for (int n : nodes) {
                if (n < 1) throw new Main.UserError("--nodes: " + n + " is not a node count");
                if (SchedulerBench.capacity(n) < pods) {
                    throw new Main.UserError("--pods " + pods + " do not fit on " + n + " nodes (at most " + SchedulerBench.capacity(n)
                            + "): use fewer pods or more nodes");
                }
            }
            SchedulerBench bench;
            try {
                bench = new SchedulerBench(new SchedulerBench.Config(pods, concurrency, rate, backlog), System.err);
            } catch (IllegalArgumentException e) {
                throw new Main.UserError(e.getMessage());
            }
            List<SchedulerBench.Result> results = new ArrayList<>();
            EtcdCluster cluster = null;
            try {
                String etcdUri = null;
                if (store.equals("etcd")) {
                    if (etcd == null) cluster = startEtcd();
                    etcdUri = "etcd:" + (etcd != null ? parseEndpoints(etcd) : cluster.clientEndpoints()).stream()
                            .map(URI::toString).collect(Collectors.joining(","));
                }
                for (int round = 1; round <= rounds; round++) {
                    for (int n : nodes) {
                        System.err.printf("bench: round %d/%d: %s, %,d nodes ...%n", round, rounds, store, n);
                        Path tmp = store.equals("embedded") ? Files.createTempDirectory("kubeha-bench-sched-") : null;
                        try (var s = Stores.open(tmp != null ? "embedded:" + tmp : etcdUri, StoreOptions.DEFAULTS)) {
                            // etcd is shared by the rounds: each cleans up after itself
                            results.add(bench.run(store, s, n, tmp == null));
                        } finally {
                            if (tmp != null) deleteTree(tmp);
                        }
                    }
                }
            } finally {
                if (cluster != null) cluster.close();
            }
            System.out.println(Machine.describe());
            System.out.printf("Medians of %d round(s); %,d pods per run (100m cpu, 500Mi each), created %s by %d threads%s; "
                            + "bound/s from the first binding to the last; latency from the create call returning to the binding "
                            + "arriving on a watch; load avg: the machine's 1-minute load average at the end of a run.%n%n", rounds, pods,
                    rate > 0 ? String.format("at %.0f/s", rate) : "as fast as possible", concurrency,
                    backlog ? ", all before the scheduler started" : "");
            System.out.print(SchedulerBench.table(SchedulerBench.medians(results)));
            return 0;
        }
    }

    @Command(name = "pods", mixinStandardHelpOptions = true,
            description = "The node agent starting pods: latency from creating a pod (already bound to a node) to seeing it Ready "
                    + "on a watch, pods Ready per second, and the resident memory of the server, the agent and the pods' processes. "
                    + "Starts kubeha server (embedded store in a temp dir) and kubeha agent as child processes and kills them after. "
                    + "The issue's scale figure: --runtime simulated --nodes 1000 --pods 30000.")
    static final class PodBenchCommand implements Callable<Integer> {
        @Option(names = "--runtime", defaultValue = "process",
                description = "process (every pod an OS process) or simulated (no process; one agent can be many nodes) (default: ${DEFAULT-VALUE}).")
        String runtime;

        @Option(names = "--nodes", defaultValue = "1", description = "Nodes; more than one needs --runtime simulated (default: ${DEFAULT-VALUE}).")
        int nodes;

        @Option(names = "--pods", defaultValue = "100", description = "Pods per run, spread over the nodes (default: ${DEFAULT-VALUE}).")
        int pods;

        @Option(names = "--rounds", defaultValue = "1", description = "Rounds, each with fresh processes; medians are reported (default: ${DEFAULT-VALUE}).")
        int rounds;

        @Option(names = "--concurrency", defaultValue = "16", description = "Client threads creating pods (default: ${DEFAULT-VALUE}).")
        int concurrency;

        @Option(names = "--image", paramLabel = "NAME:TAG",
                description = "With --runtime process: run this image of the agent's store (e.g. logapi:1.0) with a readiness probe on "
                        + "its /readyz, instead of a shell that sleeps.")
        String image;

        @Option(names = "--heap", defaultValue = "2g", description = "Maximum heap of the server's and the agent's JVMs (default: ${DEFAULT-VALUE}).")
        String heap;

        @Override
        public Integer call() throws Exception {
            if (rounds < 1) throw new Main.UserError("--rounds must be at least 1");
            PodBench bench;
            try {
                bench = new PodBench(new PodBench.Config(runtime, nodes, pods, concurrency, image, Main.class.getName(), heap,
                        System.getProperty("kubeha.images") == null ? null : Path.of(System.getProperty("kubeha.images"))), System.err);
            } catch (IllegalArgumentException e) {
                throw new Main.UserError(e.getMessage());
            }
            List<PodBench.Result> results = new ArrayList<>();
            for (int round = 1; round <= rounds; round++) {
                System.err.printf("bench: round %d/%d: %s runtime, %,d node(s), %,d pods ...%n", round, rounds, runtime, nodes, pods);
                results.add(bench.run());
            }
            System.out.println(Machine.describe());
            System.out.printf("Medians of %d round(s); %,d pods (%s) created bound to %,d node(s) by %d threads; latency from the "
                            + "create call returning to Ready=True arriving on a watch; pods Ready/s from the first create call to the "
                            + "last pod Ready; memory (VmRSS, and VmHWM as the peak) once every pod was Ready.%n%n", rounds, pods,
                    runtime.equals("simulated") ? "simulated, no process" : image != null ? image + " with a readiness probe" : "sh -c 'exec sleep 3600'",
                    nodes, concurrency);
            System.out.print(PodBench.table(PodBench.medians(results)));
            return 0;
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
