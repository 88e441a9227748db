package io.kubeha.cli;

import io.kubeha.client.net.Commands;

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
 * The seed's cluster on one machine, as {@code kubeha up} lays it out, and the processes it started, recorded in
 * DIR/processes (name, pid, start time) so that {@code kubeha down} and {@code kubeha status} find them again from
 * another process. Processes run in sessions of their own (setsid): they outlive {@code kubeha up}, as daemons on the
 * seed's machines do.
 *
 * <p>Two layouts ({@link Layout}): loopback (DESIGN.md's 127.10.x.y addresses, no root: all of 127.0.0.0/8 is the
 * host's) and netns (root: the seed's own addresses, each host a network namespace {@code khup-HOST} joined by a veth
 * pair to one bridge in {@code khup-lan}, so that a host's link can be cut; the user's side is the namespace
 * {@code khup-admin}). DIR/layout says which one DIR holds.
 */
final class Lab {
    static final int API_PORT = 6443;
    static final int AGENT_PORT = 10250;
    static final String ROLE = "kubeadm.alpha.kubernetes.io/role";
    static final Path NETNS = Path.of("/run/netns");
    static final String LAN = "khup-lan";

    /**
     * Where the hosts are.
     *
     * @param netns whether each host is a network namespace (else all on the host's loopback)
     */
    record Layout(String name, boolean netns, List<String> etcd, List<String> masters, List<String> workers, String vip, String admin,
                  String serviceCidr, String clusterDns, String clusterCidr) {
        static final Layout LOOPBACK = new Layout("loopback", false, List.of("127.10.101.1", "127.10.101.2", "127.10.101.3"),
                List.of("127.10.102.91", "127.10.102.92", "127.10.102.93"), List.of("127.10.103.96", "127.10.103.97"), "127.10.102.21",
                null, null, "127.20.0.10", null);
        /** The seed's addresses; services from its 10.0.0.0/24 (DNS at 10.0.0.10, its kubelet flag), pods from flannel's 10.244/16. */
        static final Layout NETNS = new Layout("netns", true, List.of("10.10.101.1", "10.10.101.2", "10.10.101.3"),
                List.of("10.10.102.91", "10.10.102.92", "10.10.102.93"), List.of("10.10.103.96", "10.10.103.97"), "10.10.102.21",
                "10.10.100.10", "10.0.0.0/24", "10.0.0.10", "10.244.0.0/16");
        /** Every host shares one /16 on the bridge, so the VIP is on each master's LAN. */
        static final int PREFIX = 16;

        /** The address of a host by name: etcd1-3, master1-3, node1-2, admin. */
        String address(String host) {
            if (host.equals("admin")) return admin;
            int i = Integer.parseInt(host.replaceAll("\\D", "")) - 1;
            return host.startsWith("etcd") ? etcd.get(i) : host.startsWith("master") ? masters.get(i) : workers.get(i);
        }

        List<String> hosts() {
            List<String> h = new ArrayList<>(List.of("etcd1", "etcd2", "etcd3", "master1", "master2", "master3", "node1", "node2"));
            if (netns) h.add("admin");
            return h;
        }
    }

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
    final Layout net;

    /** The lab in {@code dir}, in the layout it was made with (loopback for a new one). */
    Lab(Path dir) throws IOException {
        this(dir, Files.exists(dir.resolve("layout")) && Files.readString(dir.resolve("layout")).strip().equals("netns")
                ? Layout.NETNS : Layout.LOOPBACK);
    }

    Lab(Path dir, Layout net) {
        this.dir = dir.toAbsolutePath().normalize();
        this.net = net;
    }

    /** Records the layout for later commands on this DIR. */
    void saveLayout() throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("layout"), net.name() + "\n");
    }

    /** The network namespace of {@code host} in the netns layout. */
    static String namespace(String host) {
        return "khup-" + host;
    }

    /** The host a process runs on: its name up to the first dash (master1-server on master1). */
    static String host(String process) {
        int dash = process.indexOf('-');
        return dash < 0 ? process : process.substring(0, dash);
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
        return String.join(",", net.etcd().stream().map(ip -> "http://" + ip + ":2379").toList());
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
        // nsenter joins the host's network namespace and execs setsid, which execs the program: one process, one pid
        if (net.netns()) cmd.addAll(List.of("/usr/bin/nsenter", "--net=" + NETNS.resolve(namespace(host(name))), "--"));
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

    // ---- the netns layout's network ----

    /**
     * Makes the LAN, or completes what is missing of it: {@code khup-lan} with the bridge br0, and for each host a
     * namespace whose eth0 (address/16) is a veth pair's end, the other end {@code v-HOST} a port of br0.
     */
    void buildLan() throws IOException {
        if (!Files.exists(NETNS.resolve(LAN))) Commands.ip("netns", "add", LAN);
        if (!linkExists(LAN, "br0")) Commands.ip("-n", LAN, "link", "add", "br0", "type", "bridge");
        Commands.ip("-n", LAN, "link", "set", "br0", "up");
        for (String host : net.hosts()) {
            String ns = namespace(host);
            if (!Files.exists(NETNS.resolve(ns))) Commands.ip("netns", "add", ns);
            Commands.ip("-n", ns, "link", "set", "lo", "up");
            if (!linkExists(ns, "eth0")) Commands.ip("-n", LAN, "link", "add", port(host), "type", "veth", "peer", "name", "eth0", "netns", ns);
            Commands.ip("-n", LAN, "link", "set", port(host), "master", "br0", "up");
            Commands.ip("-n", ns, "addr", "replace", net.address(host) + "/" + Layout.PREFIX, "dev", "eth0");
            Commands.ip("-n", ns, "link", "set", "eth0", "up");
        }
    }

    /** The bridge's port of {@code host}: setting it down cuts the host off the LAN, as a pulled cable. */
    static String port(String host) {
        return "v-" + host;
    }

    /** Cuts {@code host} off the LAN ({@code up} false) or joins it again. */
    static void link(String host, boolean up) throws IOException {
        Commands.ip("-n", LAN, "link", "set", port(host), up ? "up" : "down");
    }

    /** Removes the pods' namespaces the lab's agents made (named in their pod-ips folders), then every host's and the LAN's. */
    void removeLan() throws IOException {
        if (Files.isDirectory(dir)) {
            try (var files = Files.walk(dir, 4)) {
                for (Path f : files.filter(f -> f.getParent() != null && f.getParent().getFileName().toString().equals("pod-ips")
                        && Files.isRegularFile(f)).toList()) {
                    String uid = Files.readString(f).strip();
                    if (!uid.isEmpty() && Files.exists(NETNS.resolve("kh-" + uid))) deleteNamespace("kh-" + uid);
                }
            }
        }
        for (String host : Layout.NETNS.hosts()) {
            if (Files.exists(NETNS.resolve(namespace(host)))) deleteNamespace(namespace(host));
        }
        if (Files.exists(NETNS.resolve(LAN))) deleteNamespace(LAN);
    }

    /** Kills what still runs in {@code ns} (pods of killed agents), then deletes it. */
    private static void deleteNamespace(String ns) throws IOException {
        String pids = Commands.ip("netns", "pids", ns).strip();
        for (String pid : pids.isEmpty() ? new String[0] : pids.split("\\s+")) {
            ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroyForcibly);
        }
        Commands.ip("netns", "del", ns);
    }

    private static boolean linkExists(String ns, String link) {
        try {
            Commands.ip("-n", ns, "link", "show", link);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Whether this process runs in the network namespace {@code ns} (same nsfs inode). */
    static boolean inNamespace(String ns) {
        try {
            String self = Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString(); // net:[4026531840]
            Object ino = Files.getAttribute(NETNS.resolve(ns), "unix:ino");
            return self.equals("net:[" + ino + "]");
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /** {@code kubeha ARGS} run in the admin namespace, its output this process's; its exit status. */
    static int inAdmin(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/nsenter", "--net=" + NETNS.resolve(namespace("admin")), "--"));
        cmd.addAll(kubeha(args));
        return new ProcessBuilder(cmd).inheritIO().start().waitFor();
    }

    static boolean root() throws IOException {
        return Files.readString(Path.of("/proc/self/status")).lines().anyMatch(l -> l.matches("Uid:\\s+0\\s.*"));
    }

    /** The masters whose interface holds the VIP now (netns layout): one, or none between holders. */
    List<String> addressHolders() throws IOException {
        List<String> on = new ArrayList<>();
        for (int i = 0; i < net.masters().size(); i++) {
            String host = "master" + (i + 1);
            if (!Files.exists(NETNS.resolve(namespace(host)))) continue;
            String out = Commands.ip("-n", namespace(host), "-o", "-4", "addr", "show");
            if (out.contains(" " + net.vip() + "/32 ")) on.add(host);
        }
        return on;
    }
}
