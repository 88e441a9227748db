package io.kubeha.controllers.nodelifecycle;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeha.controllers.ApiFixture;
import io.kubeha.controllers.ControllerManager;
import io.kubeha.scheduler.Scheduler;
import io.kubeha.scheduler.SchedulerConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The "Done when" for node failure, against a real API server with the ReplicaSet, node lifecycle and taint
 * eviction controllers and the real scheduler: a node whose lease stops is Unknown within the grace period and
 * tainted unreachable, its pods are evicted once their toleration runs out and recreated on the other node; when the
 * node comes back the taints go.
 */
class NodeFailureTest {
    static final String NS = "node-failure";
    static final Duration GRACE = Duration.ofSeconds(3);
    static final long TOLERATION = 2;

    ApiFixture api;
    KubernetesClient client;
    TestKubelet kubelet;
    Scheduler scheduler;

    @BeforeEach
    void setUp() throws Exception {
        api = new ApiFixture();
        client = api.client;
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build()).create();
        kubelet = new TestKubelet(api.newClient());
        kubelet.register("n1");
        kubelet.register("n2");
        api.manager(ControllerManager.Config.defaults()
                .withControllers(Set.of("replicaset", NodeLifecycleController.NAME, TaintEvictionController.NAME))
                .withNodeLifecycle(new NodeLifecycleOptions(Duration.ofMillis(250), GRACE, GRACE)));
        // Kubernetes' leader election timings: the first leader takes its free lease at once, and a loaded machine
        // does not make it lose the lease in the middle of the test
        scheduler = new Scheduler(api.newClient(), SchedulerConfig.defaults()).start();
    }

    @AfterEach
    void tearDown() throws Exception {
        if (scheduler != null) {
            scheduler.close();
        }
        kubelet.close();
        api.close();
    }

    List<Pod> live() {
        return client.pods().inNamespace(NS).list().getItems().stream().filter(p -> p.getMetadata().getDeletionTimestamp() == null).toList();
    }

    static String nodeOf(Pod p) {
        return p.getSpec().getNodeName();
    }

    static NodeCondition ready(Node n) {
        return n.getStatus().getConditions().stream().filter(c -> c.getType().equals("Ready")).findFirst().orElseThrow();
    }

    static List<Taint> taints(Node n) {
        return n.getSpec().getTaints() == null ? List.of() : n.getSpec().getTaints();
    }

    @Test
    void podsOfANodeWhoseLeaseStopsAreEvictedAfterTheirTolerationAndRecreatedOnTheOtherNode() {
        client.apps().replicaSets().inNamespace(NS).resource(new ReplicaSetBuilder()
                .withNewMetadata().withName("web").endMetadata()
                .withNewSpec().withReplicas(4).withNewSelector().withMatchLabels(Map.of("app", "web")).endSelector()
                .withNewTemplate().withNewMetadata().withLabels(Map.of("app", "web")).endMetadata()
                .withNewSpec().addNewContainer().withName("c").withImage("nginx:1").endContainer()
                .withTolerations(
                        new TolerationBuilder().withKey("node.kubernetes.io/unreachable").withOperator("Exists").withEffect("NoExecute")
                                .withTolerationSeconds(TOLERATION).build(),
                        new TolerationBuilder().withKey("node.kubernetes.io/not-ready").withOperator("Exists").withEffect("NoExecute")
                                .withTolerationSeconds(TOLERATION).build())
                .endSpec().endTemplate().endSpec().build()).create();

        await().atMost(ApiFixture.WAIT).untilAsserted(() -> {
            List<Pod> pods = live();
            assertThat(pods).hasSize(4).allMatch(NodeLifecycleController::podReady);
            assertThat(pods).extracting(NodeFailureTest::nodeOf).containsOnly("n1", "n2").contains("n1", "n2");
        });
        List<String> onN1 = live().stream().filter(p -> nodeOf(p).equals("n1")).map(p -> p.getMetadata().getName()).toList();
        assertThat(client.nodes().withName("n1").get().getSpec().getTaints()).isNullOrEmpty();

        kubelet.stop("n1");

        // Unknown within the grace period (plus a monitor period and the time to write), tainted unreachable
        await().atMost(GRACE.multipliedBy(3)).untilAsserted(() -> {
            Node n1 = client.nodes().withName("n1").get();
            assertThat(ready(n1).getStatus()).isEqualTo("Unknown");
            assertThat(ready(n1).getReason()).isEqualTo("NodeStatusUnknown");
            assertThat(ready(n1).getMessage()).isEqualTo("Kubelet stopped posting node status.");
            assertThat(n1.getStatus().getConditions()).filteredOn(c -> !c.getType().equals("Ready"))
                    .extracting(NodeCondition::getStatus).containsOnly("Unknown");
            assertThat(taints(n1)).extracting(t -> t.getKey() + ":" + t.getEffect())
                    .contains("node.kubernetes.io/unreachable:NoExecute", "node.kubernetes.io/unreachable:NoSchedule");
        });
        Node n1 = client.nodes().withName("n1").get();
        Instant tainted = Instant.parse(taints(n1).stream().filter(t -> t.getEffect().equals("NoExecute")).findFirst().orElseThrow().getTimeAdded());
        assertThat(ready(client.nodes().withName("n2").get()).getStatus()).isEqualTo("True");

        // evicted once the toleration ran out, replaced on n2; the evicted pods were marked not ready first
        await().atMost(ApiFixture.WAIT).untilAsserted(() -> {
            List<Pod> pods = live();
            assertThat(pods).hasSize(4).allMatch(NodeLifecycleController::podReady);
            assertThat(pods).extracting(NodeFailureTest::nodeOf).containsOnly("n2");
        });
        for (String name : onN1) {
            Pod evicted = client.pods().inNamespace(NS).withName(name).get();
            assertThat(evicted).as("terminating until its kubelet returns").isNotNull();
            Instant deleted = Instant.parse(evicted.getMetadata().getDeletionTimestamp())
                    .minusSeconds(evicted.getMetadata().getDeletionGracePeriodSeconds());
            assertThat(deleted).as("deleted no earlier than the taint's time plus the toleration").isAfterOrEqualTo(tainted.plusSeconds(TOLERATION));
            assertThat(NodeLifecycleController.podReady(evicted)).isFalse();
            assertThat(evicted.getStatus().getConditions()).anySatisfy(c -> {
                assertThat(c.getType()).isEqualTo("DisruptionTarget");
                assertThat(c.getReason()).isEqualTo("DeletionByTaintManager");
            });
        }
        await().atMost(ApiFixture.WAIT).untilAsserted(() -> assertThat(client.v1().events().inNamespace(NS).list().getItems())
                .filteredOn(e -> "TaintManagerEviction".equals(e.getReason())).extracting(Event::getMessage)
                .containsAll(onN1.stream().map(n -> "Marking for deletion Pod " + NS + "/" + n).toList()));

        // the node returns: taints go, Ready is True again, its terminating pods finish
        kubelet.resume("n1");
        await().atMost(ApiFixture.WAIT).untilAsserted(() -> {
            Node back = client.nodes().withName("n1").get();
            assertThat(ready(back).getStatus()).isEqualTo("True");
            assertThat(taints(back)).isEmpty();
            assertThat(client.pods().inNamespace(NS).list().getItems()).hasSize(4);
        });
    }
}
