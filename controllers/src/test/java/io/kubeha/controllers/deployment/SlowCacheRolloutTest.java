package io.kubeha.controllers.deployment;

import io.kubeha.controllers.ApiFixture;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The rolling update of 12 with the controllers' watches 300ms late: every step is then computed from caches
 * that have not seen the last writes (the ReplicaSets just scaled, their pods, their status). The limits must
 * hold all the same: a stale view may only fail a write (conflict) or wait, never make surplus pods or remove
 * available ones early.
 */
class SlowCacheRolloutTest {
    @Test
    void aLaggingCacheNeverBreaksTheSurgeOrAvailabilityLimits() throws Exception {
        try (DeploymentFixture f = new DeploymentFixture(Duration.ofMillis(300))) {
            String ns = "slow";
            f.namespace(ns);
            f.create(DeploymentFixture.deployment(ns, "web", 12, "img:1"));
            f.awaitRolledOut(ns, "web");
            List<PodHistory.Event> history;
            try (PodHistory h = PodHistory.start(f.client, ns)) {
                f.setImage(ns, "web", "img:2");
                await().atMost(ApiFixture.WAIT).until(() -> f.rolledOut(ns, "web") && f.pods(ns, "web").size() == 12
                        && f.pods(ns, "web").stream().allMatch(p -> p.getSpec().getContainers().getFirst().getImage().equals("img:2")));
                history = h.events();
            }
            assertThat(PodHistory.violations(history, RollingUpdateTest.ownedBy(f.replicaSets(ns, "web")), 9, 15, 0)).isEmpty();
            assertThat(f.replicaSets(ns, "web")).hasSize(2);
        }
    }
}
