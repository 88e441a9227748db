package io.kubeha.e2e;

import io.kubeha.cli.Main;
import io.kubeha.e2e.NetnsIT.Result;
import io.kubeha.testkit.ChildJvm;
import io.kubeha.testkit.Kubectl;
import io.kubeha.testkit.Processes;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The seed's availability tests on {@code kubeha up --netns}: the seed's own addresses in network namespaces this test
 * has {@code kubeha up} make, with real processes killed with SIGKILL and a real link cut (the bridge's port of a host
 * set down). What a user sees is checked from the admin namespace (the user's side of the LAN) with the real kubectl
 * and curl: the seed's transcript; only the VIP holder's agent killed, the VIP leaves it (the seed's process rule)
 * and {@code kubeha up} starting the agent again makes the cluster whole; the holder cut off the LAN drops the VIP,
 * another takes it and announces it (the admin's ARP entry moves to the new holder's MAC), and at no moment do two
 * masters hold it (every address change in every master's namespace recorded from netlink, {@code ip monitor}, and
 * checked every 100 ms and at each change; a poller also records the holders and the admin's ARP entry); every process of a master (server,
 * agent, its pods, keepalived) killed with SIGKILL: the API answers through the VIP again, the four other nodes stay
 * Ready for the next 2 minutes (kubeadm #1955 does not happen), a new Deployment scales out and its pods run, then
 * the master is started again. Meanwhile a steady client on NodePort 31070 loses no request. {@code kubeha down}
 * leaves no process and no namespace behind.
 */
abstract class UpNetnsScenario {
    static final Path IMAGES = Path.of("..", "logapi", "target", "images").toAbsolutePath().normalize();
    static final String VIP = "10.10.102.21";
    static final List<String> MASTERS = List.of("master1", "master2", "master3");
    static final Duration WAIT = Duration.ofMinutes(2);
    /** How long the other nodes must stay Ready after a master's death: three node-monitor grace periods (40 s). */
    static final Duration WATCH = Duration.ofMinutes(2);

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;
    Path lab;
    private final List<Process> background = new ArrayList<>();

    /** ip or keepalived. */
    abstract String vipMode();

    /** Which masters are killed in turn (null: the VIP holder at that moment). */
    abstract List<String> killed();

    void run() throws Exception {
        assertThat(Files.readString(Path.of("/proc/self/status")).lines().filter(l -> l.startsWith("Uid:")).findFirst().orElse(""))
                .as("kubeha up --netns makes network namespaces: run this test as root").matches("Uid:\\s+0\\s.*");
        for (String tool : List.of("/usr/sbin/ip", "/usr/bin/nsenter", "/usr/bin/curl", "/usr/bin/etcd", Kubectl.DEFAULT.toString())) {
            assertThat(Path.of(tool)).as("%s is needed (iproute2, util-linux, curl, etcd-server, kubectl)", tool).isExecutable();
        }
        lab = dir.resolve("lab");
        System.out.println("logs in " + dir);
        try {
            scenario();
        } finally {
            for (Process p : background) p.destroyForcibly();
            Kubectl.Result down = kubeha("down", "--dir", lab.toString());
            System.out.println("kubeha down: " + down);
        }
        assertThat(ProcessHandle.allProcesses().filter(p -> p.info().commandLine().orElse("").contains(lab.toString())))
                .as("processes of the lab after kubeha down").isEmpty();
        try (var ns = Files.list(Path.of("/run/netns"))) {
            assertThat(ns.map(p -> p.getFileName().toString())).as("namespaces after kubeha down").noneMatch(n -> n.startsWith("khup-"));
        }
    }

    private void scenario() throws Exception {
        Kubectl.Result up = kubeha("up", "--netns", "--vip-mode", vipMode(), "--dir", lab.toString(), "--images", IMAGES.toString());
        assertThat(up.exit()).as("kubeha up: %s", up).isZero();
        assertThat(up.out()).startsWith("export KUBECONFIG=" + lab.resolve("admin.kubeconfig"))
                .contains("ip netns exec khup-admin curl http://10.10.103.96:31070/api/log/greeting");

        // the seed's transcript, from the user's side of the LAN
        assertThat(kubectl("get", "nodes", "-L", "kubeadm.alpha.kubernetes.io/role", "--no-headers").orFail().out().lines()
                .map(l -> l.replaceAll("\\s+", " ")).toList())
                .hasSize(5).allMatch(l -> l.contains(" Ready "))
                .anyMatch(l -> l.startsWith("master1 ") && l.endsWith(" master")).anyMatch(l -> l.startsWith("node2 ") && l.endsWith(" node"));
        assertThat(kubectl("get", "nodes", "-o", "jsonpath={.items[*].status.addresses[0].address}").orFail().out().split(" "))
                .containsExactlyInAnyOrder("10.10.102.91", "10.10.102.92", "10.10.102.93", "10.10.103.96", "10.10.103.97");
        assertThat(kubectl("get", "pods", "-n", "kube-system", "-l", "k8s-app=kube-dns", "-o", "jsonpath={.items[*].spec.nodeName}")
                .orFail().out()).startsWith("master");
        assertThat(kubectl("get", "pods", "-l", "app=logapi", "-o", "jsonpath={.items[*].spec.nodeName}").orFail().out().split(" "))
                .hasSize(6).allMatch(n -> n.startsWith("node"));
        assertThat(inAdmin("curl", "-s", "-m", "3", "http://10.10.103.96:31070/api/log/greeting").orFail().out())
                .matches(LogapiSeedIT.GREETING.pattern());

        Path holders = dir.resolve("holders.txt");
        background.add(monitorHolders(holders));
        List<String> initial = addressHolders();
        for (String m : MASTERS) background.add(addressEvents(m, dir.resolve("addr-" + m + ".txt")));
        Path requests = dir.resolve("nodeport.txt");
        background.add(steadyClient(requests));

        // the seed's process rule: the holder's agent dies, the holder gives the VIP up; restarted, the cluster is whole
        String holder = holder();
        killRecorded(holder + "-agent");
        await().atMost(WAIT).untilAsserted(() -> assertThat(addressHolders()).as("VIP holders after %s's agent died", holder)
                .hasSize(1).doesNotContain(holder));
        restartGone();

        // the holder cut off the LAN: it drops the VIP, another takes it; never two at once
        String cut = holder();
        String arpBefore = arp();
        long cutAt = System.currentTimeMillis();
        ip("-n", "khup-lan", "link", "set", "v-" + cut, "down");
        try {
            await().atMost(WAIT).untilAsserted(() -> {
                assertThat(addressHolders()).as("VIP holders with %s cut off", cut).hasSize(1).doesNotContain(cut);
                assertThat(inAdmin("curl", "-sk", "-m", "2", "https://" + VIP + ":6443/readyz").out()).isEqualTo("ok");
            });
            String taker = addressHolders().getFirst();
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(arp()).as("the admin's ARP entry for the VIP (was %s)",
                    arpBefore).isEqualTo(mac(taker)));
            Thread.sleep(5_000);
        } finally {
            ip("-n", "khup-lan", "link", "set", "v-" + cut, "up");
        }
        await().atMost(WAIT).untilAsserted(() -> assertThat(readyNodes()).as("nodes after %s joined the LAN again", cut).hasSize(5));
        long joinedAt = System.currentTimeMillis();
        // from every master's netlink address events (exact), the holders every 100 ms and at every change
        java.util.TreeMap<Long, Set<String>> timeline = holdersOverTime(initial);
        List<String> twice = new ArrayList<>();
        int ticks = 0;
        for (long t = cutAt; t <= joinedAt + 5_000; t += 100, ticks++) {
            var at = timeline.floorEntry(t);
            if (at != null && at.getValue().size() > 1) twice.add(t + " " + at.getValue());
        }
        for (var e : timeline.subMap(cutAt, joinedAt + 5_000).entrySet()) if (e.getValue().size() > 1) twice.add(e.getKey() + " " + e.getValue());
        assertThat(ticks).isGreaterThan(50);
        assertThat(timeline.subMap(cutAt, joinedAt).values()).as("the VIP's holders while %s was cut off", cut)
                .anyMatch(h -> h.isEmpty() || !h.contains(cut));
        assertThat(twice).as("moments with two VIP holders (address events in %s)", dir).isEmpty();

        // every process of a master, kill -9
        int round = 0;
        for (String chosen : killed()) {
            String m = chosen != null ? chosen : holder();
            round++;
            killMachine(m);
            await().atMost(WAIT).untilAsserted(() -> assertThat(inAdmin("curl", "-sk", "-m", "2", "https://" + VIP + ":6443/readyz").out())
                    .as("the API through the VIP after %s died", m).isEqualTo("ok"));
            String deployment = "scale-" + round;
            kubectlIn(DEPLOYMENT.formatted(deployment, deployment, deployment), "apply", "-f", "-").orFail();
            long end = System.nanoTime() + WATCH.toNanos();
            while (System.nanoTime() < end) {
                assertThat(readyNodes()).as("Ready nodes %s after %s died", Duration.ofNanos(WATCH.toNanos() - (end - System.nanoTime())), m)
                        .containsAll(List.of("master1", "master2", "master3", "node1", "node2").stream().filter(n -> !n.equals(m)).toList());
                Thread.sleep(5_000);
            }
            assertThat(kubectl("get", "pods", "-l", "app=" + deployment, "-o",
                    "jsonpath={range .items[*]}{.status.phase}/{.spec.nodeName} {end}").orFail().out().strip().split(" "))
                    .as("the pods of the Deployment made after %s died", m).hasSize(3).allMatch(p -> p.startsWith("Running/node"));
            restartGone();
        }

        List<String> answers = Files.readAllLines(requests);
        assertThat(answers).as("NodePort 31070 requests").hasSizeGreaterThan(100);
        assertThat(answers.stream().filter(l -> !l.endsWith(" 200")).toList()).as("NodePort 31070 requests that failed").isEmpty();

        Kubectl.Result status = kubeha("status", "--dir", lab.toString());
        assertThat(status.out()).contains("VIP " + VIP + " address on master", "node node2", "Ready");
    }

    static final String DEPLOYMENT = """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: %s}
            spec:
              replicas: 3
              selector: {matchLabels: {app: %s}}
              template:
                metadata: {labels: {app: %s}}
                spec:
                  nodeSelector: {kubeadm.alpha.kubernetes.io/role: node}
                  terminationGracePeriodSeconds: 1
                  containers:
                  - {name: sleep, image: tools, command: [/bin/sleep, "3600"]}
            """;

    /** The masters whose namespace has the VIP on an interface. */
    List<String> addressHolders() throws IOException {
        List<String> on = new ArrayList<>();
        for (String m : MASTERS) {
            if (run(List.of("/usr/sbin/ip", "-n", "khup-" + m, "-o", "-4", "addr", "show")).out().contains(" " + VIP + "/32 ")) on.add(m);
        }
        return on;
    }

    String holder() throws IOException {
        List<String> on = addressHolders();
        assertThat(on).as("VIP holders").hasSize(1);
        return on.getFirst();
    }

    /** The MAC the admin namespace's ARP table gives the VIP ("" when none). */
    String arp() throws IOException {
        String[] f = run(List.of("/usr/sbin/ip", "-n", "khup-admin", "neigh", "show", VIP)).out().strip().split("\\s+");
        for (int i = 0; i < f.length - 1; i++) if (f[i].equals("lladdr")) return f[i + 1];
        return "";
    }

    String mac(String host) throws IOException {
        String out = run(List.of("/usr/sbin/ip", "-n", "khup-" + host, "-o", "link", "show", "eth0")).orFail().out();
        return out.replaceAll("(?s).*link/ether (\\S+).*", "$1").strip();
    }

    List<String> readyNodes() throws IOException {
        Result r = kubectl("get", "nodes", "-o", "jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type==\"Ready\")].status} {end}");
        if (r.exit() != 0) throw new AssertionError("kubectl get nodes: " + r);
        List<String> ready = new ArrayList<>();
        for (String n : r.out().strip().split(" ")) if (n.endsWith("=True")) ready.add(n.substring(0, n.length() - 5));
        return ready;
    }

    /** Every 100 ms: the time (ms) and the masters holding the VIP, from every master's namespace; then the admin's ARP entry. */
    Process monitorHolders(Path out) throws IOException {
        String script = """
                while :; do
                  line="$(date +%%s%%3N)"
                  for m in master1 master2 master3; do
                    ip -n khup-$m -o -4 addr show | grep -q " %s/32 " && line="$line $m"
                  done
                  echo "$line # arp $(ip -n khup-admin neigh show %s | cut -d' ' -f5)"
                  sleep 0.1
                done
                """.formatted(VIP, VIP);
        return new ProcessBuilder("/bin/sh", "-c", script).redirectOutput(out.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    }

    /** {@code ip -ts monitor address} in a master's namespace: every add and delete of an address, timestamped. */
    Process addressEvents(String master, Path out) throws IOException {
        return new ProcessBuilder("/usr/sbin/ip", "-n", "khup-" + master, "-o", "-ts", "monitor", "address").redirectOutput(out.toFile())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
    }

    /** Who held the VIP when (ms since the epoch), from the masters' address events, starting from {@code initial}. */
    java.util.TreeMap<Long, Set<String>> holdersOverTime(List<String> initial) throws IOException {
        java.util.TreeMap<Long, String> events = new java.util.TreeMap<>();
        for (String m : MASTERS) {
            for (String line : Files.readAllLines(dir.resolve("addr-" + m + ".txt"))) {
                if (!line.startsWith("[") || !line.contains(" inet " + VIP + "/32 ")) continue;
                long t = java.time.LocalDateTime.parse(line.substring(1, line.indexOf(']'))).atZone(java.time.ZoneId.systemDefault())
                        .toInstant().toEpochMilli();
                while (events.containsKey(t)) t++; // keep simultaneous events apart, in file order
                events.put(t, (line.contains("] Deleted ") ? "-" : "+") + m);
            }
        }
        java.util.TreeMap<Long, Set<String>> timeline = new java.util.TreeMap<>();
        Set<String> now = new java.util.TreeSet<>(initial);
        timeline.put(0L, Set.copyOf(now));
        for (var e : events.entrySet()) {
            if (e.getValue().startsWith("+")) now.add(e.getValue().substring(1));
            else now.remove(e.getValue().substring(1));
            timeline.put(e.getKey(), Set.copyOf(now));
        }
        return timeline;
    }

    /** A steady client on NodePort 31070 in the admin namespace, alternating the two workers: time and status a line. */
    Process steadyClient(Path out) throws IOException {
        String script = """
                i=0
                while :; do
                  if [ $((i % 2)) -eq 0 ]; then n=10.10.103.96; else n=10.10.103.97; fi
                  echo "$(date +%s%3N) $n $(curl -s -m 2 -o /dev/null -w '%{http_code}' http://$n:31070/api/log/greeting)"
                  i=$((i + 1))
                  sleep 0.1
                done
                """;
        return new ProcessBuilder("/usr/bin/nsenter", "--net=/run/netns/khup-admin", "--", "/bin/sh", "-c", script)
                .redirectOutput(out.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    }

    /** The monitor's lines between two times (ms), each "TIME HOLDER..." without the ARP part. */
    static List<String> samples(Path file, long from, long to) throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            String s = line.replaceAll(" # arp.*$", "").strip();
            String[] f = s.split(" ");
            if (f[0].isEmpty() || !f[0].matches("\\d+")) continue;
            long t = Long.parseLong(f[0]);
            if (t >= from && t <= to) out.add(s);
        }
        return out;
    }

    /** SIGKILL to the process of this name that {@code kubeha up} recorded. */
    void killRecorded(String name) throws IOException {
        for (String line : Files.readAllLines(lab.resolve("processes"))) {
            String[] f = line.split(" ");
            if (f[0].equals(name)) ProcessHandle.of(Long.parseLong(f[1])).ifPresent(Processes::kill9);
        }
    }

    /** Every process of a master: all in its namespace (server, agent, keepalived) and its pods, SIGKILL. */
    void killMachine(String host) throws IOException {
        Set<Long> pids = new LinkedHashSet<>();
        for (String p : run(List.of("/usr/sbin/ip", "netns", "pids", "khup-" + host)).orFail().out().strip().split("\\s+")) {
            if (!p.isEmpty()) pids.add(Long.parseLong(p));
        }
        assertThat(pids).as("processes in khup-%s", host).isNotEmpty();
        for (long pid : pids) ProcessHandle.of(pid).ifPresent(Processes::kill9);
        Processes.killPodProcessesRecordedUnder(lab.resolve(host));
    }

    /** {@code kubeha up} again: it starts the processes that are gone and waits for the cluster to be whole. */
    void restartGone() throws Exception {
        Kubectl.Result r = kubeha("up", "--netns", "--vip-mode", vipMode(), "--dir", lab.toString(), "--images", IMAGES.toString());
        assertThat(r.exit()).as("kubeha up (again): %s", r).isZero();
        assertThat(readyNodes()).hasSize(5);
    }

    Kubectl.Result kubeha(String... args) throws Exception {
        try (ChildJvm c = ChildJvm.start(Main.class, dir.resolve("kubeha-" + args[0] + ".log"), args)) {
            int exit = c.exitValue(Duration.ofMinutes(6));
            return new Kubectl.Result(exit, String.join("\n", c.remainingLines(Duration.ofSeconds(5))),
                    tail(dir.resolve("kubeha-" + args[0] + ".log")));
        }
    }

    private static String tail(Path f) {
        try {
            String s = Files.readString(f);
            return s.length() > 3000 ? s.substring(s.length() - 3000) : s;
        } catch (IOException e) {
            return "";
        }
    }

    Result kubectl(String... args) throws IOException {
        return kubectlIn(null, args);
    }

    Result kubectlIn(String stdin, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/nsenter", "--net=/run/netns/khup-admin", "--", Kubectl.DEFAULT.toString(),
                "--kubeconfig", lab.resolve("admin.kubeconfig").toString(), "--request-timeout", "10s"));
        cmd.addAll(List.of(args));
        return run(cmd, stdin);
    }

    Result inAdmin(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/nsenter", "--net=/run/netns/khup-admin", "--"));
        cmd.addAll(List.of(args));
        return run(cmd);
    }

    static void ip(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("/usr/sbin/ip"));
        cmd.addAll(List.of(args));
        run(cmd).orFail();
    }

    static Result run(List<String> cmd) throws IOException {
        return run(cmd, null);
    }

    static Result run(List<String> cmd, String stdin) throws IOException {
        return NetnsIT.run(cmd, stdin, Duration.ofSeconds(30));
    }
}
