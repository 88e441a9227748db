package io.kubeha.cli;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The seed's cluster on one machine, as {@code kubeha up} lays it out (DESIGN.md's loopback addresses: no root, all of
 * 127.0.0.0/8 is the host's) and the processes it started, recorded in DIR/processes (name, pid, start time) so that
 * {@code kubeha down} and {@code kubeha status} find them again from another process. Processes run in sessions of
 * their own (setsid): they outlive {@code kubeha up}, as daemons on the seed's machines do.
 */
final class Lab {
    static final List<String> ETCD = List.of("127.10.101.1", "127.10.101.2", "127.10.101.3");
    static final List<String> MASTERS = List.of("127.10.102.91", "127.10.102.92", "127.10.102.93");
    static final List<String> WORKERS = List.of("127.10.103.96", "127.10.103.97");
    static final String VIP = "127.10.102.21";
    static final int API_PORT = 6443;
    static final int AGENT_PORT = 10250;
    static final String CLUSTER_DNS = "127.20.0.10";
    static final String ROLE = "kubeadm.alpha.kubernetes.io/role";

    /** A process this lab started. */
    record Proc(String name, long pid, String started) {
        Optional<ProcessHandle> handle() {
            return ProcessHandle.of(pid).filter(h -> h.info().startInstant().map(i -> i.toString().equals(started)).orElse(false));
        }

        boolean alive() {
            return handle().map(ProcessHandle::isAlive).orElse(false);
        }
    }

    final Path dir;

    Lab(Path dir) {
        this.dir = dir.toAbsolutePath().normalize();
    }

    Path state() {
        return dir.resolve("processes");
    }

    Path log(String name) {
        return dir.resolve("logs").resolve(name + ".log");
    }

    /** The kubeconfig users take: the admin's, through the VIP. */
    Path kubeconfig() {
        return dir.resolve("admin.kubeconfig");
    }

    String etcdEndpoints() {
        return String.join(",", ETCD.stream().map(ip -> "http://" + ip + ":2379").toList());
    }

    List<Proc> recorded() throws IOException {
        List<Proc> out = new ArrayList<>();
        if (!Files.exists(state())) return out;
        for (String line : Files.readAllLines(state())) {
            String[] f = line.strip().split(" ");
            if (f.length == 3) out.add(new Proc(f[0], Long.parseLong(f[1]), f[2]));
        }
        return out;
    }

    /** Starts {@code command} in a session of its own, its output in logs/NAME.log, and records it (and how to start it again). */
    Proc start(String name, List<String> command) throws IOException {
        Files.createDirectories(dir.resolve("logs"));
        Files.createDirectories(dir.resolve("commands"));
        Files.write(dir.resolve("commands").resolve(name), command);
        List<String> cmd = new ArrayList<>();
        cmd.add("setsid");
        cmd.addAll(command);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log(name).toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        // setsid execs the program in the same process when it is not a group leader (a child of ours is not)
        String started = p.toHandle().info().startInstant().map(Object::toString).orElse("?");
        Proc proc = new Proc(name, p.pid(), started);
        // one line per name: a process started again replaces the one before
        List<String> lines = new ArrayList<>();
        for (Proc old : recorded()) if (!old.name().equals(name)) lines.add(old.name() + " " + old.pid() + " " + old.started());
        lines.add(name + " " + p.pid() + " " + started);
        Path tmp = dir.resolve("processes.tmp");
        Files.write(tmp, lines);
        Files.move(tmp, state(), java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        return proc;
    }

    /** Starts the process {@code name} again, as it was started last. */
    Proc restart(String name) throws IOException {
        Path cmd = dir.resolve("commands").resolve(name);
        if (!Files.exists(cmd)) throw new IllegalArgumentException("no process " + name + " was started in " + dir);
        return start(name, Files.readAllLines(cmd));
    }

    /** The process of this name started last. */
    Optional<Proc> find(String name) throws IOException {
        return recorded().stream().filter(p -> p.name().equals(name)).reduce((a, b) -> b);
    }

    /** {@code kubeha ARGS} on this JVM's java and classpath. */
    static List<String> kubeha(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.add("-XX:+UseSerialGC");
        cmd.add("-XX:TieredStopAtLevel=1");
        String images = System.getProperty("kubeha.images");
        if (images != null) cmd.add("-Dkubeha.images=" + images);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** Stops every recorded process (SIGTERM, then SIGKILL after {@code grace}), newest first, and their pods. */
    void stopAll(Duration grace) throws IOException {
        List<Proc> procs = recorded();
        for (Proc p : procs.reversed()) p.handle().ifPresent(ProcessHandle::destroy);
        long deadline = System.nanoTime() + grace.toNanos();
        for (Proc p : procs.reversed()) {
            Optional<ProcessHandle> h = p.handle();
            if (h.isEmpty()) continue;
            try {
                h.get().onExit().get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (Exception e) {
                h.get().destroyForcibly();
            }
        }
        // pods are processes of their own sessions: the agents' container records name them
        if (Files.isDirectory(dir)) io.kubeha.testkit.Processes.killPodProcessesRecordedUnder(dir);
        Files.deleteIfExists(state());
    }
}
