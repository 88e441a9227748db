package io.kubeha.agent;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeha.agent.pod.PodIps;
import io.kubeha.testkit.Ports;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * One agent standing for several simulated nodes (as KWOK does): every node registers Ready with its own pod CIDR
 * and Lease, pods bound to any of them turn Running and Ready with an address from that node's CIDR and no process,
 * pods bound to a node the agent is not stay untouched, and deleted pods go.
 */
class SimulatedNodesTest {
    static final Duration WAIT = Duration.ofSeconds(30);
    static final String NODE_IP = "127.10.103.97";

    @TempDir
    Path dir;
    ApiFixture api;
    KubernetesClient client;
    Agent agent;

    @BeforeEach
    void setUp() throws Exception {
        api = new ApiFixture();
        client = api.client();
        Agent.Config config = Agent.Config.defaults("sim", NODE_IP, dir.resolve("agent"), "10.0.0.0/16")
                .withLabels(Map.of("type", "kwok"))
                .withRuntime("simulated")
                .withPort(Ports.free(InetAddress.getByName(NODE_IP)))
                .withImageStore(dir.resolve("images"))
                .withHeartbeat(Duration.ofSeconds(40), Duration.ofSeconds(1), Duration.ofMinutes(5))
                .withSimulatedNodes(3);
        agent = new Agent(api.client(), config).start();
    }

    @AfterEach
    void tearDown() throws Exception {
        if (agent != null) agent.close();
        api.close();
    }

    private static Pod pod(String name, String node) {
        return new PodBuilder().withNewMetadata().withName(name).withNamespace("default").endMetadata()
                .withNewSpec().withNodeName(node).addNewContainer().withName("main").withImage("nginx:1.27").endContainer()
                .endSpec().build();
    }

    private static boolean ready(Pod p) {
        return p != null && p.getStatus() != null && p.getStatus().getConditions() != null
                && p.getStatus().getConditions().stream().anyMatch(c -> c.getType().equals("Ready") && c.getStatus().equals("True"));
    }

    @Test
    void everySimulatedNodeRegistersReadyWithItsOwnCidrAndLease() {
        List<Node> nodes = client.nodes().list().getItems();
        assertThat(nodes).extracting(n -> n.getMetadata().getName()).containsExactlyInAnyOrder("sim-0", "sim-1", "sim-2");
        Set<String> cidrs = new HashSet<>();
        for (Node n : nodes) {
            assertThat(n.getMetadata().getLabels()).containsEntry("type", "kwok")
                    .containsEntry("kubernetes.io/hostname", n.getMetadata().getName());
            assertThat(n.getStatus().getConditions()).anyMatch(c -> c.getType().equals("Ready") && c.getStatus().equals("True"));
            assertThat(n.getStatus().getAddresses()).anyMatch(a -> a.getType().equals("InternalIP") && a.getAddress().equals(NODE_IP));
            assertThat(n.getStatus().getNodeInfo().getContainerRuntimeVersion()).startsWith("kubeha-simulated://");
            cidrs.add(n.getSpec().getPodCIDR());
        }
        assertThat(cidrs).containsExactlyInAnyOrder("10.0.0.0/18", "10.0.64.0/18", "10.0.128.0/18");
        // the heartbeats go on for every node
        for (Node n : nodes) {
            String name = n.getMetadata().getName();
            Lease first = client.leases().inNamespace("kube-node-lease").withName(name).get();
            assertThat(first).as("lease of " + name).isNotNull();
            await().atMost(WAIT).until(() -> !client.leases().inNamespace("kube-node-lease").withName(name).get().getSpec().getRenewTime()
                    .equals(first.getSpec().getRenewTime()));
        }
    }

    @Test
    void podsOnEveryNodeTurnReadyWithAnAddressOfTheirNodeAndGoWhenDeleted() {
        for (int i = 0; i < 6; i++) client.pods().inNamespace("default").resource(pod("p" + i, "sim-" + (i % 3))).create();
        client.pods().inNamespace("default").resource(pod("elsewhere", "real-node")).create();
        await().atMost(WAIT).until(() -> client.pods().inNamespace("default").list().getItems().stream()
                .filter(p -> !p.getMetadata().getName().equals("elsewhere")).allMatch(SimulatedNodesTest::ready));
        Set<String> ips = new HashSet<>();
        for (int i = 0; i < 6; i++) {
            Pod p = client.pods().inNamespace("default").withName("p" + i).get();
            assertThat(p.getStatus().getPhase()).isEqualTo("Running");
            assertThat(p.getStatus().getHostIP()).isEqualTo(NODE_IP);
            assertThat(p.getStatus().getContainerStatuses().getFirst().getContainerID()).startsWith("simulated://");
            int third = Integer.parseInt(p.getStatus().getPodIP().split("\\.")[2]);
            assertThat(p.getStatus().getPodIP()).startsWith("10.0.");
            assertThat(third / 64).as("pod %s's IP %s is in its node's /18", p.getMetadata().getName(), p.getStatus().getPodIP())
                    .isEqualTo(i % 3);
            ips.add(p.getStatus().getPodIP());
        }
        assertThat(ips).hasSize(6);
        Pod elsewhere = client.pods().inNamespace("default").withName("elsewhere").get();
        assertThat(elsewhere.getStatus() == null || elsewhere.getStatus().getContainerStatuses() == null
                || elsewhere.getStatus().getContainerStatuses().isEmpty()).as("a pod of a node the agent is not: untouched").isTrue();

        client.pods().inNamespace("default").withName("p1").delete();
        await().atMost(WAIT).until(() -> client.pods().inNamespace("default").withName("p1").get() == null);
    }

    @Test
    void badSimulationSettingsAreClearErrors() {
        Agent.Config base = Agent.Config.defaults("sim", NODE_IP, dir, "10.0.0.0/24");
        assertThatThrownBy(() -> base.withSimulatedNodes(3)).hasMessageContaining("simulated runtime");
        assertThatThrownBy(() -> base.withRuntime("simulated").withSimulatedNodes(1000))
                .hasMessageContaining("too small for 1000 nodes");
        assertThat(base.withRuntime("simulated").withSimulatedNodes(2).nodeNames()).containsExactly("sim-0", "sim-1");
    }

    @Test
    void podIpsInMemoryGoRoundTheRangeAndNeverRepeatWhileInUse() throws Exception {
        PodIps ips = PodIps.inMemory("10.1.0.0/29"); // hosts .2 to .6 (.1 is the gateway)
        assertThat(ips.allocate("a")).isEqualTo("10.1.0.2");
        assertThat(ips.allocate("b")).isEqualTo("10.1.0.3");
        assertThat(ips.allocate("a")).isEqualTo("10.1.0.2");
        ips.release("a");
        assertThat(ips.allocate("c")).as("the next one, not the one just released").isEqualTo("10.1.0.4");
        assertThat(ips.allocate("d")).isEqualTo("10.1.0.5");
        assertThat(ips.allocate("e")).isEqualTo("10.1.0.6");
        assertThat(ips.allocate("f")).as("round again to the free one").isEqualTo("10.1.0.2");
        assertThatThrownBy(() -> ips.allocate("g")).hasMessageContaining("no free address");
        assertThat(dir.resolve("agent").resolve("pod-ips")).as("simulated nodes keep pod IPs in memory, no file per IP").doesNotExist();
    }
}
