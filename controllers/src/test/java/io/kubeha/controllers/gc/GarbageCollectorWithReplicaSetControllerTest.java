package io.kubeha.controllers.gc;

import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeha.controllers.ApiFixture;
import io.kubeha.controllers.ControllerManager;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The collector beside the ReplicaSet controller, which makes the pods and their ownerReferences. */
class GarbageCollectorWithReplicaSetControllerTest {
    static final String NS = "default";

    static void replicaSet(KubernetesClient client, String name, int replicas) {
        client.apps().replicaSets().inNamespace(NS).resource(new ReplicaSetBuilder()
                .withNewMetadata().withName(name).endMetadata()
                .withNewSpec().withReplicas(replicas).withNewSelector().withMatchLabels(Map.of("app", name)).endSelector()
                .withNewTemplate().withNewMetadata().withLabels(Map.of("app", name)).endMetadata()
                .withNewSpec().addNewContainer().withName("c").withImage("img").endContainer().endSpec().endTemplate()
                .endSpec().build()).create();
    }

    static List<Pod> pods(KubernetesClient client, String app) {
        return client.pods().inNamespace(NS).withLabel("app", app).list().getItems();
    }

    @Test
    void backgroundOrphanAndForegroundWithControllerMadePods() throws Exception {
        try (ApiFixture api = new ApiFixture()) {
            KubernetesClient client = api.client;
            api.manager(ControllerManager.Config.defaults().withControllers(Set.of(GarbageCollector.NAME, "replicaset"))
                    .withTimings(Duration.ofSeconds(3), Duration.ofSeconds(2), Duration.ofMillis(100)));
            replicaSet(client, "bg", 2);
            replicaSet(client, "orph", 2);
            replicaSet(client, "fg", 2);
            await().atMost(ApiFixture.WAIT).until(() -> pods(client, "bg").size() == 2 && pods(client, "orph").size() == 2
                    && pods(client, "fg").size() == 2);

            client.apps().replicaSets().inNamespace(NS).withName("bg").withPropagationPolicy(DeletionPropagation.BACKGROUND).delete();
            await().atMost(ApiFixture.WAIT).until(() -> pods(client, "bg").isEmpty());

            client.apps().replicaSets().inNamespace(NS).withName("orph").withPropagationPolicy(DeletionPropagation.ORPHAN).delete();
            await().atMost(ApiFixture.WAIT).until(() -> client.apps().replicaSets().inNamespace(NS).withName("orph").get() == null);
            assertThat(pods(client, "orph")).hasSize(2)
                    .allSatisfy(p -> assertThat(p.getMetadata().getOwnerReferences()).isEmpty());

            client.apps().replicaSets().inNamespace(NS).withName("fg").withPropagationPolicy(DeletionPropagation.FOREGROUND).delete();
            await().atMost(ApiFixture.WAIT).until(() -> client.apps().replicaSets().inNamespace(NS).withName("fg").get() == null);
            assertThat(pods(client, "fg")).isEmpty();

            // orphans stay orphans
            Thread.sleep(1000);
            assertThat(pods(client, "orph")).hasSize(2);
        }
    }
}
