package io.kubeha.cli;

import io.kubeha.testkit.ChildJvm;
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
 * kubeadm's TLS bootstrap, end to end with real processes: `kubeha token create --print-join-command`, then an agent
 * that knows only the server's address and the token joins, gets its own certificate (approved and signed by the
 * controller-manager), writes its Node as system:node:NAME and may not touch another node; a token past its TTL
 * joins nothing.
 */
class AgentJoinIT {
    private static final Path KUBECTL_131 = Path.of("/usr/lib/google-cloud-sdk/bin/kubectl.1.31");

    @TempDir
    Path dir;

    @Test
    void anAgentJoinsWithATokenAndIsOnlyItself() throws Exception {
        int port = Ports.free(InetAddress.getLoopbackAddress());
        Path data = dir.resolve("server");
        List<ChildJvm> started = new ArrayList<>();
        try (ChildJvm server = ChildJvm.start(Main.class, dir.resolve("server.log"), "server", "--disable-agent", "--data-dir", data.toString(),
                "--bind", "127.0.0.1:" + port, "--audit-log-path", dir.resolve("audit.log").toString())) {
            Path admin = data.resolve("admin.kubeconfig");
            await().atMost(Duration.ofSeconds(90)).ignoreExceptions().until(() -> Files.exists(admin)
                    && new Kubectl(Kubectl.DEFAULT, admin).run("get", "--raw", "/readyz").out().equals("ok"));
            Kubectl kubectl = new Kubectl(Kubectl.DEFAULT, admin);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(kubectl.run("get", "configmap", "-n", "kube-public",
                    "cluster-info", "-o", "jsonpath={.data.kubeconfig}").orFail().out()).contains("server: https://127.0.0.1:" + port));

            String join = tokenCommand(admin, "create", "--print-join-command", "--description", "for the test");
            assertThat(join).startsWith("kubeha agent --server https://127.0.0.1:" + port + " --token ").contains("--discovery-token-ca-cert-hash sha256:");
            String[] words = join.split(" ");
            String token = words[List.of(words).indexOf("--token") + 1];
            String hash = words[List.of(words).indexOf("--discovery-token-ca-cert-hash") + 1];
            assertThat(tokenCommand(admin, "list")).contains(token.substring(0, 6), "for the test", "authentication,signing");

            kubectl.run("""
                    {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "other"}}
                    """, Duration.ofSeconds(30), "apply", "-f", "-").orFail();
            Path agentData = dir.resolve("agent");
            ChildJvm agent = ChildJvm.start(Main.class, dir.resolve("agent.log"), "agent", "--server", "https://127.0.0.1:" + port,
                    "--token", token, "--discovery-token-ca-cert-hash", hash, "--node-name", "joined", "--node-ip", "127.10.103.99",
                    "--pod-cidr", "127.65.99.0/24", "--port", Integer.toString(Ports.free(InetAddress.getLoopbackAddress())),
                    "--data-dir", agentData.toString(), "--image-store", dir.resolve("images").toString());
            started.add(agent);
            await().atMost(Duration.ofSeconds(120)).untilAsserted(() -> {
                assertThat(agent.isAlive()).as(Files.readString(dir.resolve("agent.log"))).isTrue();
                assertThat(kubectl.run("get", "node", "joined", "-o", "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}").out())
                        .isEqualTo("True");
            });
            assertThat(kubectl.run("get", "csr").orFail().out()).contains("system:bootstrap:" + token.substring(0, 6), "Approved,Issued");

            // the agent is system:node:joined, and only that
            Path kubelet = agentData.resolve("kubelet.kubeconfig");
            assertThat(new Kubectl(KUBECTL_131, kubelet).run("auth", "whoami", "-o", "jsonpath={.status.userInfo.username} {.status.userInfo.groups}")
                    .orFail().out()).isEqualTo("system:node:joined [\"system:nodes\",\"system:authenticated\"]");
            Kubectl asNode = new Kubectl(Kubectl.DEFAULT, kubelet);
            assertThat(asNode.run("label", "node", "joined", "mine=yes").orFail().out()).contains("labeled");
            Kubectl.Result other = asNode.run("label", "node", "other", "theirs=yes");
            assertThat(other.exit()).isNotZero();
            assertThat(other.err()).contains("nodes \"other\" is forbidden: User \"system:node:joined\" cannot patch resource \"nodes\"");
            assertThat(asNode.run("get", "secrets", "-n", "kube-system").err()).contains("forbidden");
            assertThat(Files.readAllLines(dir.resolve("audit.log"))).anyMatch(l -> l.contains("\"username\":\"system:node:joined\"")
                    && l.contains("\"resource\":\"nodes\"") && l.contains("\"name\":\"joined\"") && l.contains("\"verb\":\"patch\"")
                    || l.contains("\"username\":\"system:node:joined\"") && l.contains("\"resource\":\"nodes\"") && l.contains("\"verb\":\"create\""));

            // a token past its TTL joins nothing, and says so
            String shortLived = tokenCommand(admin, "create", "--ttl", "1s");
            Thread.sleep(2_500);
            ChildJvm late = ChildJvm.start(Main.class, dir.resolve("late.log"), "agent", "--server", "https://127.0.0.1:" + port,
                    "--token", shortLived, "--node-name", "late", "--node-ip", "127.10.103.98", "--pod-cidr", "127.65.98.0/24",
                    "--port", Integer.toString(Ports.free(InetAddress.getLoopbackAddress())), "--data-dir", dir.resolve("late").toString(),
                    "--image-store", dir.resolve("images").toString());
            started.add(late);
            await().atMost(Duration.ofSeconds(60)).until(() -> !late.isAlive());
            assertThat(Files.readString(dir.resolve("late.log"))).containsAnyOf("expired", "no signature for token", "refused bootstrap token")
                    .doesNotContain("\tat ");
            assertThat(kubectl.run("get", "node", "late").exit()).isNotZero();
        } finally {
            for (ChildJvm c : started) c.close();
            // the agents' pods are processes of their own sessions: they outlive a killed agent
            io.kubeha.testkit.Processes.killPodProcessesRecordedUnder(dir);
        }
    }

    private String tokenCommand(Path admin, String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of("token"));
        all.add(args[0]);
        all.add("--kubeconfig");
        all.add(admin.toString());
        all.addAll(List.of(args).subList(1, args.length));
        try (ChildJvm c = ChildJvm.start(Main.class, dir.resolve("token.log"), all.toArray(String[]::new))) {
            List<String> out = c.remainingLines(Duration.ofSeconds(60));
            return String.join("\n", out).strip();
        }
    }
}
