package io.kubeha.controllers.deployment;

import io.kubeha.controllers.OwnerRefs;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.kubeha.controllers.ApiFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Scaling, proportional scaling, Recreate, history pruning and the progress deadline, against a real API server. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DeploymentControllerTest {
    DeploymentFixture f;

    @BeforeAll
    void setUp() throws Exception {
        f = new DeploymentFixture();
    }

    @AfterAll
    void tearDown() throws Exception {
        f.close();
    }

    void scale(String ns, String name, int replicas) {
        f.client.apps().deployments().inNamespace(ns).withName(name).scale(replicas);
    }

    static String image(Pod p) {
        return p.getSpec().getContainers().getFirst().getImage();
    }

    List<String> scalingEvents(String ns) {
        return f.client.v1().events().inNamespace(ns).list().getItems().stream()
                .filter(e -> "ScalingReplicaSet".equals(e.getReason())).map(e -> e.getMessage()).toList();
    }

    @Test
    void scalesSixToTwelveToThreeThroughItsOneReplicaSet() {
        String ns = "scaling";
        f.namespace(ns);
        f.create(DeploymentFixture.deployment(ns, "web", 6, "img:1"));
        f.awaitRolledOut(ns, "web");
        String rs = f.replicaSets(ns, "web").getFirst().getMetadata().getName();
        scale(ns, "web", 12);
        await().atMost(ApiFixture.WAIT).until(() -> f.rolledOut(ns, "web") && f.pods(ns, "web").size() == 12);
        scale(ns, "web", 3);
        await().atMost(ApiFixture.WAIT).until(() -> f.rolledOut(ns, "web") && f.pods(ns, "web").size() == 3);
        List<ReplicaSet> rss = f.replicaSets(ns, "web");
        assertThat(rss).singleElement().satisfies(r -> {
            assertThat(r.getSpec().getReplicas()).isEqualTo(3);
            // desired 3, max 3 + 25% of 3 rounded up
            assertThat(r.getMetadata().getAnnotations()).containsEntry("deployment.kubernetes.io/desired-replicas", "3")
                    .containsEntry("deployment.kubernetes.io/max-replicas", "4")
                    .containsEntry("deployment.kubernetes.io/revision", "1");
        });
        await().atMost(ApiFixture.WAIT).untilAsserted(() -> assertThat(scalingEvents(ns)).contains(
                "Scaled up replica set " + rs + " from 0 to 6", "Scaled up replica set " + rs + " from 6 to 12",
                "Scaled down replica set " + rs + " from 12 to 3"));
    }

    @Test
    void scalingDuringARolloutIsSpreadInProportionOverTheReplicaSets() {
        // Kubernetes' documented example: 10 replicas, maxSurge 3, maxUnavailable 2, a new image that never
        // becomes ready, then scaled to 15: of the 5 more, 3 go to the old ReplicaSet and 2 to the new one
        String ns = "proportional";
        f.namespace(ns);
        f.create(DeploymentFixture.rolling(DeploymentFixture.deployment(ns, "web", 10, "img:1"), 3, 2));
        f.awaitRolledOut(ns, "web");
        f.setImage(ns, "web", "bad:1");
        await().atMost(ApiFixture.WAIT).until(() -> {
            ReplicaSet old = f.replicaSetWithImage(ns, "web", "img:1"), bad = f.replicaSetWithImage(ns, "web", "bad:1");
            return old != null && bad != null && old.getSpec().getReplicas() == 8 && bad.getSpec().getReplicas() == 5
                    && f.pods(ns, "web").size() == 13;
        });
        scale(ns, "web", 15);
        await().atMost(ApiFixture.WAIT).untilAsserted(() -> {
            ReplicaSet old = f.replicaSetWithImage(ns, "web", "img:1"), bad = f.replicaSetWithImage(ns, "web", "bad:1");
            assertThat(old.getSpec().getReplicas()).isEqualTo(11);
            assertThat(bad.getSpec().getReplicas()).isEqualTo(7);
            for (ReplicaSet r : List.of(old, bad)) {
                assertThat(r.getMetadata().getAnnotations()).containsEntry("deployment.kubernetes.io/desired-replicas", "15")
                        .containsEntry("deployment.kubernetes.io/max-replicas", "18");
            }
            assertThat(f.pods(ns, "web")).hasSize(18);
            Deployment d = f.get(ns, "web");
            assertThat(d.getStatus().getUpdatedReplicas()).isEqualTo(7);
            assertThat(d.getStatus().getReplicas()).isEqualTo(18);
            assertThat(d.getStatus().getAvailableReplicas()).isEqualTo(11);
        });
    }

    @Test
    void recreateRemovesEveryOldPodBeforeCreatingANewOne() {
        String ns = "recreate";
        f.namespace(ns);
        f.create(DeploymentFixture.deployment(ns, "db", 3, "img:1").editSpec().withNewStrategy().withType("Recreate").endStrategy().endSpec());
        f.awaitRolledOut(ns, "db");
        List<PodHistory.Event> history;
        try (PodHistory h = PodHistory.start(f.client, ns)) {
            f.setImage(ns, "db", "img:2");
            await().atMost(ApiFixture.WAIT).until(() -> f.rolledOut(ns, "db") && f.pods(ns, "db").size() == 3
                    && f.pods(ns, "db").stream().allMatch(p -> image(p).equals("img:2")));
            history = h.events();
        }
        List<String> overlaps = new ArrayList<>();
        List<Map<String, Pod>> states = PodHistory.states(history);
        for (int i = 0; i < states.size(); i++) {
            // any pod object counts here, also one being deleted: Recreate waits until the old ones are gone
            long old = states.get(i).values().stream().filter(p -> image(p).equals("img:1")).count();
            long fresh = states.get(i).values().stream().filter(p -> image(p).equals("img:2")).count();
            if (old > 0 && fresh > 0) {
                overlaps.add("after event " + i + ": " + old + " old and " + fresh + " new pods");
            }
        }
        assertThat(overlaps).isEmpty();
        assertThat(history).anySatisfy(e -> assertThat(e.type()).isEqualTo("DELETED"))
                .anySatisfy(e -> assertThat(e.type()).isEqualTo("ADDED"));
        ReplicaSet old = f.replicaSetWithImage(ns, "db", "img:1");
        assertThat(old.getSpec().getReplicas()).isZero();
        await().atMost(ApiFixture.WAIT).untilAsserted(() -> assertThat(scalingEvents(ns)).contains(
                "Scaled down replica set " + old.getMetadata().getName() + " from 3 to 0",
                "Scaled up replica set " + f.replicaSetWithImage(ns, "db", "img:2").getMetadata().getName() + " from 0 to 3"));
    }

    @Test
    void revisionHistoryLimitPrunesTheOldestEmptyReplicaSets() {
        String ns = "history";
        f.namespace(ns);
        f.create(DeploymentFixture.deployment(ns, "web", 1, "img:1").editSpec().withRevisionHistoryLimit(1).endSpec());
        f.awaitRolledOut(ns, "web");
        for (String image : List.of("img:2", "img:3", "img:4")) {
            f.setImage(ns, "web", image);
            await().atMost(ApiFixture.WAIT).until(() -> f.rolledOut(ns, "web")
                    && f.pods(ns, "web").stream().allMatch(p -> image(p).equals(image)));
        }
        await().atMost(ApiFixture.WAIT).untilAsserted(() -> assertThat(f.replicaSets(ns, "web"))
                .extracting(r -> r.getSpec().getTemplate().getSpec().getContainers().getFirst().getImage(),
                        r -> r.getMetadata().getAnnotations().get("deployment.kubernetes.io/revision"))
                .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple("img:3", "3"), org.assertj.core.groups.Tuple.tuple("img:4", "4")));
    }

    @Test
    void aRolloutThatCannotProgressExceedsItsDeadline() {
        String ns = "deadline";
        f.namespace(ns);
        f.create(DeploymentFixture.deployment(ns, "stuck", 2, "bad:1").editSpec().withProgressDeadlineSeconds(1).endSpec());
        await().atMost(ApiFixture.WAIT).untilAsserted(() -> {
            Deployment d = f.get(ns, "stuck");
            ReplicaSet rs = f.replicaSets(ns, "stuck").getFirst();
            assertThat(d.getStatus().getConditions()).anySatisfy(c -> {
                assertThat(c.getType()).isEqualTo("Progressing");
                assertThat(c.getStatus()).isEqualTo("False");
                assertThat(c.getReason()).isEqualTo("ProgressDeadlineExceeded");
                assertThat(c.getMessage()).isEqualTo("ReplicaSet \"" + rs.getMetadata().getName() + "\" has timed out progressing.");
            }).anySatisfy(c -> {
                assertThat(c.getType()).isEqualTo("Available");
                assertThat(c.getStatus()).isEqualTo("False");
                assertThat(c.getReason()).isEqualTo("MinimumReplicasUnavailable");
            });
            assertThat(d.getStatus().getUnavailableReplicas()).isEqualTo(2);
            assertThat(d.getStatus().getUpdatedReplicas()).isEqualTo(2);
        });
    }
    @Test
    void adoptsAMatchingOrphanReplicaSetAndScalesItDownAsAnOldOne() {
        String ns = "adopt";
        f.namespace(ns);
        ReplicaSet orphan = f.client.apps().replicaSets().inNamespace(ns).resource(new ReplicaSetBuilder()
                .withNewMetadata().withName("orphan").withLabels(Map.of("app", "web")).endMetadata()
                .withNewSpec().withReplicas(2).withNewSelector().withMatchLabels(Map.of("app", "web", "v", "0")).endSelector()
                .withNewTemplate().withNewMetadata().withLabels(Map.of("app", "web", "v", "0")).endMetadata()
                .withNewSpec().addNewContainer().withName("c").withImage("img:0").endContainer().endSpec().endTemplate()
                .endSpec().build()).create();
        f.create(DeploymentFixture.deployment(ns, "web", 2, "img:1"));
        f.awaitRolledOut(ns, "web");
        await().atMost(ApiFixture.WAIT).untilAsserted(() -> {
            ReplicaSet adopted = f.client.apps().replicaSets().inNamespace(ns).withName("orphan").get();
            assertThat(adopted.getMetadata().getUid()).isEqualTo(orphan.getMetadata().getUid());
            assertThat(OwnerRefs.controllerOf(adopted).getName()).isEqualTo("web");
            assertThat(adopted.getSpec().getReplicas()).isZero();
        });
        assertThat(f.pods(ns, "web")).hasSize(2).allSatisfy(p -> assertThat(image(p)).isEqualTo("img:1"));
    }

    @Test
    void aNameTakenByAnotherReplicaSetIsAHashCollisionResolvedWithCollisionCount() {
        String ns = "collision";
        f.namespace(ns);
        // created paused, a Deployment makes no ReplicaSet: its defaulted template gives the name it will want
        f.create(DeploymentFixture.deployment(ns, "web", 1, "img:1").editSpec().withPaused(true).endSpec());
        Deployment d = f.get(ns, "web");
        KubernetesSerialization json = f.client.getKubernetesSerialization();
        String taken = "web-" + PodTemplates.hash(d.getSpec().getTemplate(), null, json);
        f.client.apps().replicaSets().inNamespace(ns).resource(new ReplicaSetBuilder()
                .withNewMetadata().withName(taken).endMetadata()
                .withNewSpec().withReplicas(0).withNewSelector().withMatchLabels(Map.of("other", "x")).endSelector()
                .withNewTemplate().withNewMetadata().withLabels(Map.of("other", "x")).endMetadata()
                .withNewSpec().addNewContainer().withName("c").withImage("other").endContainer().endSpec().endTemplate()
                .endSpec().build()).create();
        f.patch(ns, "web", "{\"spec\":{\"paused\":false}}");
        f.awaitRolledOut(ns, "web");
        Deployment done = f.get(ns, "web");
        assertThat(done.getStatus().getCollisionCount()).isEqualTo(1);
        assertThat(f.replicaSets(ns, "web")).singleElement().satisfies(rs ->
                assertThat(rs.getMetadata().getName()).isEqualTo("web-" + PodTemplates.hash(d.getSpec().getTemplate(), 1, json)).isNotEqualTo(taken));
    }
}
