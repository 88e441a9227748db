package io.kubeha.controllers.deployment;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpecBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The arithmetic and annotation rules, against the numbers Kubernetes documents. */
class ReplicasTest {
    static final KubernetesSerialization JSON = new KubernetesSerialization();

    @Test
    void surgeRoundsUpAndUnavailableRoundsDown() {
        var pct = new IntOrString("25%");
        assertThat(Replicas.fenceposts(pct, pct, 12)).isEqualTo(new Replicas.Fenceposts(3, 3));
        assertThat(Replicas.fenceposts(pct, pct, 10)).isEqualTo(new Replicas.Fenceposts(3, 2));
        assertThat(Replicas.fenceposts(pct, pct, 3)).isEqualTo(new Replicas.Fenceposts(1, 0));
        // both resolve to zero: one pod may be unavailable, or nothing could ever move
        assertThat(Replicas.fenceposts(new IntOrString(0), new IntOrString("10%"), 5)).isEqualTo(new Replicas.Fenceposts(0, 1));
        assertThat(Replicas.fenceposts(new IntOrString(2), new IntOrString(1), 5)).isEqualTo(new Replicas.Fenceposts(2, 1));
        assertThatThrownBy(() -> Replicas.scaled(new IntOrString("many"), 5, true)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must be an int or a percentage");
    }

    static Deployment deployment(int replicas, Object surge, Object unavailable) {
        return DeploymentFixture.rolling(DeploymentFixture.deployment("ns", "web", replicas, "img:1"), surge, unavailable).build();
    }

    static ReplicaSet rs(String name, int replicas, int maxReplicasAnnotation, String created) {
        return new ReplicaSetBuilder().withNewMetadata().withName(name).withCreationTimestamp(created)
                .withAnnotations(Map.of(Revisions.MAX_REPLICAS, String.valueOf(maxReplicasAnnotation))).endMetadata()
                .withNewSpec().withReplicas(replicas).endSpec().build();
    }

    @Test
    void maxUnavailableIsCappedAtReplicasAndZeroForRecreate() {
        assertThat(Replicas.maxUnavailable(deployment(2, 0, 5))).isEqualTo(2);
        assertThat(Replicas.maxUnavailable(deployment(0, 1, 1))).isZero();
        Deployment recreate = DeploymentFixture.deployment("ns", "web", 4, "img:1").editSpec().withNewStrategy().withType("Recreate")
                .endStrategy().endSpec().build();
        assertThat(Replicas.maxUnavailable(recreate)).isZero();
        assertThat(Replicas.maxSurge(recreate)).isZero();
        assertThat(Replicas.newRSNewReplicas(recreate, List.of(), rs("n", 0, 0, "2026-01-01T00:00:00Z"))).isEqualTo(4);
    }

    @Test
    void theNewReplicaSetGrowsWithinTheSurge() {
        Deployment d = deployment(12, "25%", "25%");
        ReplicaSet old = rs("old", 12, 15, "2026-01-01T00:00:00Z"), fresh = rs("new", 0, 15, "2026-01-01T00:01:00Z");
        assertThat(Replicas.newRSNewReplicas(d, List.of(old, fresh), fresh)).isEqualTo(3);
        // an old ReplicaSet scaled down whose pods are still there (its status says 12) makes no room yet
        old.getSpec().setReplicas(9);
        old.setStatus(new io.fabric8.kubernetes.api.model.apps.ReplicaSetStatusBuilder().withReplicas(12).build());
        ReplicaSet three = rs("new", 3, 15, "2026-01-01T00:01:00Z");
        assertThat(Replicas.newRSNewReplicas(d, List.of(old, three), three)).isEqualTo(3);
        old.getStatus().setReplicas(9);
        assertThat(Replicas.newRSNewReplicas(d, List.of(old, three), three)).isEqualTo(6);
    }

    @Test
    void proportionsFollowTheMaxReplicasAnnotation() {
        // 10 -> 15 replicas with maxSurge 3: the sets of 8 and 5 (sized for max 13) grow to 11 and 7
        Deployment d = deployment(15, 3, 2);
        ReplicaSet old = rs("old", 8, 13, "2026-01-01T00:00:00Z"), fresh = rs("new", 5, 13, "2026-01-01T00:01:00Z");
        int toAdd = 18 - 13;
        int p1 = Replicas.proportion(old, d, toAdd, 0);
        int p2 = Replicas.proportion(fresh, d, toAdd, p1);
        assertThat(p1).isEqualTo(3);
        assertThat(p2).isEqualTo(2);
        // scaling to zero takes everything
        assertThat(Replicas.proportion(old, deployment(0, 3, 2), -13, 0)).isEqualTo(-8);
        assertThat(List.of(fresh, old).stream().sorted(Replicas.BY_SIZE_NEWER).map(r -> r.getMetadata().getName()))
                .containsExactly("old", "new");
    }

    static PodTemplateSpec template(String image, Map<String, String> labels) {
        return new PodTemplateSpecBuilder().withNewMetadata().withLabels(labels).endMetadata()
                .withNewSpec().addNewContainer().withName("c").withImage(image).endContainer().endSpec().build();
    }

    @Test
    void theHashIsStableSafeAndChangesWithTheTemplateAndTheCollisionCount() {
        Map<String, String> ab = new HashMap<>(Map.of("a", "1", "b", "2"));
        String h = PodTemplates.hash(template("img:1", ab), null, JSON);
        assertThat(h).matches("[bcdfghjklmnpqrstvwxz2456789]{1,10}");
        assertThat(PodTemplates.hash(template("img:1", new java.util.TreeMap<>(ab)), null, JSON)).as("label order").isEqualTo(h);
        assertThat(PodTemplates.hash(template("img:2", ab), null, JSON)).isNotEqualTo(h);
        assertThat(PodTemplates.hash(template("img:1", ab), 1, JSON)).isNotEqualTo(h)
                .isNotEqualTo(PodTemplates.hash(template("img:1", ab), 2, JSON));
        // known answer: fixes the encoding so the names of existing ReplicaSets never change between versions
        assertThat(PodTemplates.safeEncode("0123456789")).isEqualTo("456789bcdf");
    }

    @Test
    void templatesAreEqualIgnoringTheHashLabelAndEmptyFields() {
        PodTemplateSpec a = template("img:1", Map.of("app", "web"));
        PodTemplateSpec b = template("img:1", Map.of("app", "web", PodTemplates.HASH_LABEL, "xyz"));
        assertThat(PodTemplates.equalIgnoreHash(a, b, JSON)).isTrue();
        b.getMetadata().setAnnotations(Map.of());
        assertThat(PodTemplates.equalIgnoreHash(a, b, JSON)).isTrue();
        assertThat(PodTemplates.equalIgnoreHash(a, template("img:2", Map.of("app", "web")), JSON)).isFalse();
    }

    @Test
    void revisionsAreRaisedRememberedAndAnnotationsCopiedExceptKubernetesOwn() {
        Deployment d = deployment(4, 1, 1);
        d.getMetadata().setAnnotations(Map.of("kubernetes.io/change-cause", "v2", Revisions.LAST_APPLIED, "{}",
                Revisions.REVISION, "9"));
        ReplicaSet created = new ReplicaSetBuilder().withNewMetadata().withName("new").endMetadata().withNewSpec().withReplicas(0).endSpec().build();
        assertThat(Revisions.setNewReplicaSetAnnotations(d, created, 3, false)).isTrue();
        assertThat(created.getMetadata().getAnnotations()).containsEntry("kubernetes.io/change-cause", "v2")
                .containsEntry(Revisions.REVISION, "3").containsEntry(Revisions.DESIRED_REPLICAS, "4")
                .containsEntry(Revisions.MAX_REPLICAS, "5").doesNotContainKey(Revisions.LAST_APPLIED)
                .doesNotContainKey(Revisions.REVISION_HISTORY);
        // an old ReplicaSet that comes back (undo) takes the next revision and remembers its old one
        assertThat(Revisions.setNewReplicaSetAnnotations(d, created, 5, true)).isTrue();
        assertThat(created.getMetadata().getAnnotations()).containsEntry(Revisions.REVISION, "5").containsEntry(Revisions.REVISION_HISTORY, "3");
        Revisions.setNewReplicaSetAnnotations(d, created, 7, true);
        assertThat(created.getMetadata().getAnnotations()).containsEntry(Revisions.REVISION, "7").containsEntry(Revisions.REVISION_HISTORY, "3,5");
        // never lowered
        assertThat(Revisions.setNewReplicaSetAnnotations(d, created, 2, true)).isFalse();
        assertThat(Revisions.revision(created)).isEqualTo(7);
    }
}
