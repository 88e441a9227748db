package io.kubeha.controllers;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The claim rules against a real API server: what a user sees on the objects' ownerReferences afterwards. */
class ControllerRefManagerTest {
    static ApiFixture api;
    static KubernetesClient client;
    static final AtomicInteger namespaces = new AtomicInteger();
    final AtomicBoolean acting = new AtomicBoolean(true);
    ControllerContext ctx;
    String ns;

    @BeforeAll
    static void startServer() throws Exception {
        api = new ApiFixture();
        client = api.client;
    }

    @AfterAll
    static void stopServer() throws Exception {
        api.close();
    }

    @BeforeEach
    void namespace() {
        ns = "claim-" + namespaces.incrementAndGet();
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).create();
        // the scheduler is never used by a claim
        ctx = new ControllerContext(client, acting::get, Clock.systemUTC(), null, 1);
    }

    ReplicaSet replicaSet(String name, String... finalizers) {
        return client.apps().replicaSets().inNamespace(ns).resource(new ReplicaSetBuilder()
                .withNewMetadata().withName(name).withFinalizers(finalizers).endMetadata()
                .withNewSpec().withReplicas(0)
                .withNewSelector().withMatchLabels(Map.of("app", name)).endSelector()
                .withNewTemplate().withNewMetadata().withLabels(Map.of("app", name)).endMetadata()
                .withNewSpec().addNewContainer().withName("c").withImage("img:1").endContainer().endSpec()
                .endTemplate().endSpec().build()).create();
    }

    Pod pod(String name, Map<String, String> labels, OwnerReference... owners) {
        return client.pods().inNamespace(ns).resource(new PodBuilder()
                .withNewMetadata().withName(name).withLabels(labels).withOwnerReferences(owners).endMetadata()
                .withNewSpec().addNewContainer().withName("c").withImage("img:1").endContainer().endSpec()
                .build()).create();
    }

    Pod live(String name) {
        return client.pods().inNamespace(ns).withName(name).get();
    }

    List<Pod> claim(ReplicaSet owner) {
        return new ControllerRefManager<>(ctx, owner, owner.getSpec().getSelector(), Pod.class)
                .claim(client.pods().inNamespace(ns).list().getItems());
    }

    static List<String> names(List<Pod> pods) {
        return pods.stream().map(p -> p.getMetadata().getName()).toList();
    }

    @Test
    void adoptsAnOrphanThatMatchesAndKeepsWhatItOwns() {
        ReplicaSet rs = replicaSet("web");
        pod("orphan", Map.of("app", "web"));
        pod("mine", Map.of("app", "web"), ControllerRefManager.controllerRef(rs));
        pod("stranger", Map.of("app", "db"));

        assertThat(names(claim(rs))).containsExactlyInAnyOrder("orphan", "mine");

        OwnerReference ref = OwnerRefs.controllerOf(live("orphan"));
        assertThat(ref).isNotNull();
        assertThat(ref.getUid()).isEqualTo(rs.getMetadata().getUid());
        assertThat(ref.getKind()).isEqualTo("ReplicaSet");
        assertThat(ref.getApiVersion()).isEqualTo("apps/v1");
        assertThat(ref.getName()).isEqualTo("web");
        assertThat(ref.getBlockOwnerDeletion()).isTrue();
        assertThat(live("mine").getMetadata().getOwnerReferences()).hasSize(1);
        assertThat(live("stranger").getMetadata().getOwnerReferences()).isNullOrEmpty();
    }

    @Test
    void adoptionKeepsOtherOwnersThatAreNotControllers() {
        ReplicaSet rs = replicaSet("web");
        OwnerReference plain = new io.fabric8.kubernetes.api.model.OwnerReferenceBuilder().withApiVersion("v1")
                .withKind("ConfigMap").withName("cm").withUid("0000-cm").build();
        pod("shared", Map.of("app", "web"), plain);

        assertThat(names(claim(rs))).containsExactly("shared");
        assertThat(live("shared").getMetadata().getOwnerReferences()).extracting(OwnerReference::getUid)
                .containsExactly("0000-cm", rs.getMetadata().getUid());
    }

    @Test
    void anAdoptionFromAStaleCopyNeverOverwritesAnOwnerAddedMeanwhile() {
        ReplicaSet rs = replicaSet("web");
        pod("contested", Map.of("app", "web"));
        List<Pod> stale = client.pods().inNamespace(ns).list().getItems(); // the cache: no owner yet
        // meanwhile another controller takes it
        ReplicaSet other = replicaSet("other");
        client.pods().inNamespace(ns).withName("contested").edit(p -> new PodBuilder(p).editMetadata()
                .withOwnerReferences(ControllerRefManager.controllerRef(other)).endMetadata().build());

        assertThatThrownBy(() -> new ControllerRefManager<>(ctx, rs, rs.getSpec().getSelector(), Pod.class).claim(stale))
                .isInstanceOf(io.fabric8.kubernetes.client.KubernetesClientException.class);
        assertThat(live("contested").getMetadata().getOwnerReferences()).extracting(OwnerReference::getUid)
                .containsExactly(other.getMetadata().getUid());
        // the next sync, from a fresh read, leaves it to its controller
        assertThat(claim(rs)).isEmpty();
    }

    @Test
    void releasesAnOwnedPodThatNoLongerMatches() {
        ReplicaSet rs = replicaSet("web");
        pod("relabelled", Map.of("app", "other"), ControllerRefManager.controllerRef(rs));

        assertThat(claim(rs)).isEmpty();
        assertThat(live("relabelled").getMetadata().getOwnerReferences()).isNullOrEmpty();
    }

    @Test
    void neverAdoptsOrReleasesAPodOwnedByAnotherController() {
        ReplicaSet rs = replicaSet("web");
        ReplicaSet other = replicaSet("other");
        pod("taken", Map.of("app", "web"), ControllerRefManager.controllerRef(other));
        pod("taken-elsewhere", Map.of("app", "db"), ControllerRefManager.controllerRef(other));

        assertThat(claim(rs)).isEmpty();
        assertThat(live("taken").getMetadata().getOwnerReferences()).extracting(OwnerReference::getUid)
                .containsExactly(other.getMetadata().getUid());
        assertThat(live("taken-elsewhere").getMetadata().getOwnerReferences()).extracting(OwnerReference::getUid)
                .containsExactly(other.getMetadata().getUid());
    }

    @Test
    void neverAdoptsWhileTheOwnerIsBeingDeletedEvenIfTheCacheHasNotSeenItYet() {
        ReplicaSet cached = replicaSet("web", "test.kubeha.io/hold");
        pod("orphan", Map.of("app", "web"));
        client.apps().replicaSets().inNamespace(ns).withName("web").delete();
        ReplicaSet deleting = client.apps().replicaSets().inNamespace(ns).withName("web").get();
        assertThat(deleting.getMetadata().getDeletionTimestamp()).isNotNull();

        // the stale copy: only the uncached read of the owner tells
        assertThat(claim(cached)).isEmpty();
        assertThat(claim(deleting)).isEmpty();
        assertThat(live("orphan").getMetadata().getOwnerReferences()).isNullOrEmpty();

        releaseFinalizer("web");
    }

    @Test
    void neverReleasesWhileTheOwnerIsBeingDeleted() {
        ReplicaSet rs = replicaSet("web", "test.kubeha.io/hold");
        pod("relabelled", Map.of("app", "other"), ControllerRefManager.controllerRef(rs));
        client.apps().replicaSets().inNamespace(ns).withName("web").delete();
        ReplicaSet deleting = client.apps().replicaSets().inNamespace(ns).withName("web").get();

        assertThat(claim(deleting)).isEmpty();
        assertThat(live("relabelled").getMetadata().getOwnerReferences()).extracting(OwnerReference::getUid)
                .containsExactly(rs.getMetadata().getUid());

        releaseFinalizer("web");
    }

    @Test
    void neverAdoptsForAnOwnerReplacedByAnotherOfTheSameName() {
        ReplicaSet old = replicaSet("web");
        client.apps().replicaSets().inNamespace(ns).withName("web").delete();
        replicaSet("web");
        pod("orphan", Map.of("app", "web"));

        assertThat(claim(old)).isEmpty();
        assertThat(live("orphan").getMetadata().getOwnerReferences()).isNullOrEmpty();
    }

    @Test
    void aPodRecreatedUnderTheSameNameIsNotAdopted() {
        ReplicaSet rs = replicaSet("web");
        Pod seen = pod("again", Map.of("app", "web"));
        client.pods().inNamespace(ns).withName("again").withGracePeriod(0).delete();
        org.awaitility.Awaitility.await().atMost(ApiFixture.WAIT).until(() -> live("again") == null);
        pod("again", Map.of("app", "web"));

        // the claim sees the old pod (a stale cache): the uid precondition refuses the patch, and the sync is retried
        assertThatThrownBy(() -> new ControllerRefManager<>(ctx, rs, rs.getSpec().getSelector(), Pod.class).claim(List.of(seen)))
                .isInstanceOf(io.fabric8.kubernetes.client.KubernetesClientException.class);
        assertThat(live("again").getMetadata().getOwnerReferences()).isNullOrEmpty();
    }

    @Test
    void writesNothingOnceNotTheLeader() {
        ReplicaSet rs = replicaSet("web");
        pod("orphan", Map.of("app", "web"));
        pod("relabelled", Map.of("app", "other"), ControllerRefManager.controllerRef(rs));
        acting.set(false);

        assertThatThrownBy(() -> claim(rs)).isInstanceOf(ControllerContext.NotLeaderException.class);
        assertThat(live("orphan").getMetadata().getOwnerReferences()).isNullOrEmpty();
        assertThat(live("relabelled").getMetadata().getOwnerReferences()).hasSize(1);
    }

    @Test
    void claimsReplicaSetsForADeploymentToo() {
        Deployment d = client.apps().deployments().inNamespace(ns).resource(new DeploymentBuilder()
                .withNewMetadata().withName("app").endMetadata()
                .withNewSpec().withReplicas(0)
                .withNewSelector().withMatchLabels(Map.of("app", "web")).endSelector()
                .withNewTemplate().withNewMetadata().withLabels(Map.of("app", "web")).endMetadata()
                .withNewSpec().addNewContainer().withName("c").withImage("img:1").endContainer().endSpec()
                .endTemplate().endSpec().build()).create();
        replicaSet("web"); // its labels: none; give it the Deployment's
        client.apps().replicaSets().inNamespace(ns).withName("web")
                .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"metadata\":{\"labels\":{\"app\":\"web\"}}}");

        List<ReplicaSet> owned = new ControllerRefManager<>(ctx, d, d.getSpec().getSelector(), ReplicaSet.class)
                .claim(client.apps().replicaSets().inNamespace(ns).list().getItems());

        assertThat(owned).extracting(r -> r.getMetadata().getName()).containsExactly("web");
        // the adopted object as the patch returned it
        assertThat(OwnerRefs.controllerOf(owned.getFirst()).getKind()).isEqualTo("Deployment");
        assertThat(OwnerRefs.controllerOf(client.apps().replicaSets().inNamespace(ns).withName("web").get()).getUid())
                .isEqualTo(d.getMetadata().getUid());
    }

    void releaseFinalizer(String name) {
        client.apps().replicaSets().inNamespace(ns).withName(name)
                .patch(PatchContext.of(PatchType.JSON), "[{\"op\":\"remove\",\"path\":\"/metadata/finalizers/0\"}]");
    }
}
