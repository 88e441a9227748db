package io.kubeha.scheduler;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.Toleration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static io.kubeha.scheduler.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The plugins and the decision, on snapshots built in memory: no API server. */
class FrameworkTest {
    private final Framework framework = Framework.defaults(new Random(42));

    private static ClusterSnapshot snapshot(List<Node> nodes, List<Pod> bound) {
        List<NodeInfo> infos = new ArrayList<>();
        for (Node n : nodes) {
            NodeInfo info = new NodeInfo(n);
            for (Pod p : bound) if (n.getMetadata().getName().equals(p.getSpec().getNodeName())) info.add(p);
            infos.add(info);
        }
        return new ClusterSnapshot(infos, List.of());
    }

    private Framework.Result schedule(Pod pod, List<Node> nodes, List<Pod> bound) {
        return framework.schedule(pod, snapshot(nodes, bound));
    }

    private static Pod withOwner(PodBuilder b, String uid) {
        return b.editMetadata().addNewOwnerReference().withApiVersion("apps/v1").withKind("ReplicaSet").withName("rs")
                .withUid(uid).withController(true).endOwnerReference().endMetadata().build();
    }

    @Test
    void twelvePodsOfOneOwnerWithNodeSelectorSpreadSixAndSixOverTheWorkers() {
        List<Pod> placed = new ArrayList<>();
        Map<String, Integer> perNode = new HashMap<>();
        for (int i = 0; i < 12; i++) {
            Pod pod = withOwner(pod("app-" + i).editSpec().withNodeSelector(Map.of(ROLE, "node")).endSpec(), "rs-uid");
            var result = schedule(pod, seedNodes(), placed);
            assertThat(result).isInstanceOf(Framework.Result.Fit.class);
            String node = ((Framework.Result.Fit) result).node();
            placed.add(bound(pod, node));
            perNode.merge(node, 1, Integer::sum);
        }
        assertThat(perNode).containsOnly(Map.entry("node1", 6), Map.entry("node2", 6));
    }

    @Test
    void legacyAlphaAffinityAnnotationPlacesOnAMaster() {
        Pod pod = pod("kube-discovery").editMetadata().addToAnnotations(Affinities.LEGACY_ANNOTATION, LEGACY_MASTER_AFFINITY).endMetadata()
                .editSpec().addNewToleration().withKey("node-role.kubernetes.io/control-plane").withOperator("Exists").endToleration().endSpec()
                .build();
        for (int i = 0; i < 20; i++) {
            var result = schedule(pod, seedNodes(), List.of());
            assertThat(((Framework.Result.Fit) result).node()).startsWith("master");
        }
    }

    @Test
    void legacyAnnotationWithoutTolerationFitsNowhereAndSaysWhyPerNode() {
        Pod pod = pod("kube-discovery").editMetadata().addToAnnotations(Affinities.LEGACY_ANNOTATION, LEGACY_MASTER_AFFINITY).endMetadata().build();
        var result = (Framework.Result.NoFit) schedule(pod, seedNodes(), List.of());
        assertThat(result.message()).isEqualTo("0/5 nodes are available: 2 node(s) didn't match Pod's node affinity/selector, "
                + "3 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. "
                + "preemption: 0/5 nodes are available: 5 Preemption is not helpful for scheduling.");
    }

    @Test
    void insufficientResourcesAreCountedPerResourceAndPreemptionFindsNoVictims() {
        // a node fails at its first failing filter, in kube-scheduler's order: the masters' taint comes before the selector
        Pod pod = podRequesting("big", "5", "1Gi").editSpec().withNodeSelector(Map.of(ROLE, "node")).endSpec().build();
        var result = (Framework.Result.NoFit) schedule(pod, seedNodes(), List.of());
        assertThat(result.message()).isEqualTo("0/5 nodes are available: 2 Insufficient cpu, 3 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. "
                + "preemption: 0/5 nodes are available: 2 No preemption victims found for incoming pod, 3 Preemption is not helpful for scheduling.");
    }

    @Test
    void requestsOfPodsAlreadyOnTheNodeCount() {
        List<Node> nodes = List.of(worker("node1"), worker("node2"));
        List<Pod> bound = List.of(bound(podRequesting("a", "3", "1Gi").build(), "node1"), bound(podRequesting("b", "1", "7Gi").build(), "node2"));
        var fit = (Framework.Result.Fit) schedule(podRequesting("p", "1", "1Gi").build(), nodes, bound);
        assertThat(fit.node()).isEqualTo("node1");
        var noFit = (Framework.Result.NoFit) schedule(podRequesting("q", "2", "2Gi").build(), nodes, bound);
        assertThat(noFit.message()).startsWith("0/2 nodes are available: 1 Insufficient cpu, 1 Insufficient memory.");
    }

    @Test
    void podCountAgainstAllocatablePods() {
        Node small = node("tiny", Map.of()).editStatus().addToAllocatable("pods", new Quantity("1")).endStatus().build();
        var result = (Framework.Result.NoFit) schedule(pod("p").build(), List.of(small), List.of(bound(pod("q").build(), "tiny")));
        assertThat(result.message()).startsWith("0/1 nodes are available: 1 Too many pods.");
    }

    @Test
    void taintsAndTolerations() {
        Node tainted = node("n", Map.of()).editSpec().withTaints(new Taint("NoExecute", "dedicated", null, "db")).endSpec().build();
        assertThat(schedule(pod("p").build(), List.of(tainted), List.of())).isInstanceOf(Framework.Result.NoFit.class);
        assertThat(((Framework.Result.NoFit) schedule(pod("p").build(), List.of(tainted), List.of())).message())
                .startsWith("0/1 nodes are available: 1 node(s) had untolerated taint {dedicated: db}.");
        Pod equal = pod("p").editSpec().withTolerations(new Toleration("NoExecute", "dedicated", "Equal", null, "db")).endSpec().build();
        assertThat(schedule(equal, List.of(tainted), List.of())).isInstanceOf(Framework.Result.Fit.class);
        Pod wrongValue = pod("p").editSpec().withTolerations(new Toleration(null, "dedicated", "Equal", null, "web")).endSpec().build();
        assertThat(schedule(wrongValue, List.of(tainted), List.of())).isInstanceOf(Framework.Result.NoFit.class);
        Pod wrongEffect = pod("p").editSpec().withTolerations(new Toleration("NoSchedule", "dedicated", "Exists", null, null)).endSpec().build();
        assertThat(schedule(wrongEffect, List.of(tainted), List.of())).isInstanceOf(Framework.Result.NoFit.class);
        Pod everything = pod("p").editSpec().withTolerations(new Toleration(null, null, "Exists", null, null)).endSpec().build();
        assertThat(schedule(everything, List.of(tainted), List.of())).isInstanceOf(Framework.Result.Fit.class);
        Node preferNo = node("n", Map.of()).editSpec().withTaints(new Taint("PreferNoSchedule", "soft", null, null)).endSpec().build();
        assertThat(schedule(pod("p").build(), List.of(preferNo), List.of())).isInstanceOf(Framework.Result.Fit.class);
    }

    @Test
    void unschedulableAndNotReadyNodesAreSkipped() {
        Node cordoned = node("cordoned", Map.of()).editSpec().withUnschedulable(true).endSpec().build();
        Node notReady = node("down", Map.of()).editStatus().editFirstCondition().withStatus("Unknown").endCondition().endStatus().build();
        List<Node> nodes = List.of(cordoned, notReady, worker("up"));
        for (int i = 0; i < 10; i++) {
            assertThat(((Framework.Result.Fit) schedule(pod("p").build(), nodes, List.of())).node()).isEqualTo("up");
        }
        var noFit = (Framework.Result.NoFit) schedule(pod("p").build(), List.of(cordoned, notReady), List.of());
        assertThat(noFit.message()).isEqualTo("0/2 nodes are available: 1 node(s) were not ready, 1 node(s) were unschedulable. "
                + "preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.");
        Pod tolerating = pod("p").editSpec().withTolerations(new Toleration("NoSchedule", "node.kubernetes.io/unschedulable", "Exists", null, null)).endSpec().build();
        assertThat(((Framework.Result.Fit) schedule(tolerating, List.of(cordoned, notReady), List.of())).node()).isEqualTo("cordoned");
    }

    @Test
    void nodeNameAndHostPorts() {
        List<Node> nodes = List.of(worker("node1"), worker("node2"));
        Pod named = pod("p").editSpec().withNodeName("node2").endSpec().build();
        // a pod naming a node is never pending in practice; the filter still holds
        assertThat(((Framework.Result.Fit) framework.schedule(named, snapshot(nodes, List.of()))).node()).isEqualTo("node2");
        Pod web = pod("web").editSpec().editFirstContainer().addNewPort().withContainerPort(80).withHostPort(8080).endPort().endContainer().endSpec().build();
        var onNode1 = bound(web, "node1");
        for (int i = 0; i < 10; i++) {
            assertThat(((Framework.Result.Fit) schedule(web, nodes, List.of(onNode1))).node()).isEqualTo("node2");
        }
        var noFit = (Framework.Result.NoFit) schedule(web, nodes, List.of(onNode1, bound(web, "node2")));
        assertThat(noFit.message()).startsWith("0/2 nodes are available: 2 node(s) didn't have free ports for the requested pod ports.");
        Pod udp = pod("dns").editSpec().editFirstContainer().addNewPort().withContainerPort(53).withHostPort(8080).withProtocol("UDP").endPort().endContainer().endSpec().build();
        assertThat(schedule(udp, nodes, List.of(onNode1, bound(web, "node2")))).isInstanceOf(Framework.Result.Fit.class);
    }

    @ParameterizedTest
    @CsvSource({
            "In, zone, a;b, true", "In, zone, c, false", "NotIn, zone, c, true", "NotIn, zone, a, false",
            "Exists, zone, '', true", "Exists, rack, '', false", "DoesNotExist, rack, '', true", "DoesNotExist, zone, '', false",
            "Gt, cores, 8, true", "Gt, cores, 16, false", "Lt, cores, 32, true", "Lt, cores, 16, false", "Gt, zone, 1, false"})
    void nodeSelectorOperators(String op, String key, String values, boolean matches) {
        var r = new NodeSelectorRequirement(key, op, values.isEmpty() ? List.of() : List.of(values.split(";")));
        assertThat(Affinities.matches(r, Map.of("zone", "a", "cores", "16"))).isEqualTo(matches);
    }

    @Test
    void requiredAffinityInSpecAndPreferredAffinityScores() {
        List<Node> nodes = List.of(node("a", Map.of("disk", "ssd", "zone", "1")).build(), node("b", Map.of("disk", "hdd", "zone", "1")).build(),
                node("c", Map.of("zone", "2")).build());
        Pod pod = pod("p").editSpec().withNewAffinity().withNewNodeAffinity()
                .withNewRequiredDuringSchedulingIgnoredDuringExecution().addNewNodeSelectorTerm()
                .addNewMatchExpression().withKey("zone").withOperator("In").withValues("1").endMatchExpression()
                .endNodeSelectorTerm().endRequiredDuringSchedulingIgnoredDuringExecution()
                .addNewPreferredDuringSchedulingIgnoredDuringExecution().withWeight(50).withNewPreference()
                .addNewMatchExpression().withKey("disk").withOperator("In").withValues("ssd").endMatchExpression()
                .endPreference().endPreferredDuringSchedulingIgnoredDuringExecution()
                .endNodeAffinity().endAffinity().endSpec().build();
        for (int i = 0; i < 10; i++) {
            assertThat(((Framework.Result.Fit) schedule(pod, nodes, List.of())).node()).isEqualTo("a");
        }
    }

    @Test
    void tiesAreBrokenAtRandom() {
        List<Node> nodes = List.of(worker("node1"), worker("node2"), worker("node3"));
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < 60; i++) seen.merge(((Framework.Result.Fit) schedule(pod("p").build(), nodes, List.of())).node(), 1, Integer::sum);
        assertThat(seen).containsOnlyKeys("node1", "node2", "node3");
    }

    @Test
    void requestsAreTheSumOfContainersOrTheLargestInitContainer() {
        Pod pod = podRequesting("p", "250m", "64Mi").editSpec()
                .addNewContainer().withName("side").withImage("i").withNewResources().withRequests(Map.of("cpu", new Quantity("0.5"))).endResources().endContainer()
                .addNewInitContainer().withName("init").withImage("i").withNewResources()
                .withRequests(Map.of("cpu", new Quantity("100m"), "memory", new Quantity("1Gi"))).endResources().endInitContainer()
                .endSpec().build();
        assertThat(Resources.requests(pod)).isEqualTo(new Resources.Requests(750, 1024L * 1024 * 1024));
        // for scoring, a container without requests counts as 100m and 200Mi
        assertThat(Resources.nonZeroRequests(pod("q").build())).isEqualTo(new Resources.Requests(100, 200L * 1024 * 1024));
    }

    @Test
    void anUnparsableLegacyAnnotationIsIgnored() {
        Pod pod = pod("p").editMetadata().addToAnnotations(Affinities.LEGACY_ANNOTATION, "{not json").endMetadata().build();
        assertThat(schedule(pod, List.of(worker("node1")), List.of())).isInstanceOf(Framework.Result.Fit.class);
    }

    @Test
    void specAffinityAndLegacyAnnotationMustBothHold() {
        Pod pod = pod("p").editMetadata().addToAnnotations(Affinities.LEGACY_ANNOTATION, LEGACY_MASTER_AFFINITY).endMetadata()
                .editSpec().withNodeSelector(Map.of(ROLE, "node")).endSpec().build();
        var noFit = (Framework.Result.NoFit) schedule(pod, List.of(worker("node1"), node("m", Map.of(ROLE, "master")).build()), List.of());
        assertThat(noFit.message()).startsWith("0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector.");
    }

    @Test
    void noNodesAtAll() {
        var noFit = (Framework.Result.NoFit) schedule(pod("p").build(), List.of(), List.of());
        assertThat(noFit.message()).isEqualTo("no nodes available to schedule pods");
    }

    @Test
    void pluginsAreRegisteredByName() {
        assertThat(Framework.REGISTRY).containsKeys("NodeName", "NodeUnschedulable", "NodeSelector", "NodeAffinity", "TaintToleration",
                "NodeResourcesFit", "NodePorts");
        assertThatThrownBy(() -> Framework.of(List.of("NoSuchPlugin"), Map.of(), new Random())).hasMessageContaining("unknown plugin NoSuchPlugin");
        assertThatThrownBy(() -> Framework.of(List.of(), Map.of("NodePorts", 1), new Random())).hasMessageContaining("not a score plugin");
    }

}
