package io.kubeha.controllers.replicaset;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Scale-in order, rule by rule, as kube's ActivePodsWithRanks. */
class PodRankingTest {
    static Pod pod(String name, String node, String phase, Boolean ready, String readySince, int restarts, String created,
                   Map<String, String> annotations) {
        PodBuilder b = new PodBuilder().withNewMetadata().withName(name).withCreationTimestamp(created)
                .withAnnotations(annotations).endMetadata()
                .withNewSpec().withNodeName(node).endSpec()
                .withNewStatus().withPhase(phase)
                .addNewContainerStatus().withName("c").withRestartCount(restarts).endContainerStatus()
                .endStatus();
        if (ready != null) {
            b.editStatus().withConditions(new PodConditionBuilder().withType("Ready").withStatus(ready ? "True" : "False")
                    .withLastTransitionTime(readySince).build()).endStatus();
        }
        return b.build();
    }

    static Pod pod(String name, String node, String phase, Boolean ready) {
        return pod(name, node, phase, ready, "2026-01-01T00:00:00Z", 0, "2026-01-01T00:00:00Z", Map.of());
    }

    static List<String> order(Pod... pods) {
        return PodRanking.deletionOrder(List.of(pods)).stream().map(p -> p.getMetadata().getName()).toList();
    }

    @Test
    void unscheduledThenPendingThenUnknownThenRunning() {
        assertThat(order(pod("running", "n1", "Running", true), pod("unknown", "n1", "Unknown", null),
                pod("pending", "n1", "Pending", null), pod("unscheduled", null, "Pending", null)))
                .containsExactly("unscheduled", "pending", "unknown", "running");
    }

    @Test
    void notReadyBeforeReadyAndLowerDeletionCostFirst() {
        assertThat(order(pod("ready", "n1", "Running", true), pod("notready", "n2", "Running", false)))
                .containsExactly("notready", "ready");
        Pod cheap = pod("cheap", "n1", "Running", true, "2026-01-01T00:00:00Z", 0, "2026-01-01T00:00:00Z",
                Map.of(PodRanking.DELETION_COST, "-5"));
        Pod dear = pod("dear", "n2", "Running", true, "2026-01-01T00:00:00Z", 0, "2026-01-01T00:00:00Z",
                Map.of(PodRanking.DELETION_COST, "100"));
        assertThat(order(dear, cheap)).containsExactly("cheap", "dear");
    }

    @Test
    void doubledUpNodesFirstThenMostRecentlyReadyThenMoreRestartsThenNewest() {
        assertThat(order(pod("alone", "n2", "Running", true), pod("a", "n1", "Running", true), pod("b", "n1", "Running", true)).getFirst())
                .isIn("a", "b");
        Pod oldReady = pod("old", "n1", "Running", true, "2026-01-01T00:00:00Z", 0, "2026-01-01T00:00:00Z", Map.of());
        Pod newReady = pod("new", "n2", "Running", true, "2026-01-02T00:00:00Z", 0, "2026-01-01T00:00:00Z", Map.of());
        assertThat(order(oldReady, newReady)).containsExactly("new", "old");
        Pod calm = pod("calm", "n1", "Running", true, "2026-01-01T00:00:00Z", 0, "2026-01-01T00:00:00Z", Map.of());
        Pod crashy = pod("crashy", "n2", "Running", true, "2026-01-01T00:00:00Z", 7, "2026-01-01T00:00:00Z", Map.of());
        assertThat(order(calm, crashy)).containsExactly("crashy", "calm");
        Pod older = pod("older", "n1", "Pending", null, null, 0, "2026-01-01T00:00:00Z", Map.of());
        Pod newer = pod("newer", "n2", "Pending", null, null, 0, "2026-01-03T00:00:00Z", Map.of());
        assertThat(order(older, newer)).containsExactly("newer", "older");
    }

    @Test
    void scalingInFromAnEvenSpreadKeepsEveryNodeUsedWhateverTheAges() {
        // 6 and 6; node1's pods are all older, so age alone would delete every pod of node2 first
        List<Pod> pods = new java.util.ArrayList<>();
        for (int i = 0; i < 6; i++) {
            pods.add(pod("old" + i, "node1", "Running", true, "2026-01-01T00:00:0" + i + "Z", 0, "2026-01-01T00:00:0" + i + "Z", Map.of()));
            pods.add(pod("new" + i, "node2", "Running", true, "2026-01-02T00:00:0" + i + "Z", 0, "2026-01-02T00:00:0" + i + "Z", Map.of()));
        }
        List<Pod> victims = PodRanking.deletionOrder(pods, 9);
        assertThat(victims).hasSize(9);
        java.util.Set<String> kept = new java.util.HashSet<>();
        pods.stream().filter(p -> !victims.contains(p)).forEach(p -> kept.add(p.getSpec().getNodeName()));
        assertThat(kept).containsExactlyInAnyOrder("node1", "node2");
    }
}
