package io.kubeha.controllers.deployment;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The history check of the rollout tests must be able to fail: made-up histories, good and bad. */
class PodHistoryTest {
    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    static Pod pod(String name, boolean ready, Instant readySince) {
        PodBuilder b = new PodBuilder().withNewMetadata().withName(name).withLabels(Map.of("app", "web")).endMetadata();
        if (ready) {
            b.withNewStatus().withPhase("Running").addNewCondition().withType("Ready").withStatus("True")
                    .withLastTransitionTime(readySince.toString()).endCondition().endStatus();
        }
        return b.build();
    }

    static List<PodHistory.Event> twelveReady() {
        List<PodHistory.Event> h = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            h.add(new PodHistory.Event("LISTED", pod("old-" + i, true, T0), T0));
        }
        return h;
    }

    @Test
    void aGoodRollingStepPasses() {
        List<PodHistory.Event> h = twelveReady();
        for (int i = 0; i < 3; i++) {
            h.add(new PodHistory.Event("ADDED", pod("new-" + i, false, null), T0.plusSeconds(1)));
        }
        for (int i = 0; i < 3; i++) {
            h.add(new PodHistory.Event("DELETED", pod("old-" + i, true, T0), T0.plusSeconds(2)));
        }
        assertThat(PodHistory.violations(h, p -> true, 9, 15, 0)).isEmpty();
        assertThat(PodHistory.maxPods(h, p -> true)).isEqualTo(15);
    }

    @Test
    void tooFewAvailableIsFlagged() {
        List<PodHistory.Event> h = twelveReady();
        for (int i = 0; i < 4; i++) {
            h.add(new PodHistory.Event("DELETED", pod("old-" + i, true, T0), T0.plusSeconds(1)));
        }
        assertThat(PodHistory.violations(h, p -> true, 9, 15, 0)).singleElement().asString()
                .contains("DELETED old-3").contains("8 available < 9");
    }

    @Test
    void aPodBeingDeletedIsNotAvailable() {
        List<PodHistory.Event> h = twelveReady();
        for (int i = 0; i < 4; i++) {
            Pod deleting = new PodBuilder(pod("old-" + i, true, T0)).editMetadata().withDeletionTimestamp(T0.toString()).endMetadata().build();
            h.add(new PodHistory.Event("MODIFIED", deleting, T0.plusSeconds(1)));
        }
        assertThat(PodHistory.violations(h, p -> true, 9, 15, 0)).hasSize(1);
    }

    @Test
    void tooManyPodsAreFlagged() {
        List<PodHistory.Event> h = twelveReady();
        for (int i = 0; i < 4; i++) {
            h.add(new PodHistory.Event("ADDED", pod("new-" + i, false, null), T0.plusSeconds(1)));
        }
        assertThat(PodHistory.violations(h, p -> true, 9, 15, 0)).singleElement().asString().contains("16 pods > 15");
    }

    @Test
    void readyIsNotAvailableBeforeMinReadySeconds() {
        List<PodHistory.Event> h = new ArrayList<>();
        h.add(new PodHistory.Event("LISTED", pod("a", true, T0), T0.plusSeconds(10)));
        h.add(new PodHistory.Event("ADDED", pod("b", true, T0.plusSeconds(10)), T0.plusSeconds(11)));
        h.add(new PodHistory.Event("DELETED", pod("a", true, T0), T0.plusSeconds(11)));
        // b has been ready for 1s of the 2 it needs when a goes: nothing is available then
        assertThat(PodHistory.violations(h, p -> true, 1, 2, 2)).singleElement().asString().contains("0 available < 1");
        assertThat(PodHistory.violations(h, p -> true, 1, 2, 1)).isEmpty();
    }

    @Test
    void aBrokenWatchIsNotAHistory() {
        List<PodHistory.Event> h = twelveReady();
        h.add(new PodHistory.Event("ERROR", null, T0));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> PodHistory.violations(h, p -> true, 9, 15, 0))
                .hasMessageContaining("incomplete");
    }
}
