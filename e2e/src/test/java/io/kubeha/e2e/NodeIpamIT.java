package io.kubeha.e2e;

import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.kubeha.testkit.ChildJvm;
import io.kubeha.testkit.Ports;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Node IPAM with real processes: {@code kubeha server} as started by hand (node IPAM on, its loopback cluster CIDR
 * 127.64.0.0/16 by default) and an agent started without {@code --pod-cidr}: the agent's Node gets the lowest range
 * no node holds (one is held by a Node registered with its own), and a pod the scheduler places there runs with an
 * address in that range.
 */
class NodeIpamIT {
    static final Duration WAIT = Duration.ofSeconds(90);
    static final String NODE_IP = "127.10.113.101";

    @TempDir
    Path dir;

    static final String POD_YAML = """
            apiVersion: v1
            kind: Pod
            metadata: {name: sleeper}
            spec:
              nodeSelector: {kubernetes.io/hostname: ipam1}
              terminationGracePeriodSeconds: 2
              containers:
              - name: c
                image: tools:1.0
                command: [sleep, "600"]
            """;

    @Test
    void anAgentWithoutAPodCidrGetsTheLowestFreeRangeAndItsPodAnAddressInIt() throws Exception {
        try (ProcessCluster c = ProcessCluster.start(dir)) {
            // a node of an agent started with --pod-cidr: its range is held, never given again
            c.client.nodes().resource(new NodeBuilder().withNewMetadata().withName("byhand").endMetadata()
                    .withNewSpec().withPodCIDR("127.64.0.0/24").endSpec().build()).create();
            Path data = Files.createDirectories(dir.resolve("ipam1"));
            ChildJvm agent = c.component("ipam1", "agent", "--node-name", "ipam1", "--node-ip", NODE_IP,
                    "--port", Integer.toString(Ports.free(InetAddress.getByName(NODE_IP))), "--data-dir", data.resolve("data").toString(),
                    "--image-store", data.resolve("images").toString(), "--container-restart-backoff", "1s");
            await().atMost(WAIT).untilAsserted(() -> {
                assertThat(agent.isAlive()).as(c.log("ipam1")).isTrue();
                assertThat(c.kubectl.run("get", "node", "ipam1", "-o", "jsonpath={.spec.podCIDR} {.status.conditions[?(@.type==\"Ready\")].status}")
                        .out()).as(c.log("ipam1")).isEqualTo("127.64.1.0/24 True");
            });
            assertThat(c.client.nodes().withName("ipam1").get().getSpec().getPodCIDRs()).containsExactly("127.64.1.0/24");
            assertThat(c.log("ipam1")).contains("pod CIDR 127.64.1.0/24 (the node's, from node IPAM)");

            // the default ServiceAccount comes from the controller-manager: apply until admission finds it
            await().atMost(WAIT).untilAsserted(() -> c.kubectl.run(POD_YAML, WAIT, "apply", "-f", "-").orFail());
            await().atMost(WAIT).untilAsserted(() -> {
                Pod p = c.client.pods().inNamespace("default").withName("sleeper").get();
                assertThat(p.getStatus().getPhase()).as(c.log("ipam1")).isEqualTo("Running");
                assertThat(p.getSpec().getNodeName()).isEqualTo("ipam1");
                assertThat(p.getStatus().getPodIP()).startsWith("127.64.1.");
            });
            c.client.pods().inNamespace("default").withName("sleeper").withGracePeriod(1).delete();
            await().atMost(WAIT).until(() -> c.client.pods().inNamespace("default").withName("sleeper").get() == null);
        }
    }
}
