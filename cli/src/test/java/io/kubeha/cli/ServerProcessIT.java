package io.kubeha.cli;

import io.kubeha.testkit.ChildJvm;
import io.kubeha.testkit.Kubectl;
import io.kubeha.testkit.Ports;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code kubeha server} as a real process, as the README's first command starts it: it writes the admin
 * kubeconfig, kubectl works with it as it is, and the scheduler and controller-manager running beside the API
 * server place a ReplicaSet's pods on the seed's worker nodes, spread evenly.
 */
class ServerProcessIT {
    @TempDir
    Path dir;

    @Test
    void serverRunsTheControlPlaneAndKubectlDrivesIt() throws Exception {
        int port = Ports.free(InetAddress.getLoopbackAddress());
        Path data = dir.resolve("data");
        try (ChildJvm server = ChildJvm.start(Main.class, dir.resolve("server.log"), "server", "--disable-agent", "--data-dir", data.toString(),
                "--bind", "127.0.0.1:" + port)) {
            Path kubeconfig = data.resolve("admin.kubeconfig");
            // HTTPS only: kubectl trusts the CA the admin kubeconfig embeds and shows the admin's certificate
            await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> Files.exists(kubeconfig)
                    && new Kubectl(Kubectl.DEFAULT, kubeconfig).run("get", "--raw", "/readyz").out().equals("ok"));
            assertThat(kubeconfig).content().contains("server: https://127.0.0.1:" + port, "client-certificate-data");
            Kubectl kubectl = new Kubectl(Kubectl.DEFAULT, kubeconfig);
            assertThat(new Kubectl(java.nio.file.Path.of("/usr/lib/google-cloud-sdk/bin/kubectl.1.31"), kubeconfig).run("auth", "whoami", "-o", "jsonpath={.status.userInfo.username} {.status.userInfo.groups}").orFail().out())
                    .isEqualTo("kubernetes-admin [\"system:masters\",\"system:authenticated\"]");
            assertThat(kubectl.run("get", "namespaces").orFail().out()).contains("default", "kube-system", "kube-node-lease");

            kubectl.run("""
                    apiVersion: v1
                    kind: List
                    items:
                    - {apiVersion: v1, kind: Node, metadata: {name: master1, labels: {kubeadm.alpha.kubernetes.io/role: master}}, status: {allocatable: {cpu: "4", memory: 8Gi, pods: "110"}, conditions: [{type: Ready, status: "True"}]}}
                    - {apiVersion: v1, kind: Node, metadata: {name: node1, labels: {kubeadm.alpha.kubernetes.io/role: node}}, status: {allocatable: {cpu: "4", memory: 8Gi, pods: "110"}, conditions: [{type: Ready, status: "True"}]}}
                    - {apiVersion: v1, kind: Node, metadata: {name: node2, labels: {kubeadm.alpha.kubernetes.io/role: node}}, status: {allocatable: {cpu: "4", memory: 8Gi, pods: "110"}, conditions: [{type: Ready, status: "True"}]}}
                    - apiVersion: apps/v1
                      kind: ReplicaSet
                      metadata: {name: logapi}
                      spec:
                        replicas: 12
                        selector: {matchLabels: {app: logapi}}
                        template:
                          metadata: {labels: {app: logapi}}
                          spec: {nodeSelector: {kubeadm.alpha.kubernetes.io/role: node}, containers: [{name: logapi, image: "logapi:1.0"}]}
                    """, Duration.ofSeconds(60), "apply", "-f", "-").orFail();

            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                String nodes = kubectl.run("get", "pods", "-l", "app=logapi", "-o", "jsonpath={range .items[*]}{.spec.nodeName}{\"\\n\"}{end}")
                        .orFail().out();
                assertThat(nodes.lines().filter(n -> n.equals("node1")).count()).isEqualTo(6);
                assertThat(nodes.lines().filter(n -> n.equals("node2")).count()).isEqualTo(6);
            });
            assertThat(kubectl.run("get", "serviceaccount", "default").orFail().out()).contains("default");
            assertThat(kubectl.run("get", "lease", "-n", "kube-system").orFail().out()).contains("kube-controller-manager", "kube-scheduler");
            // the controller-manager and scheduler inside the server act as their own users, allowed by the bootstrap policy
            assertThat(kubectl.run("get", "lease", "-n", "kube-system", "kube-scheduler", "-o", "jsonpath={.spec.holderIdentity}").orFail().out())
                    .isNotEmpty();
            assertThat(new Kubectl(java.nio.file.Path.of("/usr/lib/google-cloud-sdk/bin/kubectl.1.31"), kubeconfig).run("auth", "can-i", "delete", "pods", "--as", "system:kube-scheduler").out().strip()).isEqualTo("yes");
            assertThat(new Kubectl(java.nio.file.Path.of("/usr/lib/google-cloud-sdk/bin/kubectl.1.31"), kubeconfig).run("auth", "can-i", "delete", "secrets", "--as", "system:kube-scheduler").out().strip()).isEqualTo("no");
            // the aggregated roles get their rules written in, as kube's clusterrole-aggregation controller does
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(kubectl.run("get", "clusterrole", "view", "-o",
                    "jsonpath={.rules[*].resources}").orFail().out()).contains("pods", "configmaps").doesNotContain("secrets"));
            assertThat(server.isAlive()).as(Files.readString(dir.resolve("server.log"))).isTrue();
        }
    }
}
