package io.kubeha.controllers.deployment;

import io.kubeha.controllers.OwnerRefs;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeha.controllers.ApiFixture;
import io.kubeha.controllers.ControllerManager;
import io.kubeha.controllers.SlowWatchProxyAccess;
import io.kubeha.controllers.replicaset.ReplicaSetController;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import static org.awaitility.Awaitility.await;

/**
 * A real API server with a controller-manager running the ReplicaSet and Deployment controllers, and a test
 * kubelet that makes every pod ready unless its image starts with "bad".
 */
final class DeploymentFixture implements AutoCloseable {
    final ApiFixture api;
    final KubernetesClient client;
    private final TestKubelet kubelet;
    private final AutoCloseable proxy;

    DeploymentFixture() throws Exception {
        this(null);
    }

    /** @param watchDelay if not null, the controllers' watches arrive that much late (their caches lag their writes) */
    DeploymentFixture(Duration watchDelay) throws Exception {
        api = new ApiFixture();
        client = api.client;
        proxy = watchDelay == null ? null
                : SlowWatchProxyAccess.start(new InetSocketAddress("127.0.0.1", api.server.address().getPort()), watchDelay);
        api.manager(ControllerManager.Config.defaults().withControllers(Set.of(ReplicaSetController.NAME, DeploymentController.NAME))
                // generous: the machine is shared and a lost lease would only slow the tests down
                .withTimings(Duration.ofSeconds(10), Duration.ofSeconds(8), Duration.ofMillis(500)),
                proxy == null ? api.newClient() : api.newClient(SlowWatchProxyAccess.url(proxy)));
        kubelet = new TestKubelet(api.newClient(), p -> p.getSpec().getContainers().stream().noneMatch(c -> c.getImage().startsWith("bad")));
    }

    void namespace(String ns) {
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).create();
    }

    /** A Deployment of app=NAME with one container "c" running {@code image}, not yet created. */
    static DeploymentBuilder deployment(String ns, String name, int replicas, String image) {
        return new DeploymentBuilder()
                .withNewMetadata().withName(name).withNamespace(ns).endMetadata()
                .withNewSpec().withReplicas(replicas)
                .withNewSelector().withMatchLabels(Map.of("app", name)).endSelector()
                .withNewTemplate().withNewMetadata().withLabels(Map.of("app", name)).endMetadata()
                .withNewSpec().addNewContainer().withName("c").withImage(image).endContainer().endSpec()
                .endTemplate().endSpec();
    }

    static DeploymentBuilder rolling(DeploymentBuilder b, Object maxSurge, Object maxUnavailable) {
        return b.editSpec().withNewStrategy().withType("RollingUpdate").withNewRollingUpdate()
                .withMaxSurge(new IntOrString(maxSurge)).withMaxUnavailable(new IntOrString(maxUnavailable))
                .endRollingUpdate().endStrategy().endSpec();
    }

    Deployment create(DeploymentBuilder b) {
        Deployment d = b.build();
        return client.apps().deployments().inNamespace(d.getMetadata().getNamespace()).resource(d).create();
    }

    Deployment get(String ns, String name) {
        return client.apps().deployments().inNamespace(ns).withName(name).get();
    }

    /** As kubectl set image: a patch without a resourceVersion, so the controller's own writes never make it a conflict. */
    void setImage(String ns, String name, String image) {
        String container = get(ns, name).getSpec().getTemplate().getSpec().getContainers().getFirst().getName();
        patch(ns, name, "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"" + container + "\",\"image\":\"" + image + "\"}]}}}}");
    }

    /** A strategic merge patch, as kubectl patch sends it (no resourceVersion: the server applies it to the latest). */
    void patch(String ns, String name, String json) {
        client.apps().deployments().inNamespace(ns).withName(name)
                .patch(io.fabric8.kubernetes.client.dsl.base.PatchContext.of(io.fabric8.kubernetes.client.dsl.base.PatchType.STRATEGIC_MERGE), json);
    }

    /** The ReplicaSets the Deployment controls, oldest first. */
    List<ReplicaSet> replicaSets(String ns, String name) {
        Deployment d = get(ns, name);
        return client.apps().replicaSets().inNamespace(ns).list().getItems().stream()
                .filter(rs -> {
                    var ref = OwnerRefs.controllerOf(rs);
                    return ref != null && Objects.equals(ref.getUid(), d.getMetadata().getUid());
                })
                .sorted(Comparator.comparing((ReplicaSet rs) -> rs.getMetadata().getCreationTimestamp())
                        .thenComparing(rs -> rs.getMetadata().getName()))
                .toList();
    }

    ReplicaSet replicaSetWithImage(String ns, String name, String image) {
        return replicaSets(ns, name).stream()
                .filter(rs -> rs.getSpec().getTemplate().getSpec().getContainers().getFirst().getImage().equals(image))
                .findFirst().orElse(null);
    }

    List<Pod> pods(String ns, String app) {
        return client.pods().inNamespace(ns).withLabel("app", app).list().getItems().stream()
                .filter(p -> p.getMetadata().getDeletionTimestamp() == null).toList();
    }

    /** What kubectl rollout status waits for: the generation observed and every replica updated and available. */
    boolean rolledOut(String ns, String name) {
        Deployment d = get(ns, name);
        var s = d.getStatus();
        int want = d.getSpec().getReplicas();
        return s != null && s.getObservedGeneration() != null && s.getObservedGeneration() >= d.getMetadata().getGeneration()
                && n(s.getUpdatedReplicas()) == want && n(s.getReplicas()) == want && n(s.getAvailableReplicas()) == want;
    }

    void awaitRolledOut(String ns, String name) {
        await().atMost(ApiFixture.WAIT).until(() -> rolledOut(ns, name));
    }

    static int n(Integer i) {
        return i == null ? 0 : i;
    }

    @Override
    public void close() throws Exception {
        kubelet.close();
        api.close();
        if (proxy != null) {
            proxy.close();
        }
    }
}
