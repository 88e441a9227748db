package io.kubeha.e2e;

import io.kubeha.cli.Main;
import io.kubeha.testkit.ChildJvm;
import io.kubeha.testkit.Kubectl;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The agent's {@code --netns} mode end to end, with real everything on a LAN of its own: a namespace {@code khlan-*}
 * holding a bridge, and three "machines" (namespaces joined to it by veth pairs, 10.10.102.91-93/24): {@code kubeha
 * server} on the master, an agent with {@code --netns} on each of node1 and node2, and the real kubectl and curl run
 * on the master. Checked as a user sees it: two pods of one node both serving 0.0.0.0:8080 and Ready, pod IPs from
 * the nodes' pod CIDRs, a NodePort answered on each node by pods of both nodes (routes between nodes), a pod reaching
 * a Service's ClusterIP and resolving the service's name through the cluster DNS (itself a pod), an agent killed and
 * restarted taking its pods back with their networks (and removing the network of a pod deleted meanwhile), and pods'
 * namespaces gone once the pods are deleted. Nothing is added to the machine's own namespace; everything made is removed in
 * the end, also when the test fails. Needs root, iproute2, nsenter and curl: without them it fails, saying so.
 */
@Tag("scenario")
class NetnsIT {
    static final String MASTER = "10.10.102.91";
    static final String NODE1 = "10.10.102.92";
    static final String NODE2 = "10.10.102.93";
    static final String CLUSTER_DNS = "10.96.0.10";
    static final Duration WAIT = Duration.ofSeconds(90);
    static final Path NETNS = Path.of("/run/netns");

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    private final String id = UUID.randomUUID().toString().substring(0, 6);
    private final String lan = "khlan-" + id;
    private final String master = "khm-" + id + "-master";
    private final String node1 = "khm-" + id + "-node1";
    private final String node2 = "khm-" + id + "-node2";
    private final List<String> namespaces = new ArrayList<>();
    private final List<ChildJvm> children = new ArrayList<>();
    private final Set<String> podUids = new LinkedHashSet<>();

    @Test
    void podsGetNamespacesOfTheirOwnAndReachServicesNodePortsAndTheClusterDns() throws Exception {
        assertThat(Files.readString(Path.of("/proc/self/status")).lines().filter(l -> l.startsWith("Uid:")).findFirst().orElse(""))
                .as("this test makes network namespaces: run it as root").matches("Uid:\\s+0\\s.*");
        for (String tool : List.of("/usr/sbin/ip", "/usr/bin/nsenter", "/usr/bin/curl", Kubectl.DEFAULT.toString())) {
            assertThat(Path.of(tool)).as("%s is needed (iproute2, util-linux, curl, kubectl)", tool).isExecutable();
        }
        System.out.println("logs in " + dir);
        try {
            buildLan();
            // the admin kubeconfig the server writes (https://MASTER:6443, its CA, a system:masters certificate)
            Path kubeconfig = dir.resolve("server-data").resolve("admin.kubeconfig");
            Path ca = dir.resolve("server-data").resolve("pki").resolve("ca.crt");
            children.add(ChildJvm.start(in(master), Main.class, dir.resolve("server.log"), "server", "--disable-agent", "--data-dir",
                    dir.resolve("server-data").toString(), "--bind", MASTER + ":6443", "--service-cidr", "10.96.0.0/16"));
            await().atMost(WAIT).ignoreExceptions().untilAsserted(() -> {
                assertThat(children.getFirst().isAlive()).as("kubeha server runs: %s", log("server")).isTrue();
                assertThat(kubeconfig).exists();
                // anonymous over TLS, trusting the cluster CA only: /readyz is public, as kube-apiserver's
                assertThat(run(master, "curl", "-sf", "-m", "2", "--cacert", ca.toString(), "https://" + MASTER + ":6443/readyz").out())
                        .isEqualTo("ok");
            });
            agent("node1", node1, NODE1, "10.244.1.0/24", kubeconfig);
            ChildJvm agent2 = agent("node2", node2, NODE2, "10.244.2.0/24", kubeconfig);
            await().atMost(WAIT).untilAsserted(() -> assertThat(kubectl(kubeconfig, "get", "nodes", "-o",
                    "jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type==\"Ready\")].status} {end}").out())
                    .as("agents: %s %s", log("node1"), log("node2")).isEqualTo("node1=True node2=True "));

            // two pods on node1 and one on node2, all serving 0.0.0.0:8080; one NodePort Service over the three
            apply(kubeconfig, WEB_YAML).orFail();
            await().atMost(WAIT).untilAsserted(() -> assertThat(kubectl(kubeconfig, "get", "pods", "-l", "app=web", "-o",
                    "jsonpath={range .items[*]}{.spec.nodeName}:{.status.conditions[?(@.type==\"Ready\")].status} {end}").out().split(" "))
                    .containsExactlyInAnyOrder("node1:True", "node1:True", "node2:True"));
            String pods = kubectl(kubeconfig, "get", "pods", "-l", "app=web", "-o",
                    "jsonpath={range .items[*]}{.metadata.name},{.metadata.uid},{.spec.nodeName},{.status.podIP} {end}").orFail().out();
            Set<String> webNames = new HashSet<>();
            for (String p : pods.strip().split(" ")) {
                String[] f = p.split(",");
                webNames.add(f[0]);
                podUids.add(f[1]);
                assertThat(f[3]).as("pod %s on %s", f[0], f[2]).startsWith(f[2].equals("node1") ? "10.244.1." : "10.244.2.");
                assertThat(NETNS.resolve("kh-" + f[1])).as("pod %s's network namespace", f[0]).exists();
            }

            // the NodePort of each node answers, from pods of both nodes (node1's two and node2's one)
            for (String node : List.of(NODE1, NODE2)) {
                Set<String> answered = new HashSet<>();
                await().atMost(WAIT).untilAsserted(() -> {
                    Result r = run(master, "curl", "-s", "-m", "3", "http://" + node + ":31080/");
                    if (r.exit() == 0) answered.add(r.out());
                    assertThat(answered).as("pods answering on %s:31080", node).isEqualTo(webNames);
                });
            }

            // the cluster DNS as a pod, behind the kube-dns ClusterIP the agents put in pods' resolv.conf
            apply(kubeconfig, DNS_YAML).orFail();
            String clusterIp = kubectl(kubeconfig, "get", "service", "web", "-o", "jsonpath={.spec.clusterIP}").orFail().out();
            assertThat(clusterIp).startsWith("10.96.");
            // a pod on node2 asks the web Service's ClusterIP, and resolves its name, in a loop; kubectl logs shows it
            apply(kubeconfig, CLIENT_YAML.formatted(clusterIp)).orFail();
            await().atMost(WAIT).untilAsserted(() -> {
                String logs = kubectl(kubeconfig, "logs", "client").out();
                assertThat(logs).as("the client pod's log").containsPattern("clusterip: web-[ab]-")
                        .contains("dns: " + clusterIp + " ");
            });
            Set<String> webUids = Set.copyOf(podUids);
            String clientUid = kubectl(kubeconfig, "get", "pod", "client", "-o", "jsonpath={.metadata.uid}").orFail().out();
            String dnsUid = kubectl(kubeconfig, "get", "pods", "-n", "kube-system", "-l", "k8s-app=kube-dns", "-o",
                    "jsonpath={.items[0].metadata.uid}").orFail().out();
            podUids.add(clientUid);
            podUids.add(dnsUid);

            // node2's agent dies; meanwhile the client pod (on node2) is deleted for good and its process ends
            String clientPid = kubectl(kubeconfig, "get", "pod", "client", "-o", "jsonpath={.status.containerStatuses[0].containerID}")
                    .orFail().out().replace("process://", "");
            agent2.kill9();
            kubectl(kubeconfig, "delete", "pod", "client", "--grace-period=0", "--force").orFail();
            new ProcessBuilder("kill", "-KILL", "--", "-" + clientPid).start().waitFor();
            // it comes back: web-b is taken back with its namespace untouched; the client's namespace goes
            agent("node2", node2, NODE2, "10.244.2.0/24", kubeconfig);
            Set<String> afterRestart = new HashSet<>();
            await().atMost(WAIT).untilAsserted(() -> {
                Result r = run(master, "curl", "-s", "-m", "3", "http://" + NODE2 + ":31080/");
                if (r.exit() == 0) afterRestart.add(r.out());
                assertThat(afterRestart).as("pods answering on node2:31080 after its agent restarted").isEqualTo(webNames);
            });
            assertThat(kubectl(kubeconfig, "get", "pods", "-l", "app=web", "-o",
                    "jsonpath={.items[*].status.containerStatuses[*].restartCount}").orFail().out())
                    .as("restart counts after the agent's restart").isEqualTo("0 0 0");
            await().atMost(WAIT).untilAsserted(() -> assertThat(NETNS.resolve("kh-" + clientUid))
                    .as("the network namespace of the pod deleted while its agent was away").doesNotExist());

            // pods deleted: their namespaces go (in the machines' shared mount context, where ip netns lists them)
            kubectl(kubeconfig, "delete", "deployment", "web-a", "web-b").orFail();
            await().atMost(WAIT).untilAsserted(() -> {
                assertThat(kubectl(kubeconfig, "get", "pods", "-o", "name").out()).isEmpty();
                String list = run(node1, "/usr/sbin/ip", "netns", "list").orFail().out();
                assertThat(webUids).as("deleted pods with a network namespace left in:\n%s", list)
                        .noneMatch(uid -> list.contains("kh-" + uid));
                assertThat(list).as("the kube-dns pod still runs").contains("kh-" + dnsUid);
            });
        } finally {
            cleanUp();
        }
    }

    static final String WEB_POD = """
                metadata: {labels: {app: web}}
                spec:
                  nodeSelector: {kubernetes.io/hostname: %s}
                  terminationGracePeriodSeconds: 1
                  containers:
                  - name: web
                    image: python
                    command:
                    - /usr/bin/python3
                    - -c
                    - |
                      import http.server, os
                      class H(http.server.BaseHTTPRequestHandler):
                          def do_GET(self):
                              b = os.environ['HOSTNAME'].encode()
                              self.send_response(200)
                              self.send_header('Content-Length', str(len(b)))
                              self.end_headers()
                              self.wfile.write(b)
                          def log_message(self, *a):
                              pass
                      http.server.ThreadingHTTPServer(('0.0.0.0', 8080), H).serve_forever()
                    readinessProbe:   # in the pod's namespace: 127.0.0.1 is the pod's own
                      exec: {command: [/usr/bin/curl, -sf, -m, "2", "http://127.0.0.1:8080/"]}
                      periodSeconds: 1
            """;

    static final String WEB_YAML = """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web-a}
            spec:
              replicas: 2
              selector: {matchLabels: {app: web, part: a}}
              template:
            %s
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web-b}
            spec:
              replicas: 1
              selector: {matchLabels: {app: web, part: b}}
              template:
            %s
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: web}
            spec:
              type: NodePort
              selector: {app: web}
              ports: [{port: 80, targetPort: 8080, nodePort: 31080}]
            """.formatted(WEB_POD.formatted("node1").replace("{app: web}", "{app: web, part: a}"),
            WEB_POD.formatted("node2").replace("{app: web}", "{app: web, part: b}"));

    static final String DNS_YAML = LogapiSeedIT.dnsYaml("kubernetes.io/hostname: node1", CLUSTER_DNS);

    static final String CLIENT_YAML = """
            apiVersion: v1
            kind: Pod
            metadata: {name: client}
            spec:
              nodeSelector: {kubernetes.io/hostname: node2}
              containers:
              - name: client
                image: tools
                command: [/bin/sh, -c, 'while true; do echo "clusterip: $(/usr/bin/curl -s -m 3 http://%s/)"; echo "dns: $(getent hosts web.default.svc.cluster.local)"; sleep 1; done']
            """;

    /** The LAN: a bridge in a namespace of its own, and each machine's eth0 on it through a veth pair. */
    private void buildLan() throws IOException {
        netns(lan);
        ip("-n", lan, "link", "add", "br0", "type", "bridge");
        ip("-n", lan, "link", "set", "br0", "up");
        int i = 0;
        for (var m : List.of(List.of(master, MASTER), List.of(node1, NODE1), List.of(node2, NODE2))) {
            String name = m.get(0);
            netns(name);
            ip("-n", name, "link", "set", "lo", "up");
            ip("-n", lan, "link", "add", "m" + i, "type", "veth", "peer", "name", "eth0", "netns", name);
            ip("-n", lan, "link", "set", "m" + i, "master", "br0", "up");
            ip("-n", name, "addr", "add", m.get(1) + "/24", "dev", "eth0");
            ip("-n", name, "link", "set", "eth0", "up");
            i++;
        }
    }

    private ChildJvm agent(String name, String netns, String ip, String podCidr, Path kubeconfig) throws IOException {
        Path data = Files.createDirectories(dir.resolve(name));
        ChildJvm agent = ChildJvm.start(in(netns), Main.class, dir.resolve(name + ".log"), "agent", "--kubeconfig", kubeconfig.toString(),
                "--node-name", name, "--node-ip", ip, "--pod-cidr", podCidr, "--netns", "--data-dir", data.resolve("data").toString(),
                "--image-store", data.resolve("images").toString(), "--node-labels", "kubeadm.alpha.kubernetes.io/role=node",
                "--cluster-dns", CLUSTER_DNS, "--container-restart-backoff", "1s", "--node-lease-renew-interval", "2s");
        children.add(agent);
        return agent;
    }

    private static List<String> in(String netns) {
        return List.of("/usr/bin/nsenter", "--net=" + NETNS.resolve(netns), "--");
    }

    private void netns(String name) throws IOException {
        ip("netns", "add", name);
        namespaces.add(name);
    }

    private static void ip(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("/usr/sbin/ip"));
        cmd.addAll(List.of(args));
        run(cmd, null, Duration.ofSeconds(20)).orFail();
    }

    private Result kubectl(Path kubeconfig, String... args) throws IOException {
        return kubectlWith(kubeconfig, null, args);
    }

    private Result apply(Path kubeconfig, String yaml) throws IOException {
        return kubectlWith(kubeconfig, yaml, "apply", "-f", "-");
    }

    private Result kubectlWith(Path kubeconfig, String stdin, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(in(master));
        cmd.addAll(List.of(Kubectl.DEFAULT.toString(), "--kubeconfig", kubeconfig.toString()));
        cmd.addAll(List.of(args));
        return run(cmd, stdin, Duration.ofSeconds(30));
    }

    private static Result run(String netns, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(in(netns));
        cmd.addAll(List.of(args));
        return run(cmd, null, Duration.ofSeconds(20));
    }

    /** A command's exit status and output (UpNetnsScenario's too). */
    record Result(int exit, String out, String err) {
        Result orFail() {
            if (exit != 0) throw new AssertionError("exit " + exit + "\nstdout: " + out + "\nstderr: " + err);
            return this;
        }
    }

    /** Runs {@code cmd} (with {@code stdin}, without KUBECONFIG), killed after {@code timeout}. */
    static Result run(List<String> cmd, String stdin, Duration timeout) throws IOException {
        Path out = Files.createTempFile("netns-out", ".txt");
        Path err = Files.createTempFile("netns-err", ".txt");
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
            pb.environment().remove("KUBECONFIG");
            Process p = pb.start();
            try (var in = p.getOutputStream()) {
                if (stdin != null) in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor();
                return new Result(-1, Files.readString(out), Files.readString(err) + " (killed after " + timeout + ")");
            }
            return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    private String log(String name) {
        try {
            String s = Files.readString(dir.resolve(name + ".log"));
            return s.length() > 4000 ? "..." + s.substring(s.length() - 4000) : s;
        } catch (IOException e) {
            return "(no log)";
        }
    }

    /**
     * Kills what the test started (pods first: they are the agents' descendants), then removes every namespace it
     * made: the pods' (named in the agents' pod-ips folders, or seen in the test) and the LAN's and machines'.
     */
    private void cleanUp() throws Exception {
        for (ChildJvm c : children.reversed()) {
            c.handle().descendants().forEach(ProcessHandle::destroyForcibly);
            c.close();
        }
        // pods of an agent that was killed are nobody's descendants: their state files name them (pid, start time)
        ProcessCluster.killPodProcessesRecordedUnder(dir);
        for (String node : List.of("node1", "node2")) {
            Path ips = dir.resolve(node).resolve("data").resolve("pod-ips");
            if (!Files.isDirectory(ips)) continue;
            try (var files = Files.list(ips)) {
                for (Path f : files.toList()) podUids.add(Files.readString(f).strip());
            }
        }
        for (String uid : podUids) {
            if (!uid.isEmpty() && Files.exists(NETNS.resolve("kh-" + uid))) run(List.of("/usr/sbin/ip", "netns", "del", "kh-" + uid), null, Duration.ofSeconds(20));
        }
        for (String ns : namespaces.reversed()) run(List.of("/usr/sbin/ip", "netns", "del", ns), null, Duration.ofSeconds(20));
    }
}
