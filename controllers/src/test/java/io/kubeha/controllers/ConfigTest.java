package io.kubeha.controllers;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConfigTest {
    @Test
    void defaultsAreKubernetes() {
        var c = ControllerManager.Config.defaults();
        assertThat(c.leaseNamespace()).isEqualTo("kube-system");
        assertThat(c.leaseName()).isEqualTo("kube-controller-manager");
        assertThat(c.leaseDuration()).isEqualTo(Duration.ofSeconds(15));
        assertThat(c.renewDeadline()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.retryPeriod()).isEqualTo(Duration.ofSeconds(2));
        assertThat(c.controllers()).containsExactlyInAnyOrderElementsOf(ControllerManager.CONTROLLERS.keySet())
                .contains("replicaset", "deployment", "namespace", "serviceaccount", "endpoints", "garbagecollector", "daemonset", "nodelifecycle", "tainteviction");
        assertThat(c.nodeLifecycle()).isEqualTo(io.kubeha.controllers.nodelifecycle.NodeLifecycleOptions.defaults());
        var shorter = new io.kubeha.controllers.nodelifecycle.NodeLifecycleOptions(Duration.ofSeconds(1), Duration.ofSeconds(3), Duration.ofSeconds(3));
        assertThat(c.withNodeLifecycle(shorter).nodeLifecycle()).isEqualTo(shorter);
        assertThat(c.withNodeLifecycle(shorter).withIdentity("x").nodeLifecycle()).isEqualTo(shorter);
        assertThat(c.identity()).contains("_" + ProcessHandle.current().pid() + "_");
        assertThat(ControllerManager.defaultIdentity()).isNotEqualTo(ControllerManager.defaultIdentity());
    }

    @Test
    void timingsMustBeOrdered() {
        var c = ControllerManager.Config.defaults();
        assertThatThrownBy(() -> c.withTimings(Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofSeconds(2)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("leaseDuration");
        assertThatThrownBy(() -> c.withTimings(Duration.ofSeconds(15), Duration.ofSeconds(2), Duration.ofSeconds(2)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("renewDeadline");
        assertThatThrownBy(() -> c.withTimings(Duration.ofSeconds(15), Duration.ofSeconds(10), Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("retryPeriod");
        assertThatThrownBy(() -> c.withControllers(Set.of("nope"))).hasMessageContaining("unknown controller nope");
        assertThatThrownBy(() -> c.withIdentity(" ")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> c.withNodeLifecycle(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("nodeLifecycle");
    }
}
