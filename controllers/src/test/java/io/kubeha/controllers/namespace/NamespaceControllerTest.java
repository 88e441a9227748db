package io.kubeha.controllers.namespace;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeha.controllers.ApiFixture;
import io.kubeha.controllers.ControllerManager;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class NamespaceControllerTest {
    static ControllerManager.Config config() {
        return ControllerManager.Config.defaults().withControllers(Set.of("namespace", "serviceaccount", "replicaset"))
                .withTimings(Duration.ofSeconds(3), Duration.ofSeconds(2), Duration.ofMillis(100));
    }

    @Test
    void defaultServiceAccountAppearsInNewNamespacesAndComesBack() throws Exception {
        try (ApiFixture api = new ApiFixture()) {
            KubernetesClient client = api.client;
            api.manager(config());
            client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("team-a").endMetadata().build()).create();
            await().atMost(ApiFixture.WAIT).until(() -> client.serviceAccounts().inNamespace("team-a").withName("default").get() != null);
            client.serviceAccounts().inNamespace("team-a").withName("default").delete();
            await().atMost(ApiFixture.WAIT).until(() -> {
                var sa = client.serviceAccounts().inNamespace("team-a").withName("default").get();
                return sa != null && sa.getMetadata().getDeletionTimestamp() == null;
            });
            // namespaces that existed before the manager started get one too
            assertThat(client.serviceAccounts().inNamespace("default").withName("default").get()).isNotNull();
        }
    }

    @Test
    void deletingANamespaceDeletesItsContentsThenTheNamespace() throws Exception {
        try (ApiFixture api = new ApiFixture()) {
            KubernetesClient client = api.client;
            String ns = "doomed";
            client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).create();
            client.configMaps().inNamespace(ns).resource(new ConfigMapBuilder().withNewMetadata().withName("cm").endMetadata()
                    .withData(Map.of("k", "v")).build()).create();
            client.secrets().inNamespace(ns).resource(new SecretBuilder().withNewMetadata().withName("s").endMetadata()
                    .withStringData(Map.of("k", "v")).build()).create();
            client.services().inNamespace(ns).resource(new ServiceBuilder().withNewMetadata().withName("svc").endMetadata()
                    .withNewSpec().addNewPort().withPort(80).endPort().withSelector(Map.of("app", "x")).endSpec().build()).create();
            client.pods().inNamespace(ns).resource(new PodBuilder().withNewMetadata().withName("p").endMetadata()
                    .withNewSpec().addNewContainer().withName("c").withImage("img").endContainer().endSpec().build()).create();
            client.leases().inNamespace(ns).resource(new LeaseBuilder().withNewMetadata().withName("l").endMetadata()
                    .withNewSpec().withHolderIdentity("x").endSpec().build()).create();
            client.apps().replicaSets().inNamespace(ns).resource(new ReplicaSetBuilder()
                    .withNewMetadata().withName("rs").endMetadata()
                    .withNewSpec().withReplicas(2).withNewSelector().withMatchLabels(Map.of("app", "rs")).endSelector()
                    .withNewTemplate().withNewMetadata().withLabels(Map.of("app", "rs")).endMetadata()
                    .withNewSpec().addNewContainer().withName("c").withImage("img").endContainer().endSpec().endTemplate()
                    .endSpec().build()).create();

            api.manager(config());
            await().atMost(ApiFixture.WAIT).until(() -> client.pods().inNamespace(ns).list().getItems().size() == 3);
            client.namespaces().withName(ns).delete();
            await().atMost(ApiFixture.WAIT).until(() -> client.namespaces().withName(ns).get() == null);
            assertThat(client.configMaps().inNamespace(ns).list().getItems()).isEmpty();
            assertThat(client.secrets().inNamespace(ns).list().getItems()).isEmpty();
            assertThat(client.services().inNamespace(ns).list().getItems()).isEmpty();
            assertThat(client.pods().inNamespace(ns).list().getItems()).isEmpty();
            assertThat(client.apps().replicaSets().inNamespace(ns).list().getItems()).isEmpty();
            assertThat(client.leases().inNamespace(ns).list().getItems()).isEmpty();
            assertThat(client.serviceAccounts().inNamespace(ns).list().getItems()).isEmpty();
        }
    }
}
