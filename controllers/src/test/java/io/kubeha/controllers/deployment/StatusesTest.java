package io.kubeha.controllers.deployment;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatus;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Status and conditions at chosen instants: the deadline arithmetic without waiting for time to pass. */
class StatusesTest {
    static final Instant T = Instant.parse("2026-01-01T00:00:00Z");

    static ReplicaSet rs(String name, int spec, int replicas, int ready, int available) {
        return new ReplicaSetBuilder().withNewMetadata().withName(name).endMetadata().withNewSpec().withReplicas(spec).endSpec()
                .withNewStatus().withReplicas(replicas).withReadyReplicas(ready).withAvailableReplicas(available).endStatus().build();
    }

    static Deployment deployment(int replicas, int deadlineSeconds) {
        Deployment d = DeploymentFixture.deployment("ns", "web", replicas, "img:1").editSpec().withProgressDeadlineSeconds(deadlineSeconds)
                .endSpec().editMetadata().withGeneration(2L).endMetadata().build();
        d.setStatus(new DeploymentStatus());
        return d;
    }

    @Test
    void availableWhileNoMoreThanMaxUnavailableAreMissing() {
        Deployment d = deployment(12, 600);
        DeploymentStatus ok = Statuses.calculate(List.of(rs("old", 3, 3, 3, 3), rs("new", 9, 9, 9, 6)), null, d, T);
        assertThat(ok.getAvailableReplicas()).isEqualTo(9);
        assertThat(ok.getUnavailableReplicas()).isEqualTo(3);
        assertThat(ok.getReplicas()).isEqualTo(12);
        assertThat(ok.getObservedGeneration()).isEqualTo(2L);
        assertThat(Conditions.get(ok, Conditions.AVAILABLE).getStatus()).isEqualTo("True");
        DeploymentStatus low = Statuses.calculate(List.of(rs("old", 3, 3, 3, 2), rs("new", 9, 9, 9, 6)), null, d, T);
        assertThat(Conditions.get(low, Conditions.AVAILABLE).getReason()).isEqualTo("MinimumReplicasUnavailable");
    }

    @Test
    void noProgressPastTheDeadlineTimesOutAndIsLookedAtAgainWhenItIsDue() {
        Deployment d = deployment(2, 10);
        ReplicaSet stuck = rs("web-abc", 2, 2, 0, 0);
        Conditions.set(d.getStatus(), Conditions.condition(Conditions.PROGRESSING, "True", Conditions.NEW_RS_CREATED, "Created", T));
        d.setStatus(Statuses.rollout(List.of(stuck), stuck, d, T.plusSeconds(1)));
        // that first sync saw progress (2 pods updated): the clock restarts at T+1s
        assertThat(Conditions.get(d.getStatus(), Conditions.PROGRESSING).getReason()).isEqualTo(Conditions.RS_UPDATED);

        DeploymentStatus at5 = Statuses.rollout(List.of(stuck), stuck, d, T.plusSeconds(5));
        assertThat(Statuses.same(d.getStatus(), at5)).as("nothing new at T+5s").isTrue();
        assertThat(Statuses.requeueStuck(d, at5, T.plusSeconds(5))).isEqualTo(Duration.ofSeconds(7)); // due at T+11s, plus 1s

        DeploymentStatus at12 = Statuses.rollout(List.of(stuck), stuck, d, T.plusSeconds(12));
        var c = Conditions.get(at12, Conditions.PROGRESSING);
        assertThat(c.getStatus()).isEqualTo("False");
        assertThat(c.getReason()).isEqualTo("ProgressDeadlineExceeded");
        assertThat(c.getMessage()).isEqualTo("ReplicaSet \"web-abc\" has timed out progressing.");
        d.setStatus(at12);
        assertThat(Statuses.requeueStuck(d, at12, T.plusSeconds(12))).as("timed out: nothing more to wait for").isNull();
    }

    @Test
    void aCompleteRolloutSaysSoAndIsNotTimedOutLater() {
        Deployment d = deployment(2, 10);
        ReplicaSet done = rs("web-abc", 2, 2, 2, 2);
        d.setStatus(Statuses.rollout(List.of(done), done, d, T));
        var c = Conditions.get(d.getStatus(), Conditions.PROGRESSING);
        assertThat(c.getReason()).isEqualTo("NewReplicaSetAvailable");
        assertThat(c.getMessage()).isEqualTo("ReplicaSet \"web-abc\" has successfully progressed.");
        assertThat(Statuses.isComplete(d, d.getStatus())).isTrue();
        DeploymentStatus later = Statuses.rollout(List.of(done), done, d, T.plusSeconds(3600));
        assertThat(Statuses.same(d.getStatus(), later)).isTrue();
        assertThat(Statuses.requeueStuck(d, later, T.plusSeconds(3600))).isNull();
    }
}
