package io.kubeha.scheduler;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SchedulerConfigTest {
    @Test
    void defaultsAreKubernetes() {
        SchedulerConfig c = SchedulerConfig.defaults();
        assertThat(c.schedulerName()).isEqualTo("default-scheduler");
        assertThat(c.leaseNamespace()).isEqualTo("kube-system");
        assertThat(c.leaseName()).isEqualTo("kube-scheduler");
        assertThat(c.leaseDuration()).isEqualTo(Duration.ofSeconds(15));
        assertThat(c.renewDeadline()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.retryPeriod()).isEqualTo(Duration.ofSeconds(2));
        assertThat(c.initialBackoff()).isEqualTo(Duration.ofSeconds(1));
        assertThat(c.maxBackoff()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.identity()).contains("_" + ProcessHandle.current().pid() + "_");
        assertThat(SchedulerConfig.defaults().identity()).isNotEqualTo(c.identity());
    }

    @Test
    void leaseMustOutlastRenewDeadlineWhichMustOutlastRetryPeriod() {
        SchedulerConfig c = SchedulerConfig.defaults();
        assertThatThrownBy(() -> c.withLeaderElection(Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofSeconds(2)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("leaseDuration");
        assertThatThrownBy(() -> c.withLeaderElection(Duration.ofSeconds(15), Duration.ofSeconds(2), Duration.ofSeconds(2)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("renewDeadline");
        assertThatThrownBy(() -> c.withLeaderElection(Duration.ofSeconds(15), Duration.ofSeconds(10), Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> c.withBackoff(Duration.ofSeconds(2), Duration.ofSeconds(1))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> c.withIdentity(" ")).isInstanceOf(IllegalArgumentException.class);
        assertThat(c.withLeaderElection(Duration.ofSeconds(3), Duration.ofSeconds(2), Duration.ofSeconds(1)).leaseDuration()).isEqualTo(Duration.ofSeconds(3));
    }
}
