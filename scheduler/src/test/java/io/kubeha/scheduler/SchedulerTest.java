package io.kubeha.scheduler;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static io.kubeha.scheduler.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** One scheduler against a real API server in-process, on the seed's five nodes. */
class SchedulerTest {
    private ApiFixture api;
    private KubernetesClient client;
    private Scheduler scheduler;

    @BeforeEach
    void start() throws Exception {
        api = new ApiFixture();
        client = api.client();
        for (Node n : seedNodes()) ApiFixture.createNode(client, n);
        SchedulerConfig config = SchedulerConfig.defaults()
                .withLeaderElection(Duration.ofSeconds(3), Duration.ofSeconds(2), Duration.ofMillis(200))
                .withBackoff(Duration.ofMillis(100), Duration.ofMillis(500));
        scheduler = new Scheduler(api.client(), config).start();
        await().atMost(Duration.ofSeconds(20)).until(scheduler::isLeader);
    }

    @AfterEach
    void stop() throws Exception {
        if (scheduler != null) scheduler.close();
        if (api != null) api.close();
    }

    private Pod create(Pod pod) {
        return client.pods().inNamespace("default").resource(pod).create();
    }

    private Pod get(String name) {
        return client.pods().inNamespace("default").withName(name).get();
    }

    private String nodeOf(String name) {
        Pod p = get(name);
        return p == null ? null : p.getSpec().getNodeName();
    }

    private List<Event> events(String pod) {
        return client.v1().events().inNamespace("default").list().getItems().stream()
                .filter(e -> pod.equals(e.getInvolvedObject().getName())).toList();
    }

    @Test
    void twelveReplicasWithRoleNodeSelectorLandSixAndSixAndEachGetsAScheduledEvent() {
        for (int i = 0; i < 12; i++) {
            create(pod("logapi-" + i).editMetadata().addToLabels("app", "logapi").addNewOwnerReference().withApiVersion("apps/v1")
                    .withKind("ReplicaSet").withName("logapi-rs").withUid("rs-uid-1").withController(true).endOwnerReference().endMetadata()
                    .editSpec().withNodeSelector(Map.of(ROLE, "node")).endSpec().build());
        }
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(
                client.pods().inNamespace("default").list().getItems().stream().filter(p -> p.getSpec().getNodeName() != null).count()).isEqualTo(12));
        Map<String, Long> perNode = client.pods().inNamespace("default").list().getItems().stream()
                .collect(Collectors.groupingBy(p -> p.getSpec().getNodeName(), Collectors.counting()));
        assertThat(perNode).containsOnly(Map.entry("node1", 6L), Map.entry("node2", 6L));
        Pod p = get("logapi-0");
        assertThat(p.getStatus().getConditions()).anySatisfy(c -> {
            assertThat(c.getType()).isEqualTo("PodScheduled");
            assertThat(c.getStatus()).isEqualTo("True");
        });
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(events("logapi-0")).singleElement().satisfies(e -> {
            assertThat(e.getReason()).isEqualTo("Scheduled");
            assertThat(e.getType()).isEqualTo("Normal");
            assertThat(e.getSource().getComponent()).isEqualTo("default-scheduler");
            assertThat(e.getMessage()).isEqualTo("Successfully assigned default/logapi-0 to " + p.getSpec().getNodeName());
        }));
        assertThat(scheduler.boundCount()).isEqualTo(12);
    }

    @Test
    void servicePodsWithoutOwnerSpreadToo() {
        client.services().inNamespace("default").resource(new io.fabric8.kubernetes.api.model.ServiceBuilder()
                .withNewMetadata().withName("web").endMetadata()
                .withNewSpec().withSelector(Map.of("app", "web")).addNewPort().withPort(80).endPort().endSpec().build()).create();
        await().atMost(Duration.ofSeconds(10)).until(() -> !scheduler.snapshot().services().isEmpty());
        for (int i = 0; i < 4; i++) {
            create(pod("web-" + i).editMetadata().addToLabels("app", "web").endMetadata().editSpec().withNodeSelector(Map.of(ROLE, "node")).endSpec().build());
        }
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            for (int i = 0; i < 4; i++) assertThat(nodeOf("web-" + i)).isNotNull();
        });
        Map<String, Long> perNode = client.pods().inNamespace("default").list().getItems().stream()
                .collect(Collectors.groupingBy(p -> p.getSpec().getNodeName(), Collectors.counting()));
        assertThat(perNode).containsOnly(Map.entry("node1", 2L), Map.entry("node2", 2L));
    }

    @Test
    void legacyAlphaAffinityAnnotationLandsOnAMaster() {
        create(pod("kube-discovery").editMetadata().addToAnnotations(Affinities.LEGACY_ANNOTATION, LEGACY_MASTER_AFFINITY).endMetadata()
                .editSpec().withTolerations(new Toleration("NoSchedule", "node-role.kubernetes.io/control-plane", "Exists", null, null)).endSpec().build());
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(nodeOf("kube-discovery")).isNotNull().startsWith("master"));
    }

    @Test
    void podThatFitsNowhereStaysPendingAndSaysWhyPerNode() {
        create(podRequesting("huge", "64", "1Gi").editSpec().withNodeSelector(Map.of(ROLE, "node")).endSpec().build());
        String expected = "0/5 nodes are available: 2 Insufficient cpu, 3 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. "
                + "preemption: 0/5 nodes are available: 2 No preemption victims found for incoming pod, 3 Preemption is not helpful for scheduling.";
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            assertThat(events("huge")).isNotEmpty().allSatisfy(e -> {
                assertThat(e.getReason()).isEqualTo("FailedScheduling");
                assertThat(e.getType()).isEqualTo("Warning");
                assertThat(e.getMessage()).isEqualTo(expected);
            });
            PodCondition scheduled = get("huge").getStatus().getConditions().stream()
                    .filter(c -> c.getType().equals("PodScheduled")).findFirst().orElseThrow();
            assertThat(scheduled.getStatus()).isEqualTo("False");
            assertThat(scheduled.getReason()).isEqualTo("Unschedulable");
            assertThat(scheduled.getMessage()).isEqualTo(expected);
        });
        assertThat(nodeOf("huge")).isNull();
        // it keeps being retried (back-off 100ms..500ms here): the one event counts up instead of new ones piling up
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(events("huge")).singleElement()
                .satisfies(e -> assertThat(e.getCount()).isGreaterThan(1)));

        // a bigger node joins: the waiting pod is retried and lands there
        ApiFixture.createNode(client, node("node3", Map.of(ROLE, "node")).editStatus()
                .addToAllocatable("cpu", new io.fabric8.kubernetes.api.model.Quantity("128")).endStatus().build());
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(nodeOf("huge")).isEqualTo("node3"));
    }

    @Test
    void taintsTolerationsAndCordonedNodes() {
        client.nodes().withName("node1").edit(n -> {
            n.getSpec().setUnschedulable(true);
            return n;
        });
        client.nodes().withName("node2").edit(n -> {
            n.getSpec().setTaints(List.of(new io.fabric8.kubernetes.api.model.Taint("NoSchedule", "dedicated", null, "db")));
            return n;
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> scheduler.snapshot().nodes().stream().filter(n -> n.name().equals("node1")
                || n.name().equals("node2")).allMatch(n -> Boolean.TRUE.equals(n.node.getSpec().getUnschedulable()) || n.node.getSpec().getTaints() != null
                && !n.node.getSpec().getTaints().isEmpty()));
        create(pod("plain").editSpec().withNodeSelector(Map.of(ROLE, "node")).endSpec().build());
        create(pod("db").editSpec().withNodeSelector(Map.of(ROLE, "node"))
                .withTolerations(new Toleration("NoSchedule", "dedicated", "Equal", null, "db")).endSpec().build());
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            assertThat(nodeOf("db")).isEqualTo("node2");
            assertThat(events("plain")).anySatisfy(e -> assertThat(e.getMessage()).isEqualTo(
                    "0/5 nodes are available: 1 node(s) had untolerated taint {dedicated: db}, 1 node(s) were unschedulable, "
                            + "3 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. "
                            + "preemption: 0/5 nodes are available: 5 Preemption is not helpful for scheduling."));
        });
        assertThat(nodeOf("plain")).isNull();
        client.nodes().withName("node1").edit(n -> {
            n.getSpec().setUnschedulable(false);
            return n;
        });
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(nodeOf("plain")).isEqualTo("node1"));
    }

    @Test
    void resourcesOfBoundAndJustAssumedPodsCount() {
        // each worker has 4 cpus: four 2-cpu pods fill both, the fifth fits nowhere
        for (int i = 0; i < 5; i++) {
            create(podRequesting("r" + i, "2", "1Gi").editSpec().withNodeSelector(Map.of(ROLE, "node")).endSpec().build());
        }
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            List<Pod> all = client.pods().inNamespace("default").list().getItems();
            assertThat(all.stream().filter(p -> p.getSpec().getNodeName() != null).count()).isEqualTo(4);
            assertThat(all.stream().filter(p -> p.getSpec().getNodeName() != null)
                    .collect(Collectors.groupingBy(p -> p.getSpec().getNodeName(), Collectors.counting())))
                    .containsOnly(Map.entry("node1", 2L), Map.entry("node2", 2L));
            String pending = all.stream().filter(p -> p.getSpec().getNodeName() == null).findFirst().orElseThrow().getMetadata().getName();
            assertThat(events(pending)).anySatisfy(e -> assertThat(e.getMessage()).startsWith("0/5 nodes are available: 2 Insufficient cpu,"));
        });
        // deleting a bound pod frees room: the pending one is retried and bound
        Pod victim = client.pods().inNamespace("default").list().getItems().stream().filter(p -> p.getSpec().getNodeName() != null).findFirst().orElseThrow();
        client.pods().inNamespace("default").withName(victim.getMetadata().getName()).withGracePeriod(0).delete();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(client.pods().inNamespace("default").list().getItems())
                .hasSize(4).allSatisfy(p -> assertThat(p.getSpec().getNodeName()).isNotNull()));
    }

    @Test
    void aDeletedNodeIsNoLongerACandidateAndDropsOutOfTheCount() {
        client.nodes().withName("node1").delete();
        await().atMost(Duration.ofSeconds(10)).until(() -> scheduler.snapshot().nodes().size() == 4);
        for (int i = 0; i < 2; i++) {
            create(podRequesting("big" + i, "3", "1Gi").editSpec().withNodeSelector(Map.of(ROLE, "node")).endSpec().build());
        }
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            List<Pod> all = client.pods().inNamespace("default").list().getItems();
            assertThat(all.stream().filter(p -> p.getSpec().getNodeName() != null).map(p -> p.getSpec().getNodeName())).containsExactly("node2");
            String pending = all.stream().filter(p -> p.getSpec().getNodeName() == null).findFirst().orElseThrow().getMetadata().getName();
            assertThat(events(pending)).anySatisfy(e -> assertThat(e.getMessage()).isEqualTo(
                    "0/4 nodes are available: 1 Insufficient cpu, 3 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. "
                            + "preemption: 0/4 nodes are available: 1 No preemption victims found for incoming pod, 3 Preemption is not helpful for scheduling."));
        });
    }

    @Test
    void aPodBeingDeletedIsNotScheduled() {
        create(pod("doomed").editMetadata().addToFinalizers("example.com/hold").endMetadata()
                .editSpec().withNodeSelector(Map.of(ROLE, "later")).endSpec().build());
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(events("doomed")).isNotEmpty());
        client.pods().inNamespace("default").withName("doomed").delete();
        await().atMost(Duration.ofSeconds(10)).until(() -> get("doomed").getMetadata().getDeletionTimestamp() != null);
        ApiFixture.createNode(client, node("late", Map.of(ROLE, "later")).build());
        create(pod("witness").editSpec().withNodeSelector(Map.of(ROLE, "later")).endSpec().build());
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(nodeOf("witness")).isEqualTo("late"));
        assertThat(nodeOf("doomed")).isNull();
        client.pods().inNamespace("default").withName("doomed").edit(p -> {
            p.getMetadata().setFinalizers(List.of());
            return p;
        });
    }

    @Test
    void podsOfAnotherSchedulerAreLeftAlone() {
        create(pod("other").editSpec().withSchedulerName("my-scheduler").endSpec().build());
        create(pod("mine").build());
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(nodeOf("mine")).isNotNull());
        await().pollDelay(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(() -> true);
        assertThat(nodeOf("other")).isNull();
        assertThat(events("other")).isEmpty();
    }
}
