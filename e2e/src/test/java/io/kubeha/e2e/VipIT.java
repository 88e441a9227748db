package io.kubeha.e2e;

import io.kubeha.cli.Main;
import io.kubeha.testkit.ChildJvm;
import io.kubeha.testkit.EtcdCluster;
import io.kubeha.testkit.Kubectl;
import io.kubeha.testkit.Ports;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The control-plane VIP in loopback mode, with real processes: a real etcd, three {@code kubeha server --vip} masters
 * sharing one PKI (master2 the seed's way, DATA_DIR/pki copied; master3 joins with a control-plane token and a
 * certificate key, kubeadm's upload-certs, a wrong key opening nothing), master1 with its node agent. kubectl
 * works through the VIP; master1's agent killed with kill -9 moves the VIP off master1 (the seed's rule) and its
 * restart does not take it back (no preemption); the holder's API server killed with kill -9 moves it again, and
 * kubectl through the VIP answers throughout with no flag changed; master1's API server killed as well, master1's
 * agent goes on through its client-side load balancer. The Lease names one holder at a time.
 */
@Tag("scenario")
class VipIT {
    private static final String VIP = "127.10.102.21";
    private static final List<String> MASTERS = List.of("127.10.102.91", "127.10.102.92", "127.10.102.93");
    private static final Duration WAIT = Duration.ofSeconds(90);

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    private final List<ChildJvm> started = new ArrayList<>();

    @Test
    void theVipFollowsAReadyApiServerWithALiveAgent() throws Exception {
        System.out.println("logs in " + dir);
        int vipPort = Ports.free(InetAddress.getByName(VIP));
        try (EtcdCluster etcd = EtcdCluster.start(1)) {
            String store = "etcd:" + etcd.clientEndpoint(0);
            // master1 makes the PKI; the others get a copy of it, as the seed's runbook copies /etc/kubernetes/pki
            Path m1 = dir.resolve("master1");
            int[] ports = new int[3];
            for (int i = 0; i < 3; i++) ports[i] = Ports.free(InetAddress.getByName(MASTERS.get(i)));
            int agentPort = Ports.free(InetAddress.getByName(MASTERS.getFirst()));
            ChildJvm init = ChildJvm.start(Main.class, dir.resolve("init.log"), "server", "--init", "--data-dir", m1.toString(),
                    "--bind", MASTERS.getFirst() + ":" + ports[0], "--tls-san", VIP);
            init.handle().onExit().get();
            // master2 the seed's way (a copy of master1's pki); master3 joins with a token (kubeadm's upload-certs)
            copyTree(m1.resolve("pki"), dir.resolve("master2").resolve("pki"));

            ChildJvm[] servers = new ChildJvm[3];
            servers[0] = server(0, ports, store, vipPort, "--vip-agent-healthz", agentHealthz(agentPort));
            Kubectl m1Kubectl = new Kubectl(Kubectl.DEFAULT, m1.resolve("admin.kubeconfig"));
            await().atMost(WAIT).ignoreExceptions().until(() -> m1Kubectl.run("get", "--raw", "/readyz").out().equals("ok"));
            ChildJvm agent = agent(m1, agentPort);
            // with its agent alive, master1 (the only candidate yet) takes the VIP
            Path vipKubeconfig = Files.writeString(dir.resolve("vip.kubeconfig"), Files.readString(m1.resolve("admin.kubeconfig"))
                    .replace("https://" + MASTERS.getFirst() + ":" + ports[0], "https://" + VIP + ":" + vipPort));
            Kubectl viaVip = new Kubectl(Kubectl.DEFAULT, vipKubeconfig);
            await().atMost(WAIT).untilAsserted(() -> assertThat(holder(viaVip)).as(log("master1")).isEqualTo("master1"));
            servers[1] = server(1, ports, store, vipPort);
            String join;
            try (ChildJvm token = ChildJvm.start(Main.class, dir.resolve("token.log"), "token", "create", "--kubeconfig",
                    m1.resolve("admin.kubeconfig").toString(), "--control-plane", "--ttl", "1h")) {
                join = token.nextLine(Duration.ofSeconds(60));
            }
            assertThat(join).as(log("token")).startsWith("kubeha server --join https://" + MASTERS.getFirst() + ":" + ports[0] + " --token ");
            List<String> words = List.of(join.split(" "));
            String joinToken = words.get(words.indexOf("--token") + 1);
            String key = words.get(words.indexOf("--certificate-key") + 1);
            String hash = words.get(words.indexOf("--discovery-token-ca-cert-hash") + 1);
            String base = "https://" + MASTERS.getFirst() + ":" + ports[0];
            // a wrong certificate key opens nothing: one line, and no PKI written
            String wrongKey = (key.charAt(0) == '0' ? "1" : "0") + key.substring(1);
            try (ChildJvm wrong = ChildJvm.start(Main.class, dir.resolve("wrong-join.log"), "server", "--disable-agent", "--data-dir",
                    dir.resolve("wrong").toString(), "--store", store, "--bind", MASTERS.get(2) + ":" + ports[2], "--join", base,
                    "--token", joinToken, "--certificate-key", wrongKey)) {
                assertThat(wrong.handle().onExit().get(60, java.util.concurrent.TimeUnit.SECONDS).isAlive()).isFalse();
            }
            assertThat(Files.readString(dir.resolve("wrong-join.log"))).contains("--certificate-key: the certificate key does not open");
            assertThat(dir.resolve("wrong").resolve("pki").resolve("ca.key")).doesNotExist();
            servers[2] = server(2, ports, store, vipPort, "--join", base, "--token", joinToken, "--discovery-token-ca-cert-hash", hash,
                    "--certificate-key", key);
            // the joined master serves with the cluster's CA: master1's admin credentials work against it
            Path m3Kubeconfig = Files.writeString(dir.resolve("m3.kubeconfig"), Files.readString(m1.resolve("admin.kubeconfig"))
                    .replace("https://" + MASTERS.getFirst() + ":" + ports[0], "https://" + MASTERS.get(2) + ":" + ports[2]));
            await().atMost(WAIT).ignoreExceptions().until(() -> new Kubectl(Kubectl.DEFAULT, m3Kubeconfig).run("get", "--raw", "/readyz")
                    .out().equals("ok"));
            assertThat(Files.readString(dir.resolve("master3").resolve("pki").resolve("ca.crt")))
                    .isEqualTo(Files.readString(m1.resolve("pki").resolve("ca.crt")));
            assertThat(viaVip.run("get", "--raw", "/readyz").orFail().out()).isEqualTo("ok");

            // the seed's process rule: master1's agent dies, master1 gives the VIP up to a master whose server is ready
            agent.kill9();
            await().atMost(WAIT).untilAsserted(() -> assertThat(holder(viaVip)).isIn("master2", "master3"));
            assertThat(Files.readString(dir.resolve("master1.log"))).contains("gave the VIP up: the node agent");
            assertThat(viaVip.run("get", "namespaces").orFail().out()).contains("kube-system");

            // the agent comes back: master1 is a candidate again, and takes nothing back (no preemption)
            String holder = holder(viaVip);
            agent(m1, agentPort);
            // kubeha health, as keepalived's check script and an operator run it, says when master1 is whole again
            await().atMost(WAIT).untilAsserted(() -> {
                try (ChildJvm health = ChildJvm.start(Main.class, dir.resolve("health.log"), "health", "--kubeconfig",
                        m1.resolve("admin.kubeconfig").toString(), "--agent-healthz", agentHealthz(agentPort))) {
                    String line = health.nextLine(Duration.ofSeconds(30));
                    assertThat(line).as(Files.readString(dir.resolve("health.log"))).startsWith("healthy: API server ready");
                }
            });
            Thread.sleep(3_000); // two lease durations, in which a preempting candidate would have taken it
            assertThat(holder(viaVip)).isEqualTo(holder);

            // the holder's API server is killed: the VIP moves to another ready server, kubectl through it goes on
            ChildJvm holderServer = servers[Integer.parseInt(holder.substring("master".length())) - 1];
            long killedAt = System.nanoTime();
            holderServer.kill9();
            await().atMost(WAIT).ignoreExceptions().until(() -> viaVip.run("get", "--raw", "/readyz").out().equals("ok")
                    && !holder.equals(holder(viaVip)));
            System.out.printf("VIP answered again %.1f s after kill -9 of %s's API server (now held by %s)%n",
                    (System.nanoTime() - killedAt) / 1e9, holder, holder(viaVip));
            assertThat(viaVip.run("get", "nodes", "-o", "name").orFail().out()).contains("node/master1");

            // master1's own API server goes too, leaving one: the agent, whose kubeconfig names master1's server, goes on
            // renewing its Lease through its load balancer (kubeadm #1955 does not happen), and the VIP is the survivor's
            if (servers[0].isAlive()) servers[0].kill9();
            // (the VIP may be moving: read once it answers again)
            String renewed = await().atMost(WAIT).ignoreExceptions().until(() -> nodeLeaseRenewTime(viaVip), t -> !t.isEmpty());
            await().atMost(WAIT).ignoreExceptions().untilAsserted(() -> assertThat(nodeLeaseRenewTime(viaVip)).isNotEqualTo(renewed));
            assertThat(Files.readString(dir.resolve("agent-2.log"))).contains("load-balanced over the API servers");
        } finally {
            for (ChildJvm c : started.reversed()) c.close();
            ProcessCluster.killPodProcessesRecordedUnder(dir);
        }
    }

    /** The agent's /healthz: its port serves HTTPS with a certificate of the cluster CA once its API server is HTTPS. */
    private static String agentHealthz(int port) {
        return "https://" + MASTERS.getFirst() + ":" + port + "/healthz";
    }

    /** When master1's agent last renewed its node Lease. */
    private static String nodeLeaseRenewTime(Kubectl kubectl) {
        return kubectl.run("get", "lease", "-n", "kube-node-lease", "master1", "-o", "jsonpath={.spec.renewTime}").orFail().out();
    }

    /** The Lease's holder, as the masters' --vip-identity names it. */
    private static String holder(Kubectl kubectl) {
        return kubectl.run("get", "lease", "-n", "kube-system", "kubeha-vip", "-o", "jsonpath={.spec.holderIdentity}").orFail().out();
    }

    private ChildJvm server(int i, int[] ports, String store, int vipPort, String... extra) throws Exception {
        String name = "master" + (i + 1);
        List<String> args = new ArrayList<>(List.of("server", "--disable-agent", "--data-dir", dir.resolve(name).toString(), "--store", store,
                "--bind", MASTERS.get(i) + ":" + ports[i], "--vip", VIP + ":" + vipPort, "--vip-identity", name));
        if (i > 0) args.addAll(List.of("--disable", "controller-manager,scheduler"));
        args.addAll(List.of(extra));
        ChildJvm c = ChildJvm.start(Main.class, dir.resolve(name + ".log"), args.toArray(String[]::new));
        started.add(c);
        return c;
    }

    private int agents;

    private ChildJvm agent(Path m1, int port) throws Exception {
        agents++;
        Path data = Files.createDirectories(dir.resolve("agent-data"));
        ChildJvm c = ChildJvm.start(Main.class, dir.resolve("agent-" + agents + ".log"), "agent", "--kubeconfig",
                m1.resolve("admin.kubeconfig").toString(), "--node-name", "master1", "--node-ip", MASTERS.getFirst(),
                "--pod-cidr", "127.64.91.0/24", "--port", Integer.toString(port), "--data-dir", data.resolve("data").toString(),
                "--image-store", data.resolve("images").toString());
        started.add(c);
        return c;
    }

    private String log(String name) {
        try {
            return Files.readString(dir.resolve(name + ".log"));
        } catch (java.io.IOException e) {
            return "(no log)";
        }
    }

    private static void copyTree(Path from, Path to) throws java.io.IOException {
        Files.createDirectories(to);
        try (var files = Files.list(from)) {
            for (Path f : files.toList()) Files.copy(f, to.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.COPY_ATTRIBUTES);
        }
    }
}
