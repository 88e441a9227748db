package io.kubeha.controllers.gc;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.EndpointsBuilder;
import io.fabric8.kubernetes.api.model.apps.ControllerRevisionBuilder;
import io.fabric8.kubernetes.api.model.apps.DaemonSetBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.kubeha.controllers.ApiFixture;
import io.kubeha.controllers.ControllerManager;
import io.kubeha.testkit.Kubectl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class GarbageCollectorTest {
    static final String NS = "default";

    ApiFixture api;
    KubernetesClient client;

    @BeforeEach
    void setUp() throws Exception {
        api = new ApiFixture();
        client = api.client;
        api.manager(ControllerManager.Config.defaults().withControllers(Set.of(GarbageCollector.NAME))
                .withTimings(Duration.ofSeconds(3), Duration.ofSeconds(2), Duration.ofMillis(100)));
    }

    @AfterEach
    void tearDown() throws Exception {
        api.close();
    }

    ReplicaSet replicaSet(String name) {
        // replicas 0: no ReplicaSet controller runs here; the test makes the pods itself
        return client.apps().replicaSets().inNamespace(NS).resource(new ReplicaSetBuilder()
                .withNewMetadata().withName(name).endMetadata()
                .withNewSpec().withReplicas(0).withNewSelector().withMatchLabels(Map.of("app", name)).endSelector()
                .withNewTemplate().withNewMetadata().withLabels(Map.of("app", name)).endMetadata()
                .withNewSpec().addNewContainer().withName("c").withImage("img").endContainer().endSpec().endTemplate()
                .endSpec().build()).create();
    }

    static OwnerReference ref(HasMetadata owner, boolean block) {
        return new OwnerReferenceBuilder().withApiVersion(owner.getApiVersion()).withKind(owner.getKind())
                .withName(owner.getMetadata().getName()).withUid(owner.getMetadata().getUid())
                .withBlockOwnerDeletion(block).build();
    }

    Pod pod(String name, List<OwnerReference> owners, String... finalizers) {
        return client.pods().inNamespace(NS).resource(new PodBuilder()
                .withNewMetadata().withName(name).withOwnerReferences(owners).withFinalizers(finalizers).endMetadata()
                .withNewSpec().addNewContainer().withName("c").withImage("img").endContainer().endSpec().build()).create();
    }

    Pod getPod(String name) {
        return client.pods().inNamespace(NS).withName(name).get();
    }

    ReplicaSet getRs(String name) {
        return client.apps().replicaSets().inNamespace(NS).withName(name).get();
    }

    /** Lets the collector see everything (its caches synced and the objects reconciled) before the deletes. */
    void settle() throws InterruptedException {
        Thread.sleep(500);
    }

    @Test
    void backgroundDeletionCollectsTheDependents() throws Exception {
        ReplicaSet rs = replicaSet("rs");
        pod("p1", List.of(ref(rs, true)));
        pod("p2", List.of(ref(rs, false)));
        settle();
        assertThat(getPod("p1")).isNotNull();
        assertThat(getPod("p2")).isNotNull();

        client.apps().replicaSets().inNamespace(NS).withName("rs").withPropagationPolicy(DeletionPropagation.BACKGROUND).delete();
        assertThat(getRs("rs")).isNull(); // the server deletes the owner at once
        await().atMost(ApiFixture.WAIT).until(() -> getPod("p1") == null && getPod("p2") == null);
    }

    @Test
    void defaultDeletionIsBackground() throws Exception {
        ReplicaSet rs = replicaSet("rs");
        pod("p1", List.of(ref(rs, true)));
        settle();
        client.apps().replicaSets().inNamespace(NS).withName("rs").delete();
        await().atMost(ApiFixture.WAIT).until(() -> getPod("p1") == null);
    }

    @Test
    void orphanDeletionKeepsTheDependentsAndDropsTheirReferences() throws Exception {
        ReplicaSet rs = replicaSet("rs");
        ReplicaSet other = replicaSet("other");
        pod("p1", List.of(ref(rs, true)));
        pod("p2", List.of(ref(rs, true), ref(other, false)));
        settle();

        client.apps().replicaSets().inNamespace(NS).withName("rs").withPropagationPolicy(DeletionPropagation.ORPHAN).delete();
        await().atMost(ApiFixture.WAIT).until(() -> getRs("rs") == null);
        assertThat(getPod("p1").getMetadata().getOwnerReferences()).isEmpty();
        assertThat(getPod("p2").getMetadata().getOwnerReferences()).extracting(OwnerReference::getName).containsExactly("other");
        // and they stay
        Thread.sleep(1000);
        assertThat(getPod("p1")).isNotNull();
        assertThat(getPod("p2")).isNotNull();
    }

    @Test
    void foregroundDeletionDeletesTheDependentsFirst() throws Exception {
        ReplicaSet rs = replicaSet("rs");
        pod("p1", List.of(ref(rs, true)));
        pod("p2", List.of(ref(rs, false)));
        // a blocking dependent held by a finalizer: the owner must wait for it
        pod("held", List.of(ref(rs, true)), "test.kubeha.io/hold");
        settle();

        client.apps().replicaSets().inNamespace(NS).withName("rs").withPropagationPolicy(DeletionPropagation.FOREGROUND).delete();
        await().atMost(ApiFixture.WAIT).until(() -> getPod("p1") == null && getPod("p2") == null
                && getPod("held").getMetadata().getDeletionTimestamp() != null);
        Thread.sleep(1000);
        ReplicaSet waiting = getRs("rs");
        assertThat(waiting).isNotNull();
        assertThat(waiting.getMetadata().getDeletionTimestamp()).isNotNull();
        assertThat(waiting.getMetadata().getFinalizers()).contains(GarbageCollector.FOREGROUND);

        client.pods().inNamespace(NS).withName("held")
                .patch(PatchContext.of(PatchType.JSON), "[{\"op\":\"remove\",\"path\":\"/metadata/finalizers/0\"}]");
        await().atMost(ApiFixture.WAIT).until(() -> getPod("held") == null);
        await().atMost(ApiFixture.WAIT).until(() -> getRs("rs") == null);
    }

    @Test
    void foregroundDeletionWithoutDependentsGoesAtOnce() throws Exception {
        replicaSet("lonely");
        settle();
        client.apps().replicaSets().inNamespace(NS).withName("lonely").withPropagationPolicy(DeletionPropagation.FOREGROUND).delete();
        await().atMost(ApiFixture.WAIT).until(() -> getRs("lonely") == null);
    }

    @Test
    void aDependentWhoseOwnerUidDoesNotMatchIsCollected() throws Exception {
        ReplicaSet rs = replicaSet("rs");
        OwnerReference stale = ref(rs, true);
        stale.setUid("00000000-0000-0000-0000-000000000000");
        pod("stale", List.of(stale));
        pod("fine", List.of(ref(rs, true)));
        await().atMost(ApiFixture.WAIT).until(() -> getPod("stale") == null);
        Thread.sleep(500);
        assertThat(getPod("fine")).isNotNull();
        assertThat(getRs("rs")).isNotNull();
    }

    @Test
    void anObjectWithOneLivingOwnerStaysAndLosesTheDeadReference() throws Exception {
        ReplicaSet a = replicaSet("a");
        ReplicaSet b = replicaSet("b");
        pod("shared", List.of(ref(a, true), ref(b, true)));
        settle();
        client.apps().replicaSets().inNamespace(NS).withName("a").delete();
        await().atMost(ApiFixture.WAIT).until(() -> getPod("shared").getMetadata().getOwnerReferences().size() == 1);
        assertThat(getPod("shared").getMetadata().getOwnerReferences()).extracting(OwnerReference::getName).containsExactly("b");
        client.apps().replicaSets().inNamespace(NS).withName("b").delete();
        await().atMost(ApiFixture.WAIT).until(() -> getPod("shared") == null);
    }

    @Test
    void ownersAndDependentsOfOtherKinds() throws Exception {
        // a Service owning a ConfigMap, which owns a Pod: background deletion cascades down the chain
        var svc = client.services().inNamespace(NS).resource(new ServiceBuilder().withNewMetadata().withName("svc").endMetadata()
                .withNewSpec().addNewPort().withPort(80).endPort().withSelector(Map.of("app", "x")).endSpec().build()).create();
        var cm = client.configMaps().inNamespace(NS).resource(new ConfigMapBuilder().withNewMetadata().withName("cm")
                .withOwnerReferences(ref(svc, true)).endMetadata().withData(Map.of("k", "v")).build()).create();
        pod("leaf", List.of(ref(cm, true)));
        settle();
        client.services().inNamespace(NS).withName("svc").delete();
        await().atMost(ApiFixture.WAIT).until(() -> client.configMaps().inNamespace(NS).withName("cm").get() == null
                && getPod("leaf") == null);
    }

    @Test
    void foregroundCascadesThroughAChain() throws Exception {
        // owner <- middle (has its own dependent) <- leaf: the middle is deleted in foreground too, leaf first
        ReplicaSet top = replicaSet("top");
        var cm = client.configMaps().inNamespace(NS).resource(new ConfigMapBuilder().withNewMetadata().withName("middle")
                .withOwnerReferences(ref(top, true)).endMetadata().withData(Map.of("k", "v")).build()).create();
        pod("leaf", List.of(ref(cm, true)));
        settle();
        client.apps().replicaSets().inNamespace(NS).withName("top").withPropagationPolicy(DeletionPropagation.FOREGROUND).delete();
        await().atMost(ApiFixture.WAIT).until(() -> getRs("top") == null);
        assertThat(client.configMaps().inNamespace(NS).withName("middle").get()).isNull();
        assertThat(getPod("leaf")).isNull();
    }

    Kubectl kubectl() throws Exception {
        // the real kubectl is required: Kubectl fails, saying what to install, when it is missing (never a skip)
        return new Kubectl(Kubectl.DEFAULT, Kubectl.writeKubeconfig(api.dir.resolve("kubeconfig"), api.url));
    }

    @Test
    void kubectlCascadeOrphanKeepsThePods() throws Exception {
        Kubectl kubectl = kubectl();
        ReplicaSet rs = replicaSet("rs");
        pod("p1", List.of(ref(rs, true)));
        settle();
        // kubectl waits for the ReplicaSet to be gone, which takes the collector (it holds the "orphan" finalizer)
        kubectl.run(null, Duration.ofSeconds(60), "-n", NS, "delete", "replicaset", "rs", "--cascade=orphan").orFail();
        assertThat(getRs("rs")).isNull();
        assertThat(getPod("p1")).isNotNull();
        assertThat(getPod("p1").getMetadata().getOwnerReferences()).isEmpty();
    }

    @Test
    void kubectlCascadeForegroundDeletesThePodsThenTheReplicaSet() throws Exception {
        Kubectl kubectl = kubectl();
        ReplicaSet rs = replicaSet("rs");
        pod("p1", List.of(ref(rs, true)));
        settle();
        kubectl.run(null, Duration.ofSeconds(60), "-n", NS, "delete", "replicaset", "rs", "--cascade=foreground").orFail();
        assertThat(getRs("rs")).isNull();
        assertThat(getPod("p1")).isNull(); // the owner went only once its blocking dependent had
    }

    @Test
    void kubectlCascadeBackgroundDeletesThePodsAfterwards() throws Exception {
        Kubectl kubectl = kubectl();
        ReplicaSet rs = replicaSet("rs");
        pod("p1", List.of(ref(rs, true)));
        settle();
        kubectl.run(null, Duration.ofSeconds(60), "-n", NS, "delete", "replicaset", "rs", "--cascade=background").orFail();
        assertThat(getRs("rs")).isNull();
        await().atMost(ApiFixture.WAIT).until(() -> getPod("p1") == null);
    }

    @Test
    void everyWatchedKindIsCollected() throws Exception {
        var dep = client.apps().deployments().inNamespace(NS).resource(new DeploymentBuilder()
                .withNewMetadata().withName("d").endMetadata()
                .withNewSpec().withReplicas(0).withNewSelector().withMatchLabels(Map.of("app", "d")).endSelector()
                .withNewTemplate().withNewMetadata().withLabels(Map.of("app", "d")).endMetadata()
                .withNewSpec().addNewContainer().withName("c").withImage("img").endContainer().endSpec().endTemplate()
                .endSpec().build()).create();
        var rs = client.apps().replicaSets().inNamespace(NS).resource(new ReplicaSetBuilder()
                .withNewMetadata().withName("d-1").withOwnerReferences(ref(dep, true)).endMetadata()
                .withNewSpec().withReplicas(0).withNewSelector().withMatchLabels(Map.of("app", "d")).endSelector()
                .withNewTemplate().withNewMetadata().withLabels(Map.of("app", "d")).endMetadata()
                .withNewSpec().addNewContainer().withName("c").withImage("img").endContainer().endSpec().endTemplate()
                .endSpec().build()).create();
        pod("d-1-a", List.of(ref(rs, true)));
        var ds = client.apps().daemonSets().inNamespace(NS).resource(new DaemonSetBuilder()
                .withNewMetadata().withName("ds").endMetadata()
                .withNewSpec().withNewSelector().withMatchLabels(Map.of("app", "ds")).endSelector()
                .withNewTemplate().withNewMetadata().withLabels(Map.of("app", "ds")).endMetadata()
                .withNewSpec().addNewContainer().withName("c").withImage("img").endContainer().endSpec().endTemplate()
                .endSpec().build()).create();
        client.apps().controllerRevisions().inNamespace(NS).resource(new ControllerRevisionBuilder()
                .withNewMetadata().withName("ds-1").withOwnerReferences(ref(ds, true)).endMetadata().withRevision(1L).withData(Map.of("spec", Map.of())).build()).create();
        var svc = client.services().inNamespace(NS).resource(new ServiceBuilder().withNewMetadata().withName("svc").endMetadata()
                .withNewSpec().addNewPort().withPort(80).endPort().withSelector(Map.of("app", "x")).endSpec().build()).create();
        client.discovery().v1().endpointSlices().inNamespace(NS).resource(new EndpointSliceBuilder()
                .withNewMetadata().withName("svc-1").withOwnerReferences(ref(svc, true)).endMetadata()
                .withAddressType("IPv4").build()).create();
        client.endpoints().inNamespace(NS).resource(new EndpointsBuilder()
                .withNewMetadata().withName("svc-ep").withOwnerReferences(ref(svc, false)).endMetadata().build()).create();
        client.secrets().inNamespace(NS).resource(new SecretBuilder().withNewMetadata().withName("svc-secret")
                .withOwnerReferences(ref(svc, false)).endMetadata().withStringData(Map.of("k", "v")).build()).create();
        // owned by a kind the collector cannot look up (a Node): counts as alive
        pod("node-owned", List.of(new OwnerReferenceBuilder().withApiVersion("v1").withKind("Node").withName("n1")
                .withUid("11111111-1111-1111-1111-111111111111").build()));
        settle();

        client.apps().deployments().inNamespace(NS).withName("d").delete();
        client.apps().daemonSets().inNamespace(NS).withName("ds").delete();
        client.services().inNamespace(NS).withName("svc").delete();
        await().atMost(ApiFixture.WAIT).until(() -> getRs("d-1") == null && getPod("d-1-a") == null
                && client.apps().controllerRevisions().inNamespace(NS).withName("ds-1").get() == null
                && client.discovery().v1().endpointSlices().inNamespace(NS).withName("svc-1").get() == null
                && client.endpoints().inNamespace(NS).withName("svc-ep").get() == null
                && client.secrets().inNamespace(NS).withName("svc-secret").get() == null);
        assertThat(getPod("node-owned")).isNotNull();
    }

    @Test
    void foregroundOwnerDoesNotWaitForADependentWithAnotherLivingOwner() throws Exception {
        ReplicaSet a = replicaSet("a");
        ReplicaSet b = replicaSet("b");
        pod("shared", List.of(ref(a, true), ref(b, false)));
        settle();
        client.apps().replicaSets().inNamespace(NS).withName("a").withPropagationPolicy(DeletionPropagation.FOREGROUND).delete();
        // the dependent stays (b is alive); its reference to a is unblocked, so a goes
        await().atMost(ApiFixture.WAIT).until(() -> getRs("a") == null);
        await().atMost(ApiFixture.WAIT).until(() -> getPod("shared").getMetadata().getOwnerReferences().size() == 1);
        assertThat(getPod("shared").getMetadata().getOwnerReferences()).extracting(OwnerReference::getName).containsExactly("b");
    }
}
