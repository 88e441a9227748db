package io.kubeha.controllers.replicaset;

import io.kubeha.controllers.OwnerRefs;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.kubeha.controllers.ApiFixture;
import io.kubeha.controllers.ControllerManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class ReplicaSetControllerTest {
    static final String NS = "rs-test";
    ApiFixture api;
    KubernetesClient client;

    @BeforeEach
    void setUp() throws Exception {
        api = new ApiFixture();
        client = api.client;
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build()).create();
        api.manager(ControllerManager.Config.defaults().withControllers(Set.of("replicaset"))
                .withTimings(Duration.ofSeconds(3), Duration.ofSeconds(2), Duration.ofMillis(100)));
    }

    @AfterEach
    void tearDown() throws Exception {
        api.close();
    }

    static ReplicaSet replicaSet(String name, int replicas) {
        return new ReplicaSetBuilder()
                .withNewMetadata().withName(name).withNamespace(NS).endMetadata()
                .withNewSpec().withReplicas(replicas)
                .withNewSelector().withMatchLabels(Map.of("app", name)).endSelector()
                .withNewTemplate().withNewMetadata().withLabels(Map.of("app", name, "tier", "web")).endMetadata()
                .withNewSpec().addNewContainer().withName("c").withImage("img:1").endContainer().endSpec()
                .endTemplate().endSpec().build();
    }

    ReplicaSet create(String name, int replicas) {
        return client.apps().replicaSets().inNamespace(NS).resource(replicaSet(name, replicas)).create();
    }

    void scale(String name, int replicas) {
        client.apps().replicaSets().inNamespace(NS).withName(name).scale(replicas);
    }

    static boolean ownedBy(Pod p, ReplicaSet rs) {
        OwnerReference ref = OwnerRefs.controllerOf(p);
        return ref != null && ref.getUid().equals(rs.getMetadata().getUid());
    }

    List<Pod> owned(ReplicaSet rs) {
        return client.pods().inNamespace(NS).list().getItems().stream()
                .filter(p -> ownedBy(p, rs) && p.getMetadata().getDeletionTimestamp() == null).toList();
    }

    /** The most owned, not-deleting pods ever seen at once, from a watch (an informer applies events in order). */
    final class MaxOwned implements AutoCloseable {
        final AtomicInteger max = new AtomicInteger();
        final SharedIndexInformer<Pod> informer;

        MaxOwned(ReplicaSet rs) {
            informer = client.pods().inNamespace(NS).inform(new ResourceEventHandler<>() {
                @Override
                public void onAdd(Pod obj) {
                    count();
                }

                @Override
                public void onUpdate(Pod oldObj, Pod newObj) {
                    count();
                }

                @Override
                public void onDelete(Pod obj, boolean deletedFinalStateUnknown) {
                    count();
                }

                private void count() {
                    int n = (int) informer().getStore().list().stream()
                            .filter(p -> ownedBy(p, rs) && p.getMetadata().getDeletionTimestamp() == null).count();
                    max.accumulateAndGet(n, Math::max);
                }
            }, 0);
        }

        SharedIndexInformer<Pod> informer() {
            return informer;
        }

        @Override
        public void close() {
            informer.close();
        }
    }

    @Test
    void scalesZeroToTwelveToThreeWithCorrectOwnersAndNeverASurplus() {
        ReplicaSet rs = create("web", 0);
        try (MaxOwned watch = new MaxOwned(rs)) {
            await().atMost(ApiFixture.WAIT).until(() -> client.apps().replicaSets().inNamespace(NS).withName("web").get()
                    .getStatus() != null);
            scale("web", 12);
            // many syncs while the creates are in flight (each annotation change is an event): only the
            // expectations stop these from creating again from a cache that has not seen the new pods yet
            poke(client, "web", 20);
            await().atMost(ApiFixture.WAIT).until(() -> owned(rs).size() == 12);
            for (Pod p : owned(rs)) {
                assertThat(p.getMetadata().getName()).startsWith("web-");
                assertThat(p.getMetadata().getLabels()).containsEntry("app", "web").containsEntry("tier", "web");
                OwnerReference ref = OwnerRefs.controllerOf(p);
                assertThat(ref.getKind()).isEqualTo("ReplicaSet");
                assertThat(ref.getApiVersion()).isEqualTo("apps/v1");
                assertThat(ref.getName()).isEqualTo("web");
                assertThat(ref.getBlockOwnerDeletion()).isTrue();
            }
            await().atMost(ApiFixture.WAIT).untilAsserted(() ->
                    assertThat(client.apps().replicaSets().inNamespace(NS).withName("web").get().getStatus().getReplicas()).isEqualTo(12));
            assertThat(watch.max).hasValue(12);

            scale("web", 3);
            await().atMost(ApiFixture.WAIT).until(() -> owned(rs).size() == 3);
            await().atMost(ApiFixture.WAIT).untilAsserted(() -> {
                ReplicaSet now = client.apps().replicaSets().inNamespace(NS).withName("web").get();
                assertThat(now.getStatus().getReplicas()).isEqualTo(3);
                assertThat(now.getStatus().getObservedGeneration()).isEqualTo(now.getMetadata().getGeneration());
            });
            assertThat(owned(rs)).hasSize(3);
            assertThat(watch.max).hasValue(12);
            // the SuccessfulCreate events say which pod, in kube's words
            await().atMost(ApiFixture.WAIT).untilAsserted(() -> assertThat(client.v1().events().inNamespace(NS).list().getItems())
                    .anySatisfy(e -> {
                        assertThat(e.getReason()).isEqualTo("SuccessfulCreate");
                        assertThat(e.getMessage()).startsWith("Created pod: web-");
                        assertThat(e.getInvolvedObject().getName()).isEqualTo("web");
                    }).anySatisfy(e -> {
                        assertThat(e.getReason()).isEqualTo("SuccessfulDelete");
                        assertThat(e.getMessage()).startsWith("Deleted pod: web-");
                        assertThat(e.getSource().getComponent()).isEqualTo("replicaset-controller");
                    }));
        }
    }

    @Test
    void replacesADeletedPod() {
        ReplicaSet rs = create("repl", 3);
        await().atMost(ApiFixture.WAIT).until(() -> owned(rs).size() == 3);
        String victim = owned(rs).getFirst().getMetadata().getName();
        client.pods().inNamespace(NS).withName(victim).delete();
        await().atMost(ApiFixture.WAIT).until(() -> owned(rs).size() == 3
                && owned(rs).stream().noneMatch(p -> p.getMetadata().getName().equals(victim)));
    }

    @Test
    void adoptsAMatchingOrphanAndReleasesARelabelledPod() {
        Pod orphan = client.pods().inNamespace(NS).resource(new PodBuilder()
                .withNewMetadata().withName("orphan").withLabels(Map.of("app", "adopt")).endMetadata()
                .withNewSpec().addNewContainer().withName("c").withImage("img:1").endContainer().endSpec().build()).create();
        ReplicaSet rs = create("adopt", 2);
        await().atMost(ApiFixture.WAIT).until(() -> owned(rs).size() == 2);
        Pod adopted = client.pods().inNamespace(NS).withName("orphan").get();
        assertThat(ownedBy(adopted, rs)).as("the orphan is adopted, not replaced").isTrue();
        assertThat(adopted.getMetadata().getUid()).isEqualTo(orphan.getMetadata().getUid());
        assertThat(OwnerRefs.controllerOf(adopted).getBlockOwnerDeletion()).isTrue();

        client.pods().inNamespace(NS).withName("orphan").edit(p -> new PodBuilder(p).editMetadata()
                .withLabels(Map.of("app", "elsewhere")).endMetadata().build());
        await().atMost(ApiFixture.WAIT).until(() -> {
            Pod p = client.pods().inNamespace(NS).withName("orphan").get();
            return OwnerRefs.controllerOf(p) == null && owned(rs).size() == 2;
        });
        assertThat(owned(rs)).extracting(p -> p.getMetadata().getName()).doesNotContain("orphan");
    }

    @Test
    void statusCountsReadyAndAvailablePodsAndIgnoresTerminalOnes() {
        ReplicaSet rs = create("stat", 3);
        await().atMost(ApiFixture.WAIT).until(() -> owned(rs).size() == 3);
        List<Pod> pods = owned(rs);
        api.setReady(NS, pods.get(0).getMetadata().getName(), true, Instant.now());
        api.setReady(NS, pods.get(1).getMetadata().getName(), true, Instant.now());
        await().atMost(ApiFixture.WAIT).untilAsserted(() -> {
            var s = client.apps().replicaSets().inNamespace(NS).withName("stat").get().getStatus();
            assertThat(s.getReplicas()).isEqualTo(3);
            assertThat(s.getFullyLabeledReplicas()).isEqualTo(3);
            assertThat(s.getReadyReplicas()).isEqualTo(2);
            assertThat(s.getAvailableReplicas()).isEqualTo(2);
        });

        // a pod that has failed does not count and is replaced
        Pod failed = client.pods().inNamespace(NS).withName(pods.get(2).getMetadata().getName()).get();
        client.pods().inNamespace(NS).resource(new PodBuilder(failed).editOrNewStatus().withPhase("Failed").endStatus().build()).updateStatus();
        await().atMost(ApiFixture.WAIT).until(() -> owned(rs).stream()
                .filter(p -> p.getStatus() == null || !"Failed".equals(p.getStatus().getPhase())).count() == 3);
    }

    @Test
    void availableWaitsForMinReadySeconds() {
        ReplicaSet spec = new ReplicaSetBuilder(replicaSet("slow", 1)).editSpec().withMinReadySeconds(1).endSpec().build();
        ReplicaSet rs = client.apps().replicaSets().inNamespace(NS).resource(spec).create();
        await().atMost(ApiFixture.WAIT).until(() -> owned(rs).size() == 1);
        api.setReady(NS, owned(rs).getFirst().getMetadata().getName(), true, Instant.now());
        await().atMost(ApiFixture.WAIT).untilAsserted(() -> {
            var s = client.apps().replicaSets().inNamespace(NS).withName("slow").get().getStatus();
            assertThat(s.getReadyReplicas()).isEqualTo(1);
            assertThat(s.getAvailableReplicas()).isEqualTo(1);
        });
    }

    @Test
    void scaleInDeletesUnscheduledThenNotReadyFirst() throws Exception {
        api.node("node1");
        api.node("node2");
        ReplicaSet rs = create("order", 4);
        await().atMost(ApiFixture.WAIT).until(() -> owned(rs).size() == 4);
        List<String> names = owned(rs).stream().map(p -> p.getMetadata().getName()).sorted().toList();
        String unscheduled = names.get(0), notReady = names.get(1), readyA = names.get(2), readyB = names.get(3);
        api.bind(NS, notReady, "node1");
        api.bind(NS, readyA, "node1");
        api.bind(NS, readyB, "node2");
        api.setReady(NS, notReady, false, Instant.now());
        api.setReady(NS, readyA, true, Instant.now());
        api.setReady(NS, readyB, true, Instant.now());
        await().atMost(ApiFixture.WAIT).until(() ->
                client.apps().replicaSets().inNamespace(NS).withName("order").get().getStatus().getReadyReplicas() == 2);

        scale("order", 3);
        await().atMost(ApiFixture.WAIT).until(() -> owned(rs).size() == 3);
        assertThat(owned(rs)).extracting(p -> p.getMetadata().getName()).containsExactlyInAnyOrder(notReady, readyA, readyB);

        scale("order", 2);
        await().atMost(ApiFixture.WAIT).until(() -> owned(rs).size() == 2);
        assertThat(owned(rs)).extracting(p -> p.getMetadata().getName()).containsExactlyInAnyOrder(readyA, readyB);
        // a bound pod's deletion is graceful: marked, waiting for its node
        assertThat(client.pods().inNamespace(NS).withName(notReady).get().getMetadata().getDeletionTimestamp()).isNotNull();
    }

    @Test
    void scaleInKeepsPodsSpreadAcrossNodes() throws Exception {
        api.node("node1");
        api.node("node2");
        ReplicaSet rs = create("spread", 4);
        await().atMost(ApiFixture.WAIT).until(() -> owned(rs).size() == 4);
        List<String> names = owned(rs).stream().map(p -> p.getMetadata().getName()).sorted().toList();
        // three on node1, one on node2, all ready at the same moment
        Instant t = Instant.now();
        for (int i = 0; i < 4; i++) {
            api.bind(NS, names.get(i), i < 3 ? "node1" : "node2");
            api.setReady(NS, names.get(i), true, t);
        }
        await().atMost(ApiFixture.WAIT).until(() ->
                client.apps().replicaSets().inNamespace(NS).withName("spread").get().getStatus().getReadyReplicas() == 4);
        scale("spread", 2);
        await().atMost(ApiFixture.WAIT).until(() -> owned(rs).size() == 2);
        assertThat(owned(rs)).extracting(PodRanking::nodeName).containsExactlyInAnyOrder("node1", "node2");
    }

    /**
     * Annotation changes, each a ReplicaSet event and so a sync. Retried on 409: this API server can answer a
     * patch without resourceVersion with Conflict when it races the controller's status write (kube-apiserver
     * retries those internally).
     */
    static void poke(KubernetesClient client, String name, int times) {
        for (int i = 0; i < times; i++) {
            String patch = "{\"metadata\":{\"annotations\":{\"poke\":\"" + System.nanoTime() + "\"}}}";
            await().atMost(ApiFixture.WAIT).ignoreExceptionsMatching(e -> e instanceof io.fabric8.kubernetes.client.KubernetesClientException k
                    && k.getCode() == 409).until(() -> {
                client.apps().replicaSets().inNamespace(NS).withName(name).patch(
                        io.fabric8.kubernetes.client.dsl.base.PatchContext.of(io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE), patch);
                return true;
            });
        }
    }
}
