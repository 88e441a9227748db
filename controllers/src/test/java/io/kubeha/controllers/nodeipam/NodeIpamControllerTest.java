package io.kubeha.controllers.nodeipam;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeha.controllers.ApiFixture;
import io.kubeha.controllers.ControllerManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The node IPAM controller in real controller-managers (leader-elected) against a real API server. */
class NodeIpamControllerTest {
    static final Duration LEASE = Duration.ofSeconds(3), RENEW = Duration.ofSeconds(2), RETRY = Duration.ofMillis(250);
    ApiFixture api;
    KubernetesClient client;

    @BeforeEach
    void setUp() throws Exception {
        api = new ApiFixture();
        client = api.client;
    }

    @AfterEach
    void tearDown() throws Exception {
        api.close();
    }

    ControllerManager manager(String identity, String clusterCidr, int mask) {
        return api.manager(ControllerManager.Config.defaults().withControllers(Set.of(NodeIpamController.NAME))
                .withTimings(LEASE, RENEW, RETRY).withIdentity(identity).withNodeIpam(new NodeIpamOptions(clusterCidr, mask)));
    }

    void node(String name, String podCidr) {
        NodeBuilder b = new NodeBuilder().withNewMetadata().withName(name).endMetadata();
        if (podCidr != null) b.withNewSpec().withPodCIDR(podCidr).withPodCIDRs(podCidr).endSpec();
        client.nodes().resource(b.build()).create();
    }

    String podCidr(String name) {
        Node n = client.nodes().withName(name).get();
        return n == null || n.getSpec() == null ? null : n.getSpec().getPodCIDR();
    }

    String awaitPodCidr(String name) {
        await().atMost(ApiFixture.WAIT).until(() -> podCidr(name) != null);
        Node n = client.nodes().withName(name).get();
        assertThat(n.getSpec().getPodCIDRs()).containsExactly(n.getSpec().getPodCIDR());
        return n.getSpec().getPodCIDR();
    }

    List<Event> events(String node, String reason) {
        return client.v1().events().inNamespace("default").list().getItems().stream()
                .filter(e -> node.equals(e.getInvolvedObject().getName()) && reason.equals(e.getReason())).toList();
    }

    @Test
    void nodesGetDistinctRangesAlsoAfterALeaderChangeAndADeletedNodesRangeIsGivenAgain() throws Exception {
        node("by-hand", "10.244.1.0/24"); // an agent started with --pod-cidr, inside the cluster CIDR
        node("elsewhere", "127.64.96.0/24"); // and one outside it
        ControllerManager a = manager("manager-a", "10.244.0.0/16", 24);
        node("n1", null);
        node("n2", null);
        node("n3", null);
        Map<String, String> given = new TreeMap<>();
        for (String n : List.of("n1", "n2", "n3")) given.put(n, awaitPodCidr(n));
        assertThat(given).containsExactlyInAnyOrderEntriesOf(Map.of("n1", "10.244.0.0/24", "n2", "10.244.2.0/24", "n3", "10.244.3.0/24"))
                .as("the lowest free, in the order the nodes came, skipping the one held by hand");
        assertThat(podCidr("by-hand")).isEqualTo("10.244.1.0/24");
        assertThat(podCidr("elsewhere")).isEqualTo("127.64.96.0/24");

        // leader change: a new manager (a new allocator, nothing in memory) must not give any of them again, also to
        // nodes that came while there was no leader and wait in its queue beside the nodes that hold ranges
        a.close();
        // (named to sort before the holders: the new leader's informer lists them, and queues them, first)
        for (int i = 4; i <= 9; i++) node("a" + i, null);
        ControllerManager b = manager("manager-b", "10.244.0.0/16", 24);
        await().atMost(ApiFixture.WAIT).until(b::isLeader);
        Set<String> second = new HashSet<>();
        for (int i = 4; i <= 9; i++) second.add(awaitPodCidr("a" + i));
        assertThat(second).containsExactlyInAnyOrder("10.244.4.0/24", "10.244.5.0/24", "10.244.6.0/24", "10.244.7.0/24",
                "10.244.8.0/24", "10.244.9.0/24");

        // a deleted node's range is free again: the next node gets it (the lowest free)
        client.nodes().withName("n2").delete();
        await().atMost(ApiFixture.WAIT).until(() -> client.nodes().withName("n2").get() == null);
        node("n10", null);
        assertThat(awaitPodCidr("n10")).isEqualTo("10.244.2.0/24");

        Set<String> all = new HashSet<>();
        for (Node n : client.nodes().list().getItems()) assertThat(all.add(n.getSpec().getPodCIDR())).as(n.getMetadata().getName()).isTrue();
        assertThat(all).hasSize(11);
        // nothing was reported: no overlaps, nothing exhausted
        assertThat(client.v1().events().inNamespace("default").list().getItems()).isEmpty();
    }

    @Test
    void exhaustedTheNodeGetsCidrNotAvailableAndItsRangeOnceOneIsFreed() {
        manager("manager-a", "127.64.0.0/23", 24);
        node("a", null);
        node("b", null);
        assertThat(awaitPodCidr("a")).isEqualTo("127.64.0.0/24");
        assertThat(awaitPodCidr("b")).isEqualTo("127.64.1.0/24");
        node("c", null);
        await().atMost(ApiFixture.WAIT).until(() -> !events("c", "CIDRNotAvailable").isEmpty());
        Event e = events("c", "CIDRNotAvailable").getFirst();
        assertThat(e.getType()).isEqualTo("Warning");
        assertThat(e.getMessage()).isEqualTo("Node c status is now: CIDRNotAvailable");
        assertThat(e.getSource().getComponent()).isEqualTo("cidrAllocator");
        assertThat(podCidr("c")).isNull();
        client.nodes().withName("a").delete();
        assertThat(awaitPodCidr("c")).isEqualTo("127.64.0.0/24");
    }

    @Test
    void twoNodesClaimingOneRangeAreReportedAndNothingElseIsDisturbed() {
        node("x", "10.244.0.0/24");
        node("y", "10.244.0.0/24"); // two agents given the same --pod-cidr
        manager("manager-a", "10.244.0.0/16", 24);
        await().atMost(ApiFixture.WAIT).until(() -> !events("x", "PodCIDRConflict").isEmpty() && !events("y", "PodCIDRConflict").isEmpty());
        assertThat(events("y", "PodCIDRConflict").getFirst().getMessage()).contains("10.244.0.0/24").contains("both keep them");
        node("z", null);
        assertThat(awaitPodCidr("z")).isEqualTo("10.244.1.0/24");
        // one of the two goes: the range stays used while the other holds it
        client.nodes().withName("x").delete();
        await().atMost(ApiFixture.WAIT).until(() -> client.nodes().withName("x").get() == null);
        node("w", null);
        assertThat(awaitPodCidr("w")).isEqualTo("10.244.2.0/24");
        assertThat(podCidr("y")).isEqualTo("10.244.0.0/24");
    }
}
