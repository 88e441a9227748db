package io.kubeha.controllers.nodelifecycle;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeha.controllers.ApiFixture;
import io.kubeha.controllers.ControllerManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The node lifecycle controller alone against a real API server, nodes played by {@link TestKubelet}. */
class NodeLifecycleControllerTest {
    static final Duration GRACE = Duration.ofSeconds(3);
    ApiFixture api;
    KubernetesClient client;
    TestKubelet kubelet;

    @BeforeEach
    void setUp() throws Exception {
        api = new ApiFixture();
        client = api.client;
        kubelet = new TestKubelet(api.newClient());
    }

    void startController() {
        api.manager(ControllerManager.Config.defaults().withControllers(Set.of(NodeLifecycleController.NAME))
                .withNodeLifecycle(new NodeLifecycleOptions(Duration.ofMillis(250), GRACE, GRACE)));
    }

    @AfterEach
    void tearDown() throws Exception {
        kubelet.close();
        api.close();
    }

    List<String> taints(String node) {
        Node n = client.nodes().withName(node).get();
        List<Taint> taints = n.getSpec().getTaints() == null ? List.of() : n.getSpec().getTaints();
        return taints.stream().map(t -> t.getKey() + ":" + t.getEffect()).toList();
    }

    String ready(String node) {
        return Taints.readyStatus(client.nodes().withName(node).get());
    }

    @Test
    void aNodeThatSaysNotReadyIsTaintedNotReadyUntilItIsReadyAgain() {
        kubelet.register("n1");
        kubelet.register("n2");
        startController();
        kubelet.reportNotReady("n1", true);
        await().atMost(ApiFixture.WAIT).untilAsserted(() -> assertThat(taints("n1"))
                .containsExactlyInAnyOrder("node.kubernetes.io/not-ready:NoSchedule", "node.kubernetes.io/not-ready:NoExecute"));
        assertThat(ready("n1")).as("the kubelet's word, not replaced: it is still heard from").isEqualTo("False");
        assertThat(taints("n2")).isEmpty();

        kubelet.reportNotReady("n1", false);
        await().atMost(ApiFixture.WAIT).untilAsserted(() -> assertThat(taints("n1")).isEmpty());
    }

    @Test
    void whenTheOnlyNodeFallsSilentItIsUnknownButNotTaintedNoExecute() {
        kubelet.register("solo");
        startController();
        kubelet.stop("solo");
        await().atMost(ApiFixture.WAIT).untilAsserted(() -> {
            Node n = client.nodes().withName("solo").get();
            assertThat(n.getStatus().getConditions()).extracting(NodeCondition::getStatus).containsOnly("Unknown");
            assertThat(taints("solo")).containsExactly("node.kubernetes.io/unreachable:NoSchedule");
        });
        // the lease comes back and the kubelet posts Ready: every taint of the controller's goes
        kubelet.resume("solo");
        await().atMost(ApiFixture.WAIT).untilAsserted(() -> {
            assertThat(ready("solo")).isEqualTo("True");
            assertThat(taints("solo")).isEmpty();
        });
    }

    @Test
    void aNodeThatNeverPostedStatusIsUnknownAfterTheStartupGracePeriod() {
        api.node("bare");
        startController();
        await().atMost(ApiFixture.WAIT).untilAsserted(() -> {
            Node n = client.nodes().withName("bare").get();
            assertThat(n.getStatus()).isNotNull();
            assertThat(n.getStatus().getConditions()).extracting(NodeCondition::getReason).containsOnly("NodeStatusNeverUpdated");
            assertThat(n.getStatus().getConditions()).extracting(NodeCondition::getType)
                    .containsExactlyInAnyOrder("Ready", "MemoryPressure", "DiskPressure", "PIDPressure");
        });
    }
}
