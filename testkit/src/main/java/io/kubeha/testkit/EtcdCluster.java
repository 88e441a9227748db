package io.kubeha.testkit;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
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
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A real etcd cluster of N members on 127.0.0.1, for tests: each member is an {@code etcd} process with its
 * own free client and peer ports, data directory and log file under one temporary directory. Members can be
 * killed ({@code kill -9}) and restarted on the same ports and data, so tests can take quorum away and give
 * it back. {@link #close()} kills whatever still runs and deletes the directory; a JVM shutdown hook does the
 * same if a test run dies without closing, so no etcd outlives the tests.
 *
 * <p>There is no skipping: without an etcd binary {@link #start} fails and says how to install one.
 */
public final class EtcdCluster implements AutoCloseable {
    /** How long a cluster (or a restarted member) may take to become healthy before the test fails. */
    public static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(30);
    private static final String INSTALL_HINT = "install it: apt-get install -y etcd-server";
    private static final String HOST = "127.0.0.1";
    private static final int START_ATTEMPTS = 3;

    private final Path etcd;
    private final Path dir;
    private final String token;
    private final List<Member> members;
    private final Thread killOnExit;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    private boolean closed;

    /** One etcd member; {@code process} is null while it is not running. */
    private static final class Member {
        final String name;
        final int clientPort;
        final int peerPort;
        final Path dataDir;
        final Path log;
        Process process;

        Member(String name, int clientPort, int peerPort, Path dataDir, Path log) {
            this.name = name;
            this.clientPort = clientPort;
            this.peerPort = peerPort;
            this.dataDir = dataDir;
            this.log = log;
        }

        URI clientUrl() {
            return URI.create("http://" + HOST + ":" + clientPort);
        }

        String peerUrl() {
            return "http://" + HOST + ":" + peerPort;
        }

        boolean running() {
            return process != null && process.isAlive();
        }
    }

    private EtcdCluster(Path etcd, Path dir, List<Member> members) {
        this.etcd = etcd;
        this.dir = dir;
        this.token = "kubeha-test-" + UUID.randomUUID();
        this.members = members;
        this.killOnExit = new Thread(this::killAll, "etcd-cluster-kill-on-exit");
        Runtime.getRuntime().addShutdownHook(killOnExit);
    }

    /**
     * Starts a cluster of {@code size} members and waits until every member reports healthy (at most
     * {@link #STARTUP_TIMEOUT}). Fails with the members' logs when it does not get there.
     */
    public static EtcdCluster start(int size) {
        if (size < 1) throw new IllegalArgumentException("size must be >= 1, was " + size);
        Path binary = findEtcd();
        RuntimeException last = null;
        for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
            EtcdCluster cluster = create(binary, size);
            try {
                for (int i = 0; i < size; i++) cluster.launch(i, "new");
                cluster.awaitHealthy();
                return cluster;
            } catch (RuntimeException e) {
                // the kernel may hand a port we probed to someone else before etcd binds it: try fresh ports
                boolean portTaken = cluster.logs().contains("address already in use");
                cluster.close();
                if (!portTaken) throw e;
                last = e;
            }
        }
        throw new IllegalStateException("etcd could not bind its ports in " + START_ATTEMPTS + " attempts", last);
    }

    private static EtcdCluster create(Path binary, int size) {
        try {
            Path dir = Files.createTempDirectory("kubeha-etcd-");
            List<Integer> ports = Ports.free(Ports.loopback(), 2 * size);
            List<Member> members = new ArrayList<>(size);
            for (int i = 0; i < size; i++) {
                String name = "m" + i;
                members.add(new Member(name, ports.get(2 * i), ports.get(2 * i + 1),
                        dir.resolve(name + ".data"), dir.resolve(name + ".log")));
            }
            return new EtcdCluster(binary, dir, members);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a directory for etcd", e);
        }
    }

    /** The etcd binary: the first {@code etcd} on PATH, else /usr/bin/etcd; fails when there is none. */
    static Path findEtcd() {
        return findEtcd(Optional.ofNullable(System.getenv("PATH")).orElse(""), Path.of("/usr/bin/etcd"));
    }

    static Path findEtcd(String searchPath, Path fallback) {
        return Stream.concat(
                        Stream.of(searchPath.split(File.pathSeparator)).filter(s -> !s.isBlank())
                                .map(s -> Path.of(s, "etcd")),
                        Stream.of(fallback))
                .filter(p -> Files.isRegularFile(p) && Files.isExecutable(p))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("no etcd binary on PATH or at " + fallback
                        + "; the etcd tests need a real etcd, " + INSTALL_HINT));
    }

    public int size() {
        return members.size();
    }

    /** Every member's client URL ({@code http://127.0.0.1:PORT}), running or not; they never change. */
    public List<URI> clientEndpoints() {
        return members.stream().map(Member::clientUrl).toList();
    }

    public URI clientEndpoint(int member) {
        return member(member).clientUrl();
    }

    /** The directory holding every member's data and log. */
    public Path dir() {
        return dir;
    }

    public synchronized boolean isRunning(int member) {
        return member(member).running();
    }

    /** The member's process id; fails when it is not running. */
    public synchronized long pid(int member) {
        Member m = member(member);
        if (!m.running()) throw new IllegalStateException("member " + m.name + " is not running");
        return m.process.pid();
    }

    /** Kills the member with SIGKILL (no clean shutdown, as a crash would) and waits until it is gone. */
    public synchronized void kill(int member) {
        Member m = member(member);
        if (m.process == null) return;
        kill(m);
    }

    /**
     * Starts a killed member again with its data, ports and the existing cluster, and waits until it accepts
     * client connections. Whether it serves depends on the rest: with quorum it catches up and does;
     * {@link #awaitHealthy()} waits for that.
     */
    public synchronized void restart(int member) {
        Member m = member(member);
        if (m.running()) throw new IllegalStateException("member " + m.name + " is still running");
        launch(member, "existing");
        long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
        while (!accepts(m)) {
            if (!m.running()) fail("member " + m.name + " exited on restart");
            if (System.nanoTime() > deadline) fail("member " + m.name + " did not listen within " + STARTUP_TIMEOUT);
            pause();
        }
    }

    /** Waits until every running member reports healthy at /health (at most {@link #STARTUP_TIMEOUT}). */
    public void awaitHealthy() {
        long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
        while (true) {
            List<String> unhealthy = new ArrayList<>();
            for (Member m : members) {
                synchronized (this) {
                    if (m.process == null) continue;
                    if (!m.process.isAlive()) {
                        fail("member " + m.name + " exited with status " + m.process.exitValue());
                    }
                }
                if (!healthy(m)) unhealthy.add(m.name);
            }
            if (unhealthy.isEmpty()) return;
            if (System.nanoTime() > deadline) {
                fail("members " + unhealthy + " not healthy within " + STARTUP_TIMEOUT);
            }
            pause();
        }
    }

    /** The last {@code lines} lines of every member's log, one section per member, for failure reports. */
    public synchronized String logTail(int lines) {
        StringBuilder out = new StringBuilder();
        for (Member m : members) {
            out.append("==> etcd member ").append(m.name).append(" (").append(m.clientUrl()).append(", ")
                    .append(m.running() ? "running, pid " + m.process.pid() : "not running").append(") ")
                    .append(m.log).append(" <==\n");
            List<String> all = readLines(m.log);
            all.subList(Math.max(0, all.size() - lines), all.size()).forEach(l -> out.append(l).append('\n'));
        }
        return out.toString();
    }

    /** Kills every member still running and deletes the cluster's directory. Safe to call twice. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        killAll();
        try {
            Runtime.getRuntime().removeShutdownHook(killOnExit);
        } catch (IllegalStateException jvmShuttingDown) {
            // the hook runs (or ran) anyway
        }
        deleteRecursively(dir);
    }

    @Override
    public String toString() {
        return "EtcdCluster" + clientEndpoints();
    }

    // ---- internals ----

    private Member member(int i) {
        if (i < 0 || i >= members.size()) {
            throw new IndexOutOfBoundsException("member " + i + " of a " + members.size() + "-member cluster");
        }
        return members.get(i);
    }

    private synchronized void launch(int i, String clusterState) {
        if (closed) throw new IllegalStateException("cluster is closed");
        Member m = members.get(i);
        String initialCluster = members.stream().map(o -> o.name + "=" + o.peerUrl()).collect(Collectors.joining(","));
        List<String> command = List.of(etcd.toString(),
                "--name", m.name,
                "--data-dir", m.dataDir.toString(),
                "--listen-client-urls", m.clientUrl().toString(),
                "--advertise-client-urls", m.clientUrl().toString(),
                "--listen-peer-urls", m.peerUrl(),
                "--initial-advertise-peer-urls", m.peerUrl(),
                "--initial-cluster", initialCluster,
                "--initial-cluster-token", token,
                "--initial-cluster-state", clusterState,
                "--logger=zap");
        ProcessBuilder pb = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                // appended, so a restarted member's log follows what it said before it was killed
                .redirectOutput(ProcessBuilder.Redirect.appendTo(m.log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        // ETCD_* variables are flags too; a developer's environment must not change the test cluster
        pb.environment().keySet().removeIf(k -> k.startsWith("ETCD_"));
        try {
            m.process = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + etcd + " (" + INSTALL_HINT + ")", e);
        }
    }

    private boolean healthy(Member m) {
        HttpRequest request = HttpRequest.newBuilder(m.clientUrl().resolve("/health"))
                .timeout(Duration.ofSeconds(2)).GET().build();
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 && response.body().replace(" ", "").contains("\"health\":\"true\"");
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for etcd", e);
        }
    }

    private static boolean accepts(Member m) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(HOST, m.clientPort), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private void killAll() {
        for (Member m : members) {
            if (m.process != null) kill(m);
        }
    }

    private static void kill(Member m) {
        ProcessHandle handle = m.process.toHandle();
        handle.destroyForcibly(); // SIGKILL to this PID
        try {
            if (!m.process.waitFor(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("etcd member " + m.name + " (pid " + handle.pid()
                        + ") still alive 10 s after SIGKILL");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while killing etcd member " + m.name, e);
        }
        m.process = null;
    }

    private String logs() {
        return members.stream().map(m -> String.join("\n", readLines(m.log))).collect(Collectors.joining("\n"));
    }

    private void fail(String what) {
        throw new IllegalStateException("etcd cluster in " + dir + ": " + what + "\n" + logTail(40));
    }

    private static List<String> readLines(Path file) {
        try {
            return Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8) : List.of();
        } catch (IOException e) {
            return List.of("(cannot read " + file + ": " + e + ")");
        }
    }

    private static void pause() {
        try {
            Thread.sleep(100); // polling a process we do not control; there is nothing to wait on instead
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for etcd", e);
        }
    }

    private static void deleteRecursively(Path root) {
        if (!Files.exists(root)) return;
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + root, e);
        }
    }
}
