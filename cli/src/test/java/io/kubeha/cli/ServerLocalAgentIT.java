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
 * {@code kubeha server} runs a node agent in its own process, as {@code k3s server} does: a newcomer's first
 * {@code kubectl create deployment} runs a pod on the one-process cluster. The node is this machine's hostname, at the
 * bind address, a kubelet ({@code system:node:NAME}) of its own API server; {@code --disable-agent} runs no node.
 */
class ServerLocalAgentIT {
    /** kubectl 1.32+ sends protobuf for create, which is not served yet. */
    private static final Path KUBECTL_131 = Path.of("/usr/lib/google-cloud-sdk/bin/kubectl.1.31");

    @TempDir
    Path dir;

    @Test
    void theServerRunsPodsOnItsOwnNode() throws Exception {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        List<Integer> ports = Ports.free(loopback, 2);
        Path data = dir.resolve("data");
        String hostname = Hosts.nodeName("--node-name");
        try (ChildJvm server = ChildJvm.start(Main.class, dir.resolve("server.log"), "server", "--data-dir", data.toString(),
                "--bind", "127.0.0.1:" + ports.get(0), "--agent-port", Integer.toString(ports.get(1)),
                "--image-store", dir.resolve("images").toString())) {
            Path kubeconfig = data.resolve("admin.kubeconfig");
            Kubectl kubectl = new Kubectl(Kubectl.DEFAULT, kubeconfig);
            await().atMost(Duration.ofSeconds(90)).ignoreExceptions().until(() -> Files.exists(kubeconfig)
                    && kubectl.run("get", "--raw", "/readyz").out().equals("ok"));
            // one node, this machine's, Ready, at the bind address with the agent's port
            await().atMost(Duration.ofSeconds(120)).untilAsserted(() -> {
                assertThat(server.isAlive()).as(log()).isTrue();
                assertThat(kubectl.run("get", "nodes", "-o", "jsonpath={range .items[*]}{.metadata.name} "
                        + "{.status.conditions[?(@.type==\"Ready\")].status}{\"\\n\"}{end}").orFail().out().strip())
                        .as(log()).isEqualTo(hostname + " True");
            });
            assertThat(kubectl.run("get", "node", hostname, "-o", "jsonpath={.status.addresses[?(@.type==\"InternalIP\")].address} "
                    + "{.status.daemonEndpoints.kubeletEndpoint.Port} {.spec.podCIDR}").orFail().out())
                    .isEqualTo("127.0.0.1 " + ports.get(1) + " 127.64.0.0/24");
            // the local agent is a kubelet of its own API server, and only that
            Path kubelet = data.resolve("agent").resolve("kubelet.kubeconfig");
            assertThat(kubelet).content().contains("server: https://127.0.0.1:" + ports.get(0));
            assertThat(new Kubectl(KUBECTL_131, kubelet).run("auth", "whoami", "-o",
                    "jsonpath={.status.userInfo.username} {.status.userInfo.groups}").orFail().out())
                    .isEqualTo("system:node:" + hostname + " [\"system:nodes\",\"system:authenticated\"]");
            assertThat(Files.readString(dir.resolve("server.log"))).contains("kubeha server: the local agent runs node " + hostname);

            // a newcomer's first deployment runs
            new Kubectl(KUBECTL_131, kubeconfig).run("create", "deployment", "web", "--image=busybox", "--", "sleep", "3600").orFail();
            await().atMost(Duration.ofSeconds(120)).untilAsserted(() -> assertThat(kubectl.run("get", "pods", "-l", "app=web", "-o",
                    "jsonpath={range .items[*]}{.spec.nodeName} {.status.phase} {.status.conditions[?(@.type==\"Ready\")].status}{end}")
                    .orFail().out()).as(log()).isEqualTo(hostname + " Running True"));
            assertThat(kubectl.run("rollout", "status", "deployment/web", "--timeout=60s").orFail().out()).contains("successfully rolled out");
            kubectl.run("delete", "deployment", "web", "--wait=false").orFail();
        } finally {
            // the agent's pods are processes of their own sessions: they outlive a killed server
            io.kubeha.testkit.Processes.killPodProcessesRecordedUnder(dir);
        }
    }

    @Test
    void disableAgentRunsNoNodeAndATakenAgentPortIsOneLine() throws Exception {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        List<Integer> ports = Ports.free(loopback, 2);
        Path data = dir.resolve("data");
        List<ChildJvm> started = new ArrayList<>();
        try (ChildJvm server = ChildJvm.start(Main.class, dir.resolve("server.log"), "server", "--disable-agent", "--data-dir",
                data.toString(), "--bind", "127.0.0.1:" + ports.get(0))) {
            Path kubeconfig = data.resolve("admin.kubeconfig");
            Kubectl kubectl = new Kubectl(Kubectl.DEFAULT, kubeconfig);
            await().atMost(Duration.ofSeconds(90)).ignoreExceptions().until(() -> Files.exists(kubeconfig)
                    && kubectl.run("get", "--raw", "/readyz").out().equals("ok"));
            await().atMost(Duration.ofSeconds(30)).until(() -> Files.readString(dir.resolve("server.log")).contains("no local agent"));
            assertThat(kubectl.run("get", "nodes", "-o", "name").orFail().out()).isEmpty();
            assertThat(data.resolve("agent")).doesNotExist();

            // the API server's own port is taken, so the second server's agent cannot have it: one line, before anything starts
            ChildJvm clash = ChildJvm.start(Main.class, dir.resolve("clash.log"), "server", "--data-dir", dir.resolve("clash").toString(),
                    "--bind", "127.0.0.1:" + ports.get(1), "--agent-port", Integer.toString(ports.get(0)));
            started.add(clash);
            assertThat(clash.exitValue(Duration.ofSeconds(60))).isEqualTo(2);
            assertThat(Files.readString(dir.resolve("clash.log")).strip())
                    .isEqualTo("kubeha: --agent-port: 127.0.0.1:" + ports.get(0) + " is in use (a kubelet or another kubeha agent?):"
                            + " give another --agent-port, or --disable-agent");
        } finally {
            for (ChildJvm c : started) c.close();
        }
    }

    private String log() throws java.io.IOException {
        return Files.readString(dir.resolve("server.log"));
    }
}
