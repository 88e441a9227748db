package io.kubeha.cli;

import io.kubeha.testkit.ChildJvm;
import io.kubeha.testkit.EtcdCluster;
import io.kubeha.testkit.Kubectl;
import io.kubeha.testkit.Ports;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code kubeha server --init}, as {@code kubeadm init}: with --store it prints the join commands, and they work as
 * printed: a node joins with the agent line, a master with the server line (plus only where it keeps its state and
 * serves). Without --store it makes the PKI, says how to get join commands later, and prints none.
 */
class ServerInitIT {
    @TempDir
    Path dir;

    private final List<ChildJvm> started = new ArrayList<>();

    @Test
    void initPrintsJoinCommandsThatWork() throws Exception {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        List<Integer> ports = Ports.free(loopback, 3);
        Path m1 = dir.resolve("master1");
        try (EtcdCluster etcd = EtcdCluster.start(1)) {
            String store = "etcd:" + etcd.clientEndpoint(0);
            List<String> out;
            try (ChildJvm init = ChildJvm.start(Main.class, dir.resolve("init.log"), "server", "--init", "--data-dir", m1.toString(),
                    "--store", store, "--bind", "127.0.0.1:" + ports.get(0))) {
                assertThat(init.exitValue(Duration.ofSeconds(90))).as(log("init")).isZero();
                out = init.remainingLines(Duration.ofSeconds(5));
            }
            String base = "https://127.0.0.1:" + ports.get(0);
            assertThat(out).as(log("init")).hasSize(2);
            String masterJoin = out.get(0);
            String nodeJoin = out.get(1);
            assertThat(masterJoin).startsWith("kubeha server --join " + base + " --token ").contains("--discovery-token-ca-cert-hash sha256:",
                    "--certificate-key ").endsWith("--store " + store);
            assertThat(nodeJoin).startsWith("kubeha agent --server " + base + " --token ").contains("--discovery-token-ca-cert-hash sha256:");
            assertThat(m1.resolve("pki").resolve("ca.key")).exists();
            assertThat(log("init")).contains("valid 2h", "valid 24h").doesNotContain("\tat ");

            // master1 starts on the same data dir and store: the tokens are there, one of them a control-plane token
            ChildJvm server = start("master1", "server", "--disable-agent", "--data-dir", m1.toString(), "--store", store,
                    "--bind", "127.0.0.1:" + ports.get(0));
            Kubectl kubectl = new Kubectl(Kubectl.DEFAULT, m1.resolve("admin.kubeconfig"));
            await().atMost(Duration.ofSeconds(90)).ignoreExceptions().until(() -> kubectl.run("get", "--raw", "/readyz").out().equals("ok"));
            String nodeToken = word(nodeJoin, "--token");
            String masterToken = word(masterJoin, "--token");
            assertThat(kubectl.run("get", "secret", "-n", "kube-system", "bootstrap-token-" + nodeToken.substring(0, 6), "-o",
                    "jsonpath={.type}").orFail().out()).isEqualTo("bootstrap.kubernetes.io/token");
            assertThat(kubectl.run("get", "secret", "-n", "kube-system", "bootstrap-token-" + masterToken.substring(0, 6), "-o",
                    "jsonpath={.data.auth-extra-groups}").orFail().out()).isNotEmpty();
            assertThat(kubectl.run("get", "secret", "-n", "kube-system", "kubeadm-certs", "-o", "name").orFail().out().strip())
                    .isEqualTo("secret/kubeadm-certs");

            // a node joins with the printed line (plus only what keeps it apart from other tests on this machine)
            List<String> agent = new ArrayList<>(List.of(nodeJoin.substring("kubeha ".length()).split(" ")));
            agent.addAll(List.of("--node-name", "joined", "--node-ip", "127.10.105.7", "--port", Integer.toString(Ports.free(loopback)),
                    "--data-dir", dir.resolve("agent").toString(), "--image-store", dir.resolve("images").toString()));
            start("agent", agent.toArray(String[]::new));
            await().atMost(Duration.ofSeconds(120)).untilAsserted(() -> assertThat(kubectl.run("get", "node", "joined", "-o",
                    "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}").out()).as(log("agent")).isEqualTo("True"));

            // a master joins with the printed line, plus its own data dir and address
            List<String> master = new ArrayList<>(List.of(masterJoin.substring("kubeha ".length()).split(" ")));
            Path m2 = dir.resolve("master2");
            master.addAll(List.of("--data-dir", m2.toString(), "--bind", "127.0.0.1:" + ports.get(1), "--disable-agent"));
            start("master2", master.toArray(String[]::new));
            Path m2Kubeconfig = Files.writeString(dir.resolve("m2.kubeconfig"), Files.readString(m1.resolve("admin.kubeconfig"))
                    .replace(base, "https://127.0.0.1:" + ports.get(1)));
            await().atMost(Duration.ofSeconds(90)).ignoreExceptions().untilAsserted(() -> assertThat(new Kubectl(Kubectl.DEFAULT, m2Kubeconfig)
                    .run("get", "--raw", "/readyz").out()).as(log("master2")).isEqualTo("ok"));
            assertThat(m2.resolve("pki").resolve("ca.crt")).hasSameTextualContentAs(m1.resolve("pki").resolve("ca.crt"));
            assertThat(server.isAlive()).isTrue();
        } finally {
            for (ChildJvm c : started) c.close();
            io.kubeha.testkit.Processes.killPodProcessesRecordedUnder(dir);
        }
    }

    @Test
    void initWithoutAStorePrintsNoJoinCommandsAndSaysHowToGetThem() throws Exception {
        int port = Ports.free(InetAddress.getLoopbackAddress());
        try (ChildJvm init = ChildJvm.start(Main.class, dir.resolve("init.log"), "server", "--init", "--data-dir",
                dir.resolve("m").toString(), "--bind", "127.0.0.1:" + port)) {
            assertThat(init.exitValue(Duration.ofSeconds(60))).isZero();
            assertThat(init.remainingLines(Duration.ofSeconds(5))).isEmpty();
        }
        assertThat(log("init")).contains("kubeha token create --print-join-command", "kubeha token create --control-plane");
        assertThat(dir.resolve("m").resolve("pki").resolve("ca.key")).exists();

        // an embedded store cannot be shared: only nodes join it
        try (ChildJvm init = ChildJvm.start(Main.class, dir.resolve("embedded.log"), "server", "--init", "--data-dir",
                dir.resolve("e").toString(), "--store", "embedded:" + dir.resolve("e").resolve("store"), "--bind", "127.0.0.1:" + port)) {
            assertThat(init.exitValue(Duration.ofSeconds(90))).as(log("embedded")).isZero();
            List<String> out = init.remainingLines(Duration.ofSeconds(5));
            assertThat(out).hasSize(1);
            assertThat(out.getFirst()).startsWith("kubeha agent --server https://127.0.0.1:" + port + " --token ");
        }
        assertThat(log("embedded")).contains("masters join only over a shared etcd store");
    }

    private ChildJvm start(String name, String... args) throws Exception {
        ChildJvm c = ChildJvm.start(Main.class, dir.resolve(name + ".log"), args);
        started.add(c);
        return c;
    }

    private static String word(String line, String flag) {
        List<String> words = List.of(line.split(" "));
        return words.get(words.indexOf(flag) + 1);
    }

    private String log(String name) throws java.io.IOException {
        Path f = dir.resolve(name + ".log");
        return Files.exists(f) ? Files.readString(f) : "";
    }
}
