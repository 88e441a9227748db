package io.kubeha.agent;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.kubeha.testkit.Ports;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * An agent without a pod CIDR of its own takes its Node's (node IPAM, played here by the test's patch): it registers
 * the Node not Ready, waits for spec.podCIDR, then runs pods in it; without one it gives up with one line. An agent
 * with --pod-cidr whose Node has another refuses, as the Node's range cannot change.
 */
class PodCidrFromNodeTest {
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
    }

    @AfterEach
    void tearDown() throws Exception {
        if (agent != null) {
            client.pods().inAnyNamespace().list().getItems().forEach(p -> client.pods().resource(p).withGracePeriod(1).delete());
            await().atMost(WAIT).until(() -> client.pods().inAnyNamespace().list().getItems().isEmpty());
            agent.close();
        }
        api.close();
        AgentTest.killLeftovers(dir);
    }

    Agent newAgent(String podCidr) throws Exception {
        return new Agent(api.client(), Agent.Config.defaults("node2", NODE_IP, dir.resolve("agent"), podCidr)
                .withPort(Ports.free(InetAddress.getByName(NODE_IP))).withImageStore(dir.resolve("images"))
                .withHeartbeat(Duration.ofSeconds(40), Duration.ofSeconds(1), Duration.ofMinutes(5)));
    }

    NodeCondition ready() {
        Node n = client.nodes().withName("node2").get();
        return n.getStatus().getConditions().stream().filter(c -> c.getType().equals("Ready")).findFirst().orElseThrow();
    }

    @Test
    void waitsNotReadyForItsNodesPodCidrThenRunsPodsInIt() throws Exception {
        Agent a = newAgent(null);
        CompletableFuture<Agent> started = CompletableFuture.supplyAsync(() -> {
            try {
                return a.start();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        await().atMost(WAIT).until(() -> "False".equals(ready().getStatus()));
        assertThat(ready().getReason()).isEqualTo("KubeletNotReady");
        assertThat(ready().getMessage()).contains("NetworkReady=false").contains("no pod CIDR");
        assertThat(client.nodes().withName("node2").get().getSpec().getPodCIDR()).isNull();
        Thread.sleep(1000);
        assertThat(started).isNotDone();

        client.nodes().withName("node2").patch(PatchContext.of(PatchType.JSON_MERGE),
                "{\"spec\":{\"podCIDR\":\"127.64.77.0/24\",\"podCIDRs\":[\"127.64.77.0/24\"]}}");
        agent = started.get(30, TimeUnit.SECONDS);
        assertThat(agent.podCidr()).isEqualTo("127.64.77.0/24");
        await().atMost(WAIT).until(() -> "True".equals(ready().getStatus()));

        client.pods().resource(new PodBuilder().withNewMetadata().withName("sleeper").withNamespace("default").endMetadata()
                .withNewSpec().withNodeName("node2").withTerminationGracePeriodSeconds(2L)
                .addNewContainer().withName("main").withImage("busybox").withCommand("sleep", "600").endContainer().endSpec().build()).create();
        await().atMost(WAIT).until(() -> {
            Pod p = client.pods().inNamespace("default").withName("sleeper").get();
            return p.getStatus() != null && "Running".equals(p.getStatus().getPhase());
        });
        assertThat(client.pods().inNamespace("default").withName("sleeper").get().getStatus().getPodIP()).startsWith("127.64.77.");
    }

    @Test
    void givesUpInOneLineWhenNoneComes() throws Exception {
        Agent a = newAgent(null).withPodCidrWait(Duration.ofSeconds(2));
        try {
            assertThatThrownBy(a::start).isInstanceOf(Agent.NoPodCidrException.class)
                    .hasMessageStartingWith("no pod CIDR: start the controller-manager with --cluster-cidr, or pass --pod-cidr");
        } finally {
            a.close();
        }
    }

    @Test
    void aPodCidrOfItsOwnIsSetOnAnExistingNodeWithoutOneAndRefusedOverAnother() throws Exception {
        client.nodes().resource(new NodeBuilder().withNewMetadata().withName("node2").endMetadata().build()).create();
        agent = newAgent("127.64.78.0/24").start();
        assertThat(client.nodes().withName("node2").get().getSpec().getPodCIDRs()).containsExactly("127.64.78.0/24");
        agent.close();
        agent = null;
        Agent other = newAgent("127.64.79.0/24");
        try {
            assertThatThrownBy(other::start).hasMessage("node node2 already has pod CIDR 127.64.78.0/24, which cannot change; --pod-cidr "
                    + "127.64.79.0/24 differs: leave --pod-cidr out to use 127.64.78.0/24, or delete the node first");
        } finally {
            other.close();
        }
        Agent again = newAgent(null);
        agent = again.start();
        assertThat(agent.podCidr()).isEqualTo("127.64.78.0/24");
    }

    @Test
    void simulatedNodesStillNeedAPodCidrToSlice() {
        assertThatThrownBy(() -> Agent.Config.defaults("sim", NODE_IP, dir, null).withRuntime("simulated").withSimulatedNodes(3))
                .hasMessageContaining("simulated nodes slice --pod-cidr");
    }
}
