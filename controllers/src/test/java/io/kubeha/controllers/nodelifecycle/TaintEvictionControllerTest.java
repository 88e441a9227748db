package io.kubeha.controllers.nodelifecycle;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.TaintBuilder;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeha.controllers.ApiFixture;
import io.kubeha.controllers.ControllerManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The taint eviction controller alone, against a real API server: a NoExecute taint added by hand (kubectl taint). */
class TaintEvictionControllerTest {
    static final String NS = "taints";
    static final String KEY = "example.com/maintenance";
    ApiFixture api;
    KubernetesClient client;

    @BeforeEach
    void setUp() throws Exception {
        api = new ApiFixture();
        client = api.client;
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build()).create();
        api.node("n1");
        api.manager(ControllerManager.Config.defaults().withControllers(Set.of(TaintEvictionController.NAME)));
    }

    @AfterEach
    void tearDown() throws Exception {
        api.close();
    }

    Pod pod(String name, Toleration... tolerations) {
        return client.pods().inNamespace(NS).resource(new PodBuilder().withNewMetadata().withName(name).endMetadata()
                .withNewSpec().withNodeName("n1").addNewContainer().withName("c").withImage("img:1").endContainer()
                .withTolerations(tolerations).endSpec().build()).create();
    }

    static Toleration tolerating(Long seconds) {
        return new TolerationBuilder().withKey(KEY).withOperator("Exists").withEffect("NoExecute").withTolerationSeconds(seconds).build();
    }

    Pod get(String name) {
        return client.pods().inNamespace(NS).withName(name).get();
    }

    boolean deleting(String name) {
        Pod p = get(name);
        return p == null || p.getMetadata().getDeletionTimestamp() != null;
    }

    void taint(List<Taint> taints) {
        Node n = client.nodes().withName("n1").get();
        client.nodes().resource(new NodeBuilder(n).editOrNewSpec().withTaints(taints).endSpec().build()).update();
    }

    List<String> events() {
        return client.v1().events().inNamespace(NS).list().getItems().stream()
                .filter(e -> "TaintManagerEviction".equals(e.getReason())).map(Event::getMessage).toList();
    }

    @Test
    void aPodNotToleratingGoesAtOnceOneWithTolerationSecondsWhenTheyRunOutAndTheRestStay() {
        pod("none");
        pod("short", tolerating(2L));
        pod("long", tolerating(3600L));
        pod("forever", tolerating(null));
        // the API server gave "none" the default not-ready/unreachable tolerations, which do not cover this taint
        assertThat(get("none").getSpec().getTolerations()).extracting(Toleration::getKey)
                .containsExactlyInAnyOrder("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable");

        Instant tainted = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        taint(List.of(new TaintBuilder().withKey(KEY).withEffect("NoExecute").build()));

        await().atMost(ApiFixture.WAIT).until(() -> deleting("none"));
        await().atMost(ApiFixture.WAIT).until(() -> deleting("short"));
        Pod shortPod = get("short");
        Instant deleted = Instant.parse(shortPod.getMetadata().getDeletionTimestamp())
                .minusSeconds(shortPod.getMetadata().getDeletionGracePeriodSeconds());
        assertThat(deleted).as("not before its 2 seconds ran out").isAfterOrEqualTo(tainted.plusSeconds(2));
        assertThat(shortPod.getStatus().getConditions()).anySatisfy(c -> {
            assertThat(c.getType()).isEqualTo("DisruptionTarget");
            assertThat(c.getStatus()).isEqualTo("True");
            assertThat(c.getReason()).isEqualTo("DeletionByTaintManager");
        });
        await().atMost(ApiFixture.WAIT).untilAsserted(() -> assertThat(events())
                .contains("Marking for deletion Pod taints/none", "Marking for deletion Pod taints/short"));
        assertThat(deleting("long")).isFalse();
        assertThat(deleting("forever")).isFalse();

        // the taint goes: the scheduled deletion is cancelled, with an event
        taint(List.of());
        await().atMost(ApiFixture.WAIT).untilAsserted(() -> assertThat(events()).contains("Cancelling deletion of Pod taints/long"));
        assertThat(deleting("long")).isFalse();
        assertThat(events()).doesNotContain("Marking for deletion Pod taints/long", "Marking for deletion Pod taints/forever",
                "Cancelling deletion of Pod taints/forever");
    }

    @Test
    void aPodArrivingOnATaintedNodeIsHandledToo() {
        taint(List.of(new TaintBuilder().withKey(KEY).withEffect("NoExecute").build()));
        pod("late");
        pod("welcome", tolerating(null));
        await().atMost(ApiFixture.WAIT).until(() -> deleting("late"));
        assertThat(deleting("welcome")).isFalse();
    }
}
