package io.kubeha.controllers.daemonset;

import io.kubeha.controllers.OwnerRefs;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.kubeha.controllers.ApiFixture;
import io.kubeha.testkit.Kubectl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static io.kubeha.controllers.daemonset.Cluster.NS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Placement of daemon pods on the seed's nodes, and what happens when nodes change. */
class DaemonSetControllerTest {
    Cluster cluster;

    @BeforeEach
    void setUp() throws Exception {
        cluster = new Cluster();
        cluster.seedNodes();
    }

    @AfterEach
    void tearDown() throws Exception {
        cluster.close();
    }

    private Map<String, String> awaitPlacement(DaemonSet ds, Map<String, String> expected) {
        await().atMost(ApiFixture.WAIT).untilAsserted(() -> assertThat(cluster.readyPodsByNode(ds)).isEqualTo(expected));
        return expected;
    }

    @Test
    void seedPlacementOnePodOnEachMasterAndKubectlShowsIt() throws Exception {
        DaemonSet ds = cluster.create(Cluster.daemonSet("kube-proxy", Map.of("role", "master")).build());
        awaitPlacement(ds, Map.of("master1", "agent:1", "master2", "agent:1", "master3", "agent:1"));
        await().atMost(ApiFixture.WAIT).until(() -> cluster.statusIs("kube-proxy", s -> s.getNumberAvailable() == 3));

        List<Pod> pods = cluster.pods(ds);
        assertThat(pods).hasSize(3);
        String hash = null;
        for (Pod p : pods) {
            assertThat(p.getMetadata().getName()).startsWith("kube-proxy-");
            var ref = OwnerRefs.controllerOf(p);
            assertThat(ref.getKind()).isEqualTo("DaemonSet");
            assertThat(ref.getApiVersion()).isEqualTo("apps/v1");
            assertThat(ref.getBlockOwnerDeletion()).isTrue();
            assertThat(p.getMetadata().getLabels()).containsEntry("app", "kube-proxy").containsEntry("pod-template-generation", "1")
                    .containsKey("controller-revision-hash");
            hash = p.getMetadata().getLabels().get("controller-revision-hash");
            // placed by the scheduler through the required node affinity Kubernetes sets, not by nodeName
            var terms = p.getSpec().getAffinity().getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution().getNodeSelectorTerms();
            assertThat(terms).hasSize(1);
            assertThat(terms.getFirst().getMatchFields().getFirst().getKey()).isEqualTo("metadata.name");
            assertThat(terms.getFirst().getMatchFields().getFirst().getValues()).containsExactly(p.getSpec().getNodeName());
            assertThat(p.getSpec().getTolerations()).extracting(Toleration::getKey, Toleration::getEffect, Toleration::getTolerationSeconds)
                    .contains(org.assertj.core.groups.Tuple.tuple("node.kubernetes.io/not-ready", "NoExecute", null),
                            org.assertj.core.groups.Tuple.tuple("node.kubernetes.io/unreachable", "NoExecute", null),
                            org.assertj.core.groups.Tuple.tuple("node.kubernetes.io/unschedulable", "NoSchedule", null),
                            org.assertj.core.groups.Tuple.tuple("node.kubernetes.io/disk-pressure", "NoSchedule", null),
                            org.assertj.core.groups.Tuple.tuple("node.kubernetes.io/memory-pressure", "NoSchedule", null),
                            org.assertj.core.groups.Tuple.tuple("node.kubernetes.io/pid-pressure", "NoSchedule", null));
        }
        assertThat(pods).allSatisfy(p -> assertThat(p.getMetadata().getLabels()).containsKey("controller-revision-hash"));
        var revisions = cluster.client.apps().controllerRevisions().inNamespace(NS).list().getItems();
        assertThat(revisions).hasSize(1);
        assertThat(revisions.getFirst().getMetadata().getName()).isEqualTo("kube-proxy-" + hash);
        assertThat(revisions.getFirst().getRevision()).isEqualTo(1L);

        Kubectl kubectl = cluster.kubectl();
        String out = kubectl.run("get", "ds", "-n", NS).orFail().out();
        String[] lines = out.strip().split("\n");
        assertThat(lines[0].split("\\s+")).containsExactly("NAME", "DESIRED", "CURRENT", "READY", "UP-TO-DATE", "AVAILABLE", "NODE", "SELECTOR", "AGE");
        assertThat(List.of(lines[1].split("\\s+")).subList(0, 7)).containsExactly("kube-proxy", "3", "3", "3", "3", "3", "role=master");

        List<Event> created = cluster.client.v1().events().inNamespace(NS).list().getItems().stream()
                .filter(e -> "SuccessfulCreate".equals(e.getReason()) && "kube-proxy".equals(e.getInvolvedObject().getName())).toList();
        await().atMost(ApiFixture.WAIT).untilAsserted(() -> assertThat(cluster.client.v1().events().inNamespace(NS).list().getItems().stream()
                .filter(e -> "SuccessfulCreate".equals(e.getReason()) && "DaemonSet".equals(e.getInvolvedObject().getKind()))
                .map(Event::getMessage).collect(Collectors.toSet()))
                .isEqualTo(pods.stream().map(p -> "Created pod: " + p.getMetadata().getName()).collect(Collectors.toSet())));
        assertThat(created).allSatisfy(e -> assertThat(e.getType()).isEqualTo("Normal"));
    }

    @Test
    void nodesJoiningChangingAndCordonedAreFollowed() {
        DaemonSet ds = cluster.create(Cluster.daemonSet("agent", Map.of("role", "master")).build());
        awaitPlacement(ds, Map.of("master1", "agent:1", "master2", "agent:1", "master3", "agent:1"));

        // a fourth master joins: it gets its pod
        cluster.node("master4", Map.of("role", "master"));
        awaitPlacement(ds, Map.of("master1", "agent:1", "master2", "agent:1", "master3", "agent:1", "master4", "agent:1"));

        // master1 is relabelled: its pod goes
        cluster.client.nodes().withName("master1").edit(n -> new NodeBuilder(n).editMetadata().addToLabels("role", "node").endMetadata().build());
        awaitPlacement(ds, Map.of("master2", "agent:1", "master3", "agent:1", "master4", "agent:1"));

        // a NoSchedule taint keeps a running pod; a NoExecute taint the template does not tolerate evicts it
        taint("master2", new Taint("NoSchedule", "dedicated", null, "db"));
        taint("master4", new Taint("NoExecute", "dedicated", null, "db"));
        awaitPlacement(ds, Map.of("master2", "agent:1", "master3", "agent:1"));
        await().atMost(ApiFixture.WAIT).until(() -> cluster.statusIs("agent", s -> s.getDesiredNumberScheduled() == 1
                && s.getCurrentNumberScheduled() == 1 && s.getNumberMisscheduled() == 1 && s.getNumberAvailable() == 1));

        // a cordoned master still runs its daemon pod: delete it and the replacement lands there again
        cluster.client.nodes().withName("master3").edit(n -> new NodeBuilder(n).editSpec().withUnschedulable(true).endSpec().build());
        Pod onMaster3 = cluster.pods(ds).stream().filter(p -> "master3".equals(p.getSpec().getNodeName())).findFirst().orElseThrow();
        cluster.client.pods().inNamespace(NS).resource(onMaster3).delete();
        await().atMost(ApiFixture.WAIT).untilAsserted(() -> assertThat(cluster.pods(ds)).anySatisfy(p -> {
            assertThat(p.getMetadata().getUid()).isNotEqualTo(onMaster3.getMetadata().getUid());
            assertThat(p.getSpec().getNodeName()).isEqualTo("master3");
        }));
        awaitPlacement(ds, Map.of("master2", "agent:1", "master3", "agent:1"));
        assertThat(cluster.client.v1().events().inNamespace(NS).list().getItems())
                .anySatisfy(e -> {
                    assertThat(e.getReason()).isEqualTo("SuccessfulDelete");
                    assertThat(e.getMessage()).startsWith("Deleted pod: agent-");
                });
    }

    @Test
    void failedPodsAreReplacedAndSurplusPodsRemoved() {
        DaemonSet ds = cluster.create(Cluster.daemonSet("agent", Map.of("role", "node")).build());
        awaitPlacement(ds, Map.of("node1", "agent:1", "node2", "agent:1"));
        Pod victim = cluster.pods(ds).stream().filter(p -> "node1".equals(p.getSpec().getNodeName())).findFirst().orElseThrow();

        // the kubelet reports the pod Failed: it is deleted and a new one runs there
        cluster.failing.add(victim.getMetadata().getName());
        cluster.client.pods().inNamespace(NS).withName(victim.getMetadata().getName())
                .edit(p -> { p.getMetadata().setAnnotations(Map.of("poke", "1")); return p; });
        await().atMost(ApiFixture.WAIT).untilAsserted(() -> assertThat(cluster.client.v1().events().inNamespace(NS).list().getItems())
                .anySatisfy(e -> {
                    assertThat(e.getReason()).isEqualTo("FailedDaemonPod");
                    assertThat(e.getType()).isEqualTo("Warning");
                    assertThat(e.getMessage()).isEqualTo("Found failed daemon pod " + NS + "/" + victim.getMetadata().getName()
                            + " on node node1, will try to kill it");
                }));
        await().atMost(ApiFixture.WAIT).untilAsserted(() -> {
            assertThat(cluster.readyPodsByNode(ds)).isEqualTo(Map.of("node1", "agent:1", "node2", "agent:1"));
            assertThat(cluster.pods(ds)).noneMatch(p -> p.getMetadata().getName().equals(victim.getMetadata().getName()));
        });

        // an orphan that matches the selector on node2 is adopted, and one of the two there goes (the newer)
        Pod orphan = cluster.client.pods().inNamespace(NS).resource(new io.fabric8.kubernetes.api.model.PodBuilder()
                .withNewMetadata().withName("stray").withLabels(Map.of("app", "agent")).endMetadata()
                .withNewSpec().withNodeName("node2").addNewContainer().withName("agent").withImage("agent:1").endContainer().endSpec()
                .build()).create();
        await().atMost(ApiFixture.WAIT).untilAsserted(() -> {
            assertThat(cluster.readyPodsByNode(ds)).isEqualTo(Map.of("node1", "agent:1", "node2", "agent:1"));
            assertThat(cluster.client.pods().inNamespace(NS).withName(orphan.getMetadata().getName()).get()).isNull();
        });

        // a pod relabelled out of the selector is released (it stays, without the owner) and replaced on its node
        Pod leaving = cluster.pods(ds).stream().filter(p -> "node2".equals(p.getSpec().getNodeName())).findFirst().orElseThrow();
        cluster.client.pods().inNamespace(NS).withName(leaving.getMetadata().getName())
                .edit(p -> { p.getMetadata().setLabels(Map.of("app", "debugging")); return p; });
        await().atMost(ApiFixture.WAIT).untilAsserted(() -> {
            assertThat(cluster.readyPodsByNode(ds)).isEqualTo(Map.of("node1", "agent:1", "node2", "agent:1"));
            Pod released = cluster.client.pods().inNamespace(NS).withName(leaving.getMetadata().getName()).get();
            assertThat(released.getMetadata().getDeletionTimestamp()).isNull();
            assertThat(released.getMetadata().getOwnerReferences()).isEmpty();
        });
    }

    private void taint(String node, Taint t) {
        cluster.client.nodes().withName(node).edit(n -> new NodeBuilder(n).editSpec().addToTaints(t).endSpec().build());
    }
}
