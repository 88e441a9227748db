package io.kubeha.bench;

import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.kubeha.apiserver.ApiServer;
import io.kubeha.scheduler.Scheduler;
import io.kubeha.scheduler.SchedulerConfig;
import io.kubeha.store.Store;
import io.kubeha.testkit.Ports;
import org.HdrHistogram.Histogram;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

/**
 * The scheduler benchmark: one API server in this process on a given store, kubeha's scheduler beside it as an API
 * client (as {@code kubeha server} runs it), N Node objects made ready (as a kubelet would register them: 4 cpu,
 * 16Gi, 110 pods), then pending pods with requests (scheduler_perf's default pod: 100m cpu, 500Mi) created as fast as
 * the client threads can, or at a steady rate. It measures what a user sees: pods bound per second, from the first
 * binding to the last as a watch shows them, and per pod the latency from its create call returning to its binding
 * arriving on that watch. Nodes are created by many threads at once so that 5,000 take seconds, not minutes.
 */
public final class SchedulerBench {
    /**
     * @param pods        pods created and bound per run
     * @param concurrency client threads creating pods (and nodes)
     * @param rate        pods created per second; 0: as fast as the threads can
     * @param backlog     create every pod first and only then start the scheduler: the binding rate is then the
     *                    scheduler's own (with its API writes), not capped by how fast pods can be created; the
     *                    create-to-bound latency means nothing in this mode and is not reported
     */
    public record Config(int pods, int concurrency, double rate, boolean backlog) {
        public Config {
            if (pods < 1) throw new IllegalArgumentException("pods must be at least 1, was " + pods);
            if (concurrency < 1) throw new IllegalArgumentException("concurrency must be at least 1, was " + concurrency);
            if (rate < 0) throw new IllegalArgumentException("rate must not be negative, was " + rate);
        }

        public static Config defaults() {
            return new Config(2_000, 16, 0, false);
        }
    }

    /**
     * One run's figures: {@code createPerSecond} from the first create call to the last one's answer (when it is
     * close to {@code bindPerSecond}, the client or the API server's writes were the limit, not the scheduler);
     * {@code bindPerSecond} first to last binding; latencies from a create call's answer to its binding seen.
     */
    public record Result(String store, int nodes, int pods, double nodeSeconds, double createPerSecond, double bindPerSecond,
                         double p50Micros, double p99Micros, int nodesUsed, double loadAverage) { }

    private static final String NODE_CPU = "4";
    private static final String NODE_MEMORY = "16Gi";
    private static final String NODE_PODS = "110";

    private final Config config;
    private final PrintStream progress;
    private final Phases phases;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    public SchedulerBench(Config config, PrintStream progress) {
        this.config = config;
        this.progress = progress;
        this.phases = new Phases(config.concurrency(), progress);
    }

    /** Pods that fit on {@code nodes} of the benchmark's size (memory is the tighter resource: 32 per node). */
    public static long capacity(int nodes) {
        return nodes * Math.min(110L, Math.min(4_000 / 100, 16L * 1024 / 500));
    }

    /**
     * One run on {@code store}, which should be empty (a fresh data directory); when {@code cleanUp}, the run deletes
     * its pods and nodes at the end so that the next run on the same store starts from nothing again.
     */
    public Result run(String storeName, Store store, int nodes, boolean cleanUp) throws Exception {
        if (capacity(nodes) < config.pods()) {
            throw new IllegalArgumentException(config.pods() + " pods do not fit on " + nodes + " nodes of " + NODE_CPU + " cpu and "
                    + NODE_MEMORY + " (at most " + capacity(nodes) + " pods of 100m and 500Mi)");
        }
        InetAddress lo = InetAddress.getLoopbackAddress();
        String label = String.format("%s, %,d nodes", storeName, nodes);
        try (ApiServer server = new ApiServer(store, new InetSocketAddress(lo, Ports.free(lo))).start()) {
            String base = "http://127.0.0.1:" + server.address().getPort();
            String run = Long.toHexString(System.nanoTime());
            String ns = "sched-bench-" + run;
            send("POST", base + "/api/v1/namespaces", "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"" + ns + "\"}}", 201);

            try (KubernetesClient client = new KubernetesClientBuilder().withConfig(new ConfigBuilder().withMasterUrl(base)
                    .withOnlyHttpWatches(true).withRequestTimeout(60_000).build()).build();
                 Scheduler scheduler = new Scheduler(client, SchedulerConfig.defaults())) {
                if (!config.backlog()) scheduler.start();
                AtomicLong created = new AtomicLong();
                long t0 = System.nanoTime();
                String ts = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
                try (Phases.Progress p = phases.progress(label + ": nodes created", nodes, created)) {
                    phases.parallel(nodes, i -> {
                        String name = nodeName(run, i);
                        send("POST", base + "/api/v1/nodes", node(name), 201);
                        send("PATCH", base + "/api/v1/nodes/" + name + "/status", nodeStatus(ts), 200);
                        created.incrementAndGet();
                    });
                }
                double nodeSeconds = (System.nanoTime() - t0) / 1e9;
                progress.printf("  %s: %,d nodes created in %.1f s%n", label, nodes, nodeSeconds);
                if (!config.backlog()) awaitScheduler(label, scheduler, nodes);
                Result result = schedulePods(label, storeName, base, ns, nodes, nodeSeconds, scheduler);
                if (cleanUp) {
                    progress.printf("  %s: deleting the run's pods and nodes%n", label);
                    phases.parallel(config.pods(), i -> send("DELETE", base + "/api/v1/namespaces/" + ns + "/pods/" + podName(i)
                            + "?gracePeriodSeconds=0", null, 200));
                    phases.parallel(nodes, i -> send("DELETE", base + "/api/v1/nodes/" + nodeName(run, i), null, 200));
                }
                return result;
            }
        }
    }

    private void awaitScheduler(String label, Scheduler scheduler, int nodes) throws InterruptedException {
        progress.printf("  %s: waiting for the scheduler to lead and to see the nodes%n", label);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!(scheduler.isLeader() && scheduler.nodeCount() >= nodes)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the scheduler saw " + scheduler.nodeCount() + " of " + nodes + " nodes within 120 s");
            }
            Thread.sleep(20);
        }
    }

    private Result schedulePods(String label, String storeName, String base, String ns, int nodes, double nodeSeconds,
                                Scheduler scheduler) throws Exception {
        int n = config.pods();
        AtomicLongArray createdAt = new AtomicLongArray(n);
        AtomicLongArray boundAt = new AtomicLongArray(n);
        AtomicLong bound = new AtomicLong();
        long start;
        Set<String> nodesUsed = ConcurrentHashMap.newKeySet();
        String list = send("GET", base + "/api/v1/namespaces/" + ns + "/pods", null, 200);
        HttpResponse<InputStream> watch = http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/namespaces/" + ns
                + "/pods?watch=1&resourceVersion=" + resourceVersion(list))).build(), HttpResponse.BodyHandlers.ofInputStream());
        Thread reader = Thread.ofPlatform().daemon().name("sched-bench-watch").start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(watch.body(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    String node = field(line, "\"nodeName\":\"");
                    if (node == null) continue;
                    String name = field(line, "\"name\":\"" + POD_PREFIX);
                    if (name == null) continue;
                    int i = Integer.parseInt(name);
                    if (boundAt.compareAndSet(i, 0, System.nanoTime())) {
                        nodesUsed.add(node);
                        bound.incrementAndGet();
                    }
                }
            } catch (Exception ignored) {
                // the watch was closed
            }
        });
        try {
            start = System.nanoTime();
            long interval = config.rate() > 0 ? (long) (1e9 / config.rate()) : 0;
            try (Phases.Progress p = phases.progress(label + ": pods bound", n, bound)) {
                phases.parallel(n, i -> {
                    if (interval > 0) {
                        long due = start + i * interval;
                        for (long wait; (wait = due - System.nanoTime()) > 0; ) LockSupport.parkNanos(wait);
                    }
                    send("POST", base + "/api/v1/namespaces/" + ns + "/pods", pod(i), 201);
                    createdAt.set(i, System.nanoTime());
                });
                if (config.backlog()) {
                    progress.printf("  %s: %,d pods created; starting the scheduler%n", label, n);
                    scheduler.start();
                }
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120 + n / 20);
                while (bound.get() < n) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("the watch showed " + bound.get() + " of " + n + " pods bound in time");
                    }
                    Thread.sleep(20);
                }
            }
        } finally {
            watch.body().close();
            reader.interrupt();
        }
        Histogram h = new Histogram(3);
        long first = Long.MAX_VALUE, last = Long.MIN_VALUE, lastCreated = Long.MIN_VALUE;
        for (int i = 0; i < n; i++) {
            lastCreated = Math.max(lastCreated, createdAt.get(i));
            long b = boundAt.get(i);
            first = Math.min(first, b);
            last = Math.max(last, b);
            // the binding can be seen before the create call's answer arrives: that is no latency at all
            h.recordValue(Math.max(0, b - createdAt.get(i)) / 1_000);
        }
        double secs = (last - first) / 1e9;
        double perSecond = n > 1 && secs > 0 ? (n - 1) / secs : Double.NaN;
        double createPerSecond = n / ((lastCreated - start) / 1e9);
        double p50 = config.backlog() ? Double.NaN : h.getValueAtPercentile(50);
        double p99 = config.backlog() ? Double.NaN : h.getValueAtPercentile(99);
        progress.printf("  %s: %,d pods created at %,.0f/s, bound at %,.0f/s; create to bound p50 %.1f ms, p99 %.1f ms; %,d nodes used%n",
                label, n, createPerSecond, perSecond, p50 / 1000.0, p99 / 1000.0, nodesUsed.size());
        return new Result(storeName, nodes, n, nodeSeconds, createPerSecond, perSecond, p50, p99,
                nodesUsed.size(), loadAverage());
    }

    /** Per store and node count, the median of each figure over the runs (in first-seen order). */
    public static List<Result> medians(List<Result> runs) {
        Map<String, List<Result>> groups = new LinkedHashMap<>();
        for (Result r : runs) groups.computeIfAbsent(r.store() + "\u0000" + r.nodes(), k -> new ArrayList<>()).add(r);
        List<Result> out = new ArrayList<>();
        for (List<Result> g : groups.values()) {
            Result f = g.get(0);
            out.add(new Result(f.store(), f.nodes(), f.pods(), Phases.median(g.stream().mapToDouble(Result::nodeSeconds).toArray()),
                    Phases.median(g.stream().mapToDouble(Result::createPerSecond).toArray()),
                    Phases.median(g.stream().mapToDouble(Result::bindPerSecond).toArray()),
                    Phases.median(g.stream().mapToDouble(Result::p50Micros).toArray()),
                    Phases.median(g.stream().mapToDouble(Result::p99Micros).toArray()),
                    (int) Phases.median(g.stream().mapToDouble(Result::nodesUsed).toArray()),
                    Phases.median(g.stream().mapToDouble(Result::loadAverage).toArray())));
        }
        return out;
    }

    /** The results as a Markdown table. */
    public static String table(List<Result> results) {
        StringBuilder sb = new StringBuilder();
        sb.append("| store | nodes | pods | nodes created in (s) | pods created/s | pods bound/s | create to bound p50 (ms) | p99 (ms) | load avg |\n");
        sb.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Result r : results) {
            sb.append(String.format("| %s | %,d | %,d | %.1f | %,.0f | %,.0f | %s | %s | %.1f |%n", r.store(), r.nodes(), r.pods(), r.nodeSeconds(),
                    r.createPerSecond(), r.bindPerSecond(), millis(r.p50Micros()), millis(r.p99Micros()), r.loadAverage()));
        }
        return sb.toString();
    }

    // ---------------------------------------------------------------- objects

    private static final String POD_PREFIX = "bench-pod-";

    private static String nodeName(String run, int i) {
        return String.format("bench-%s-node-%05d", run, i);
    }

    private static String podName(int i) {
        return POD_PREFIX + i;
    }

    private static String node(String name) {
        return "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"" + name + "\",\"labels\":{\"kubernetes.io/hostname\":\""
                + name + "\",\"kubernetes.io/os\":\"linux\",\"kubernetes.io/arch\":\"amd64\"}},\"spec\":{}}";
    }

    /** What a kubelet reports: capacity and allocatable alike, and Ready. */
    private static String nodeStatus(String ts) {
        String resources = "{\"cpu\":\"" + NODE_CPU + "\",\"memory\":\"" + NODE_MEMORY + "\",\"pods\":\"" + NODE_PODS + "\"}";
        return "{\"status\":{\"capacity\":" + resources + ",\"allocatable\":" + resources + ",\"conditions\":[{\"type\":\"Ready\","
                + "\"status\":\"True\",\"reason\":\"KubeletReady\",\"message\":\"kubelet is posting ready status\",\"lastHeartbeatTime\":\""
                + ts + "\",\"lastTransitionTime\":\"" + ts + "\"}]}}";
    }

    /** scheduler_perf's default pod: one pause container requesting (and limited to) 100m cpu and 500Mi. */
    private static String pod(int i) {
        String r = "{\"cpu\":\"100m\",\"memory\":\"500Mi\"}";
        return "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"" + podName(i) + "\"},\"spec\":{\"containers\":[{"
                + "\"name\":\"pause\",\"image\":\"registry.k8s.io/pause:3.10\",\"resources\":{\"requests\":" + r + ",\"limits\":" + r + "}}]}}";
    }

    private static String millis(double micros) {
        return Double.isNaN(micros) ? "–" : String.format("%.1f", micros / 1000);
    }

    /** The 1-minute load average at the end of a run: on a shared machine, how much else wanted the cores (NaN off Linux). */
    static double loadAverage() {
        try {
            return Double.parseDouble(java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).split(" ")[0]);
        } catch (java.io.IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    private static String field(String json, String prefix) {
        int i = json.indexOf(prefix);
        if (i < 0) return null;
        int from = i + prefix.length();
        int to = json.indexOf('"', from);
        return to < 0 ? null : json.substring(from, to);
    }

    private static long resourceVersion(String json) {
        int i = json.indexOf("\"resourceVersion\":\"") + 19;
        return Long.parseLong(json.substring(i, json.indexOf('"', i)));
    }

    private String send(String method, String url, String body, int expect) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60));
        if (body == null) r.method(method, HttpRequest.BodyPublishers.noBody());
        else r.method(method, HttpRequest.BodyPublishers.ofString(body)).header("Content-Type",
                method.equals("PATCH") ? "application/merge-patch+json" : "application/json");
        HttpResponse<String> resp = http.send(r.build(), HttpResponse.BodyHandlers.ofString());
        if (resp.statusCode() != expect) {
            throw new IllegalStateException(method + " " + url + " answered " + resp.statusCode() + ": " + resp.body());
        }
        return resp.body();
    }
}
