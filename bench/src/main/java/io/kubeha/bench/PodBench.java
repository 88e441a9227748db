package io.kubeha.bench;

import org.HdrHistogram.Histogram;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The pod benchmark ({@code kubeha bench pods}): the node agent's side of starting pods. It starts {@code kubeha
 * server} and {@code kubeha agent} as child processes (this JVM's java and class path), so that each component's
 * memory is its own, waits for the agent's node(s) to be Ready, then creates pods already bound to them
 * ({@code spec.nodeName} set, spread round-robin over the nodes), so that no scheduler is in the way. It measures
 * per pod the latency from its create call returning to its Ready=True condition arriving on a watch, pods Ready
 * per second, and the resident memory (VmRSS now, VmHWM the peak) of the server, the agent and, with the process
 * runtime, the pods' processes. Every process it started is killed by PID at the end, also when the run fails.
 */
public final class PodBench {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String NAMESPACE = "default";
    private static final String POD_PREFIX = "bench-pod-";
    private static final String NODE_PREFIX = "bench-node";

    /**
     * @param runtime     "process" (each pod an OS process) or "simulated" (no process, as KWOK)
     * @param nodes       nodes; more than one needs the simulated runtime (one agent simulating them all)
     * @param pods        pods created per run
     * @param concurrency client threads creating pods
     * @param image       with the process runtime: an image of the agent's store to run (e.g. logapi:1.0, with a
     *                    readiness probe on its /readyz), or null for a shell that sleeps
     * @param mainClass   kubeha's main class, run in the child JVMs
     * @param heap        the child JVMs' maximum heap (-Xmx), e.g. 2g
     * @param images      the folder of images the agent imports at start (null: none)
     */
    public record Config(String runtime, int nodes, int pods, int concurrency, String image, String mainClass, String heap, Path images) {
        public Config {
            if (!runtime.equals("process") && !runtime.equals("simulated")) {
                throw new IllegalArgumentException("runtime must be process or simulated, not " + runtime);
            }
            if (nodes < 1) throw new IllegalArgumentException("nodes must be at least 1, was " + nodes);
            if (pods < 1) throw new IllegalArgumentException("pods must be at least 1, was " + pods);
            if (concurrency < 1) throw new IllegalArgumentException("concurrency must be at least 1, was " + concurrency);
            if (nodes > 1 && runtime.equals("process")) {
                throw new IllegalArgumentException("the process runtime runs one node per agent: use --nodes 1, or the simulated runtime");
            }
            if (image != null && runtime.equals("simulated")) {
                throw new IllegalArgumentException("--image runs a real image: it needs the process runtime");
            }
            if (!heap.matches("\\d+[kmgKMG]?")) throw new IllegalArgumentException("heap must be like 512m or 2g, not " + heap);
        }
    }

    /**
     * One run's figures. Latencies in microseconds, memory in KiB; {@code podsRssKib} is the sum over the pods'
     * processes ({@code podProcesses} of them; 0 with the simulated runtime).
     *
     * @param nodesReadySeconds from starting the agent to all its nodes Ready
     * @param createPerSecond   pods created per second (first call to last answer)
     * @param readyPerSecond    pods Ready per second, from the first create call to the last pod Ready
     */
    public record Result(String runtime, int nodes, int pods, double nodesReadySeconds, double createPerSecond, double readyPerSecond,
                         double p50Micros, double p99Micros, long serverRssKib, long serverHwmKib, long agentRssKib, long agentHwmKib,
                         long podsRssKib, int podProcesses) { }

    private final Config config;
    private final PrintStream progress;
    /** The admin's HTTPS client, once the server has written its admin.kubeconfig. */
    private HttpClient http;

    public PodBench(Config config, PrintStream progress) {
        this.config = config;
        this.progress = progress;
    }

    /** One run in a fresh temp folder, removed after. */
    public Result run() throws Exception {
        Path dir = Files.createTempDirectory("kubeha-bench-pods-");
        List<Process> started = new java.util.concurrent.CopyOnWriteArrayList<>();
        // also on Ctrl-C: the server, the agent and the pods' processes must not outlive the benchmark
        Thread cleanup = new Thread(() -> stopAll(dir, started));
        Runtime.getRuntime().addShutdownHook(cleanup);
        try {
            return run(dir, started);
        } finally {
            stopAll(dir, started);
            deleteTree(dir);
            try {
                Runtime.getRuntime().removeShutdownHook(cleanup);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs anyway
            }
        }
    }

    private String label() {
        return String.format("%s, %,d node%s, %,d pods", config.runtime(), config.nodes(), config.nodes() == 1 ? "" : "s", config.pods());
    }

    private Result run(Path dir, List<Process> started) throws Exception {
        String label = label();
        InetAddress lo = InetAddress.getLoopbackAddress();
        int apiPort = freePort(lo);
        String base = "https://127.0.0.1:" + apiPort;
        progress.printf("  %s: starting kubeha server%n", label);
        Process server = child(started, dir.resolve("server.log"), "server", "--disable-agent", "--data-dir", dir.resolve("server").toString(),
                "--bind", "127.0.0.1:" + apiPort);
        awaitReady(server, base, dir.resolve("server").resolve("admin.kubeconfig"), dir.resolve("server.log"));

        String nodeIp = "127.0.0.1";
        boolean simulated = config.runtime().equals("simulated");
        int podsPerNode = (config.pods() + config.nodes() - 1) / config.nodes();
        List<String> agentArgs = new ArrayList<>(List.of("agent", "--kubeconfig", dir.resolve("server").resolve("admin.kubeconfig").toString(),
                "--node-name", NODE_PREFIX, "--node-ip", nodeIp, "--port", Integer.toString(freePort(lo)),
                "--data-dir", dir.resolve("agent").toString(), "--image-store", dir.resolve("images").toString(),
                "--runtime", config.runtime(), "--max-pods", Integer.toString(Math.max(110, podsPerNode)),
                "--pod-cidr", simulated ? "10.0.0.0/8" : "127.65.0.0/16"));
        if (simulated) agentArgs.addAll(List.of("--simulate-nodes", Integer.toString(config.nodes()), "--cpu", "32", "--memory", "256Gi"));
        if (config.images() != null) agentArgs.addAll(List.of("--preload-images", config.images().toString()));
        progress.printf("  %s: starting kubeha agent%n", label);
        long t0 = System.nanoTime();
        Process agent = child(started, dir.resolve("agent.log"), agentArgs.toArray(String[]::new));
        List<String> nodes = new ArrayList<>();
        if (simulated) {
            for (int i = 0; i < config.nodes(); i++) nodes.add(NODE_PREFIX + "-" + i);
        } else {
            nodes.add(NODE_PREFIX);
        }
        awaitNodes(label, agent, base, nodes, dir.resolve("agent.log"));
        double nodesReady = (System.nanoTime() - t0) / 1e9;
        progress.printf("  %s: %,d node%s Ready in %.1f s%n", label, nodes.size(), nodes.size() == 1 ? "" : "s", nodesReady);
        return createPods(label, base, nodes, nodesReady, server, agent);
    }

    private Result createPods(String label, String base, List<String> nodes, double nodesReady, Process server, Process agent)
            throws Exception {
        int n = config.pods();
        AtomicLongArray createdAt = new AtomicLongArray(n);
        AtomicLongArray readyAt = new AtomicLongArray(n);
        AtomicLong ready = new AtomicLong();
        String list = send("GET", base + "/api/v1/namespaces/" + NAMESPACE + "/pods?limit=1", null, 200);
        String rv = JSON.readTree(list).path("metadata").path("resourceVersion").asString();
        HttpResponse<InputStream> watch = http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/namespaces/" + NAMESPACE
                + "/pods?watch=1&allowWatchBookmarks=false&resourceVersion=" + rv)).build(), HttpResponse.BodyHandlers.ofInputStream());
        Thread reader = Thread.ofPlatform().daemon().name("pod-bench-watch").start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(watch.body(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    if (!line.contains("\"Ready\"")) continue; // cheap filter: most events before Ready lack it or are False
                    JsonNode pod = JSON.readTree(line).path("object");
                    String name = pod.path("metadata").path("name").asString("");
                    if (!name.startsWith(POD_PREFIX)) continue;
                    for (JsonNode c : pod.path("status").path("conditions")) {
                        if (c.path("type").asString("").equals("Ready") && c.path("status").asString("").equals("True")) {
                            int i = Integer.parseInt(name.substring(POD_PREFIX.length()));
                            if (readyAt.compareAndSet(i, 0, System.nanoTime())) ready.incrementAndGet();
                        }
                    }
                }
            } catch (Exception ignored) {
                // the watch was closed
            }
        });
        Phases phases = new Phases(config.concurrency(), progress);
        long start;
        try {
            start = System.nanoTime();
            try (Phases.Progress p = phases.progress(label + ": pods Ready", n, ready)) {
                phases.parallel(n, i -> {
                    send("POST", base + "/api/v1/namespaces/" + NAMESPACE + "/pods", pod(i, nodes.get(i % nodes.size())), 201);
                    createdAt.set(i, System.nanoTime());
                });
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120 + n / 20);
                while (ready.get() < n) {
                    if (System.nanoTime() > deadline) throw new IllegalStateException("the watch showed " + ready.get() + " of " + n + " pods Ready in time");
                    if (!agent.isAlive()) throw new IllegalStateException("kubeha agent exited with " + agent.exitValue());
                    if (!server.isAlive()) throw new IllegalStateException("kubeha server exited with " + server.exitValue());
                    Thread.sleep(20);
                }
            }
        } finally {
            watch.body().close();
            reader.interrupt();
        }
        // memory once every pod runs
        Memory serverMem = Memory.of(server.pid());
        Memory agentMem = Memory.of(agent.pid());
        long podsRss = 0;
        int podProcesses = 0;
        for (ProcessHandle h : agent.toHandle().descendants().toList()) {
            podsRss += Memory.of(h.pid()).rssKib();
            podProcesses++;
        }
        Histogram h = new Histogram(3);
        long last = Long.MIN_VALUE, lastCreated = Long.MIN_VALUE;
        for (int i = 0; i < n; i++) {
            lastCreated = Math.max(lastCreated, createdAt.get(i));
            last = Math.max(last, readyAt.get(i));
            // Ready can be seen before the create call's answer arrives: that is no latency at all
            h.recordValue(Math.max(0, readyAt.get(i) - createdAt.get(i)) / 1_000);
        }
        double createPerSecond = n / ((lastCreated - start) / 1e9);
        double readyPerSecond = n / ((last - start) / 1e9);
        Result r = new Result(config.runtime(), nodes.size(), n, nodesReady, createPerSecond, readyPerSecond, h.getValueAtPercentile(50),
                h.getValueAtPercentile(99), serverMem.rssKib(), serverMem.hwmKib(), agentMem.rssKib(), agentMem.hwmKib(), podsRss, podProcesses);
        progress.printf("  %s: created at %,.0f/s, Ready at %,.0f/s; create to Ready p50 %.1f ms, p99 %.1f ms; RSS server %,d MiB, agent %,d MiB%s%n",
                label, createPerSecond, readyPerSecond, r.p50Micros() / 1000, r.p99Micros() / 1000, r.serverRssKib() / 1024,
                r.agentRssKib() / 1024, podProcesses == 0 ? "" : String.format(", %d pod processes %,d MiB", podProcesses, podsRss / 1024));
        return r;
    }

    /** A pod bound to {@code node}: a shell that sleeps, the image given (with a readiness probe), or for simulated nodes, a name. */
    private String pod(int i, String node) {
        String container;
        if (config.runtime().equals("simulated")) {
            container = "{\"name\":\"main\",\"image\":\"registry.k8s.io/pause:3.10\"}";
        } else if (config.image() == null) {
            container = "{\"name\":\"main\",\"image\":\"busybox\",\"command\":[\"sh\",\"-c\",\"exec sleep 3600\"]}";
        } else {
            container = "{\"name\":\"main\",\"image\":\"" + config.image() + "\",\"ports\":[{\"containerPort\":8080}],"
                    + "\"resources\":{\"limits\":{\"memory\":\"64Mi\"}},"
                    + "\"readinessProbe\":{\"httpGet\":{\"path\":\"/readyz\",\"port\":8080},\"periodSeconds\":1}}";
        }
        return "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"" + POD_PREFIX + i + "\",\"namespace\":\"" + NAMESPACE
                + "\"},\"spec\":{\"nodeName\":\"" + node + "\",\"terminationGracePeriodSeconds\":1,\"containers\":[" + container + "]}}";
    }

    // ---------------------------------------------------------------- processes

    private Process child(List<Process> started, Path log, String... args) throws IOException {
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx" + config.heap(), "-XX:+UseSerialGC"));
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("--add-opens") || arg.startsWith("--enable-native-access") || arg.startsWith("--sun-misc-unsafe")) cmd.add(arg);
        }
        String images = System.getProperty("kubeha.images");
        if (images != null) cmd.add("-Dkubeha.images=" + images);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), config.mainClass()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        started.add(p);
        return p;
    }

    /** Waits for the admin kubeconfig, then for /readyz through it, then for the default ServiceAccount pods run as. */
    private void awaitReady(Process server, String base, Path kubeconfig, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (true) {
            if (!server.isAlive()) throw new IllegalStateException("kubeha server exited: " + tail(log));
            try {
                if (http == null && Files.exists(kubeconfig)) http = TlsClient.fromKubeconfig(kubeconfig, HttpClient.Version.HTTP_1_1);
                if (http != null && http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/namespaces/" + NAMESPACE
                        + "/serviceaccounts/default")).build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200
                        && http.send(HttpRequest.newBuilder(URI.create(base + "/readyz")).build(), HttpResponse.BodyHandlers.discarding())
                        .statusCode() == 200) return;
            } catch (IOException | IllegalStateException | java.security.GeneralSecurityException notYet) {
                // not listening yet, or the kubeconfig is being written
            }
            if (System.nanoTime() > deadline) throw new IllegalStateException("kubeha server not ready within 90 s: " + tail(log));
            Thread.sleep(100);
        }
    }

    private void awaitNodes(String label, Process agent, String base, List<String> names, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120 + names.size() / 10);
        int lastSeen = -1;
        while (true) {
            if (!agent.isAlive()) throw new IllegalStateException("kubeha agent exited: " + tail(log));
            JsonNode items = JSON.readTree(send("GET", base + "/api/v1/nodes", null, 200)).path("items");
            java.util.Set<String> ready = new java.util.HashSet<>();
            for (JsonNode node : items) {
                for (JsonNode c : node.path("status").path("conditions")) {
                    if (c.path("type").asString("").equals("Ready") && c.path("status").asString("").equals("True")) {
                        ready.add(node.path("metadata").path("name").asString());
                    }
                }
            }
            int seen = (int) names.stream().filter(ready::contains).count();
            if (seen == names.size()) return;
            if (seen != lastSeen && names.size() > 1) progress.printf("  %s: %,d of %,d nodes Ready%n", label, seen, names.size());
            lastSeen = seen;
            if (System.nanoTime() > deadline) throw new IllegalStateException(seen + " of " + names.size() + " nodes Ready in time: " + tail(log));
            Thread.sleep(names.size() > 1 ? 1000 : 100);
        }
    }

    /**
     * Kills what the run started, by PID: the pods' processes first (they live in sessions of their own and would
     * outlive the agent, as on a real node), then the agent, then the server; then any pod process the agent's
     * container state still names (an agent that died early leaves them behind).
     */
    private static void stopAll(Path dir, List<Process> started) {
        for (Process p : List.copyOf(started).reversed()) {
            p.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            try {
                p.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        Path agent = dir.resolve("agent");
        if (!Files.isDirectory(agent)) return;
        try {
            io.kubeha.testkit.Processes.killPodProcessesRecordedUnder(agent);
        } catch (IOException | RuntimeException e) {
            System.err.println("bench: could not look for pod processes left behind: " + e);
        }
    }

    // ---------------------------------------------------------------- helpers

    /** Resident memory of a process, from /proc/PID/status (KiB; 0 if it is gone or this is not Linux). */
    record Memory(long rssKib, long hwmKib) {
        static Memory of(long pid) {
            long rss = 0, hwm = 0;
            try {
                for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                    if (line.startsWith("VmRSS:")) rss = Long.parseLong(line.replaceAll("\\D+", ""));
                    if (line.startsWith("VmHWM:")) hwm = Long.parseLong(line.replaceAll("\\D+", ""));
                }
            } catch (IOException | RuntimeException e) {
                // gone, or not Linux
            }
            return new Memory(rss, hwm);
        }
    }

    private String send(String method, String url, String body, int expect) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60));
        r.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) r.header("Content-Type", "application/json");
        HttpResponse<String> resp;
        for (int attempt = 1; ; attempt++) {
            try {
                resp = http.send(r.build(), HttpResponse.BodyHandlers.ofString());
                break;
            } catch (IOException e) {
                // a kept-alive connection the server closed meanwhile: the JDK client does not retry it by itself
                if (attempt == 3) throw e;
            }
        }
        // a create retried after its first answer was lost may find its object already there
        if (method.equals("POST") && resp.statusCode() == 409 && expect == 201) return resp.body();
        if (resp.statusCode() != expect) throw new IllegalStateException(method + " " + url + ": HTTP " + resp.statusCode() + " " + resp.body());
        return resp.body();
    }

    private static int freePort(InetAddress address) throws IOException {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(address, 0));
            return s.getLocalPort();
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private static void deleteTree(Path root) {
        try (var paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort: a temp folder
        }
    }

    /** Per runtime, node and pod count, the median of each figure over the runs (in first-seen order). */
    public static List<Result> medians(List<Result> runs) {
        Map<String, List<Result>> groups = new LinkedHashMap<>();
        for (Result r : runs) groups.computeIfAbsent(r.runtime() + "\u0000" + r.nodes() + "\u0000" + r.pods(), k -> new ArrayList<>()).add(r);
        List<Result> out = new ArrayList<>();
        for (List<Result> g : groups.values()) {
            Result f = g.getFirst();
            out.add(new Result(f.runtime(), f.nodes(), f.pods(), med(g, Result::nodesReadySeconds), med(g, Result::createPerSecond),
                    med(g, Result::readyPerSecond), med(g, Result::p50Micros), med(g, Result::p99Micros),
                    (long) med(g, r -> r.serverRssKib()), (long) med(g, r -> r.serverHwmKib()), (long) med(g, r -> r.agentRssKib()),
                    (long) med(g, r -> r.agentHwmKib()), (long) med(g, r -> r.podsRssKib()), (int) med(g, r -> r.podProcesses())));
        }
        return out;
    }

    private static double med(List<Result> g, java.util.function.ToDoubleFunction<Result> f) {
        return Phases.median(g.stream().mapToDouble(f).toArray());
    }

    /** The results as Markdown tables: timing, then memory. */
    public static String table(List<Result> results) {
        StringBuilder sb = new StringBuilder();
        sb.append("| runtime | nodes | pods | nodes Ready in (s) | pods created/s | pods Ready/s | create to Ready p50 (ms) | p99 (ms) |\n");
        sb.append("|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Result r : results) {
            sb.append(String.format("| %s | %,d | %,d | %.1f | %,.0f | %,.0f | %.1f | %.1f |%n", r.runtime(), r.nodes(), r.pods(),
                    r.nodesReadySeconds(), r.createPerSecond(), r.readyPerSecond(), r.p50Micros() / 1000, r.p99Micros() / 1000));
        }
        sb.append("\n| runtime | nodes | pods | server RSS (MiB) | server peak | agent RSS (MiB) | agent peak | pod processes | their RSS (MiB) | per pod (MiB) |\n");
        sb.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Result r : results) {
            sb.append(String.format("| %s | %,d | %,d | %,d | %,d | %,d | %,d | %,d | %s | %s |%n", r.runtime(), r.nodes(), r.pods(),
                    r.serverRssKib() / 1024, r.serverHwmKib() / 1024, r.agentRssKib() / 1024, r.agentHwmKib() / 1024, r.podProcesses(),
                    r.podProcesses() == 0 ? "-" : String.format("%,d", r.podsRssKib() / 1024),
                    r.podProcesses() == 0 ? "-" : String.format("%.1f", r.podsRssKib() / 1024.0 / r.pods())));
        }
        return sb.toString();
    }
}
