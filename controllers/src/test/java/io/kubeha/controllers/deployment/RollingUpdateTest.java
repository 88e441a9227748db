package io.kubeha.controllers.deployment;

import io.kubeha.controllers.OwnerRefs;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.kubeha.controllers.ApiFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The done-when rollout, and minReadySeconds, checked from the watch history of the pods. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RollingUpdateTest {
    DeploymentFixture f;

    @BeforeAll
    void setUp() throws Exception {
        f = new DeploymentFixture();
    }

    @AfterAll
    void tearDown() throws Exception {
        f.close();
    }

    /** The pods whose controller is one of these ReplicaSets (by uid): the Deployment's pods. */
    static Predicate<Pod> ownedBy(List<ReplicaSet> rss) {
        Set<String> uids = rss.stream().map(rs -> rs.getMetadata().getUid()).collect(Collectors.toSet());
        return p -> {
            var ref = OwnerRefs.controllerOf(p.getMetadata().getOwnerReferences());
            return ref != null && "ReplicaSet".equals(ref.getKind()) && uids.contains(ref.getUid());
        };
    }

    @Test
    void twelveReplicasRollWithNeverFewerThanNineAvailableNorMoreThanFifteenPods() {
        String ns = "rolling";
        f.namespace(ns);
        f.create(DeploymentFixture.deployment(ns, "web", 12, "img:1"));
        f.awaitRolledOut(ns, "web");
        ReplicaSet first = f.replicaSets(ns, "web").getFirst();

        List<PodHistory.Event> history;
        try (PodHistory h = PodHistory.start(f.client, ns)) {
            f.setImage(ns, "web", "img:2");
            await().atMost(ApiFixture.WAIT).until(() -> f.rolledOut(ns, "web")
                    && f.pods(ns, "web").stream().allMatch(p -> p.getSpec().getContainers().getFirst().getImage().equals("img:2"))
                    && f.pods(ns, "web").size() == 12);
            history = h.events();
        }
        // defaults 25%/25% of 12: maxUnavailable 3 (rounded down), maxSurge 3 (rounded up)
        Predicate<Pod> ours = ownedBy(f.replicaSets(ns, "web"));
        assertThat(PodHistory.violations(history, ours, 9, 15, 0)).isEmpty();
        assertThat(PodHistory.maxPods(history, ours)).as("the surge was used").isGreaterThan(12);
        assertThat(history.stream().filter(e -> e.type().equals("DELETED"))).as("all old pods went").hasSizeGreaterThanOrEqualTo(12);

        List<ReplicaSet> rss = f.replicaSets(ns, "web");
        assertThat(rss).hasSize(2);
        ReplicaSet old = f.replicaSetWithImage(ns, "web", "img:1"), current = f.replicaSetWithImage(ns, "web", "img:2");
        assertThat(old.getMetadata().getUid()).isEqualTo(first.getMetadata().getUid());
        assertThat(old.getSpec().getReplicas()).isZero();
        assertThat(current.getSpec().getReplicas()).isEqualTo(12);
        String hash = current.getMetadata().getLabels().get("pod-template-hash");
        assertThat(current.getMetadata().getName()).isEqualTo("web-" + hash);
        assertThat(current.getSpec().getSelector().getMatchLabels()).containsEntry("pod-template-hash", hash).containsEntry("app", "web");
        assertThat(current.getSpec().getTemplate().getMetadata().getLabels()).containsEntry("pod-template-hash", hash);
        assertThat(old.getMetadata().getLabels().get("pod-template-hash")).isNotEqualTo(hash);
        var ref = OwnerRefs.controllerOf(current);
        assertThat(ref.getKind()).isEqualTo("Deployment");
        assertThat(ref.getName()).isEqualTo("web");
        assertThat(ref.getBlockOwnerDeletion()).isTrue();
        assertThat(current.getMetadata().getAnnotations()).containsEntry("deployment.kubernetes.io/revision", "2")
                .containsEntry("deployment.kubernetes.io/desired-replicas", "12")
                .containsEntry("deployment.kubernetes.io/max-replicas", "15");
        assertThat(old.getMetadata().getAnnotations()).containsEntry("deployment.kubernetes.io/revision", "1");
        assertThat(f.pods(ns, "web")).allSatisfy(p -> assertThat(p.getMetadata().getLabels()).containsEntry("pod-template-hash", hash));

        await().atMost(ApiFixture.WAIT).untilAsserted(() -> {
            Deployment d = f.get(ns, "web");
            assertThat(d.getMetadata().getAnnotations()).containsEntry("deployment.kubernetes.io/revision", "2");
            assertThat(d.getStatus().getUnavailableReplicas()).isIn(null, 0);
            assertThat(d.getStatus().getReadyReplicas()).isEqualTo(12);
            assertThat(d.getStatus().getConditions()).anySatisfy(c -> {
                assertThat(c.getType()).isEqualTo("Available");
                assertThat(c.getStatus()).isEqualTo("True");
                assertThat(c.getReason()).isEqualTo("MinimumReplicasAvailable");
            }).anySatisfy(c -> {
                assertThat(c.getType()).isEqualTo("Progressing");
                assertThat(c.getStatus()).isEqualTo("True");
                assertThat(c.getReason()).isEqualTo("NewReplicaSetAvailable");
                assertThat(c.getMessage()).isEqualTo("ReplicaSet \"" + current.getMetadata().getName() + "\" has successfully progressed.");
            });
        });
        await().atMost(ApiFixture.WAIT).untilAsserted(() -> assertThat(f.client.v1().events().inNamespace(ns).list().getItems())
                .filteredOn(e -> "ScalingReplicaSet".equals(e.getReason()))
                .extracting(e -> e.getMessage())
                .contains("Scaled up replica set " + old.getMetadata().getName() + " from 0 to 12",
                        "Scaled up replica set " + current.getMetadata().getName() + " from 0 to 3")
                .anySatisfy(m -> assertThat(m).startsWith("Scaled down replica set " + old.getMetadata().getName() + " from 12 to ")));
    }

    @Test
    void minReadySecondsHoldsOldPodsUntilNewOnesHaveBeenReadyThatLong() {
        String ns = "minready";
        f.namespace(ns);
        f.create(DeploymentFixture.rolling(DeploymentFixture.deployment(ns, "slow", 2, "img:1"), 1, 0)
                .editSpec().withMinReadySeconds(2).endSpec());
        f.awaitRolledOut(ns, "slow");
        List<PodHistory.Event> history;
        try (PodHistory h = PodHistory.start(f.client, ns)) {
            f.setImage(ns, "slow", "img:2");
            await().atMost(ApiFixture.WAIT).until(() -> f.rolledOut(ns, "slow") && f.pods(ns, "slow").size() == 2
                    && f.pods(ns, "slow").stream().allMatch(p -> p.getSpec().getContainers().getFirst().getImage().equals("img:2")));
            history = h.events();
        }
        // maxUnavailable 0: both replicas available (ready for 2s) at every moment, at most 3 pods
        assertThat(PodHistory.violations(history, ownedBy(f.replicaSets(ns, "slow")), 2, 3, 2)).isEmpty();
        assertThat(f.replicaSetWithImage(ns, "slow", "img:2").getSpec().getMinReadySeconds()).isEqualTo(2);
    }
}
