package io.kubeha.controllers.nodelifecycle;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.NodeConditionBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.TaintBuilder;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The decisions of both controllers, driven through time by hand: no server, no waiting. */
class NodeLifecycleStateTest {
    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    static final Duration GRACE = Duration.ofSeconds(50);

    static NodeCondition condition(String type, String status, Instant heartbeat) {
        return new NodeConditionBuilder().withType(type).withStatus(status).withReason("Kubelet")
                .withLastHeartbeatTime(NodePlan.timestamp(heartbeat)).withLastTransitionTime(NodePlan.timestamp(T0)).build();
    }

    static Node node(String ready, Instant heartbeat, Taint... taints) {
        return new NodeBuilder().withNewMetadata().withName("n1").withCreationTimestamp(NodePlan.timestamp(T0)).endMetadata()
                .withNewSpec().withTaints(taints).endSpec()
                .withNewStatus().withConditions(condition("Ready", ready, heartbeat), condition("MemoryPressure", "False", heartbeat),
                        condition("DiskPressure", "False", heartbeat), condition("PIDPressure", "False", heartbeat),
                        condition("NetworkUnavailable", "False", heartbeat)).endStatus().build();
    }

    static Lease lease(Instant renew) {
        return new LeaseBuilder().withNewMetadata().withName("n1").withNamespace("kube-node-lease").endMetadata()
                .withNewSpec().withHolderIdentity("n1").withRenewTime(renew.atZone(ZoneOffset.UTC)).endSpec().build();
    }

    static Node withConditions(Node node, List<NodeCondition> conditions) {
        return new NodeBuilder(node).editStatus().withConditions(conditions).endStatus().build();
    }

    static Node withTaints(Node node, List<Taint> taints) {
        return new NodeBuilder(node).editSpec().withTaints(taints).endSpec().build();
    }

    static List<String> keys(List<Taint> taints) {
        return taints.stream().map(t -> t.getKey() + ":" + t.getEffect()).toList();
    }

    static boolean stale(NodeHealth health, Node node, Lease lease, Instant now) {
        return now.isAfter(health.observe(node, lease, now).plus(GRACE));
    }

    @Test
    void aNodeWhoseLeaseStopsBecomesUnknownAfterTheGracePeriodAndIsTaintedUnreachable() {
        NodeHealth health = new NodeHealth();
        Node node = node("True", T0);
        assertThat(stale(health, node, lease(T0), T0)).isFalse();
        // the lease keeps being renewed: the node stays healthy long after its status heartbeat
        Instant t = T0;
        for (int i = 1; i <= 10; i++) {
            t = T0.plusSeconds(10L * i);
            assertThat(stale(health, node, lease(t), t)).isFalse();
        }
        Instant lastRenew = t;
        // then it stops: healthy up to the grace period, stale one moment after
        assertThat(stale(health, node, lease(lastRenew), lastRenew.plus(GRACE))).isFalse();
        Instant now = lastRenew.plus(GRACE).plusSeconds(1);
        assertThat(stale(health, node, lease(lastRenew), now)).isTrue();

        List<NodeCondition> unknown = NodePlan.staleConditions(node, now);
        assertThat(unknown).extracting(NodeCondition::getType)
                .containsExactly("Ready", "MemoryPressure", "DiskPressure", "PIDPressure", "NetworkUnavailable");
        for (NodeCondition c : unknown.subList(0, 4)) {
            assertThat(c.getStatus()).isEqualTo("Unknown");
            assertThat(c.getReason()).isEqualTo("NodeStatusUnknown");
            assertThat(c.getMessage()).isEqualTo("Kubelet stopped posting node status.");
            assertThat(c.getLastTransitionTime()).isEqualTo(NodePlan.timestamp(now));
            assertThat(c.getLastHeartbeatTime()).isEqualTo(NodePlan.timestamp(T0)); // the kubelet's, kept
        }
        assertThat(unknown.get(4).getStatus()).as("NetworkUnavailable is not the kubelet's to report").isEqualTo("False");
        Node unknownNode = withConditions(node, unknown);
        assertThat(NodePlan.staleConditions(unknownNode, now.plusSeconds(5))).as("already Unknown: nothing to write").isNull();

        List<Taint> taints = NodePlan.taints(unknownNode, unknown, false, now);
        assertThat(keys(taints)).containsExactlyInAnyOrder("node.kubernetes.io/unreachable:NoSchedule",
                "node.kubernetes.io/unreachable:NoExecute");
        assertThat(taints).allSatisfy(x -> assertThat(x.getTimeAdded()).isEqualTo(NodePlan.timestamp(now)));
        Node tainted = withTaints(unknownNode, taints);
        assertThat(NodePlan.taints(tainted, unknown, false, now.plusSeconds(5))).as("taints in place: nothing to write").isNull();
    }

    @Test
    void aStatusHeartbeatAloneKeepsANodeWithoutLeaseHealthy() {
        NodeHealth health = new NodeHealth();
        assertThat(stale(health, node("True", T0), null, T0)).isFalse();
        Instant later = T0.plusSeconds(40);
        assertThat(stale(health, node("True", later), null, later)).isFalse();
        assertThat(stale(health, node("True", later), null, later.plus(GRACE))).isFalse();
        assertThat(stale(health, node("True", later), null, later.plus(GRACE).plusMillis(1))).isTrue();
    }

    @Test
    void aNodeThatNeverPostedStatusCountsFromItsCreationAndGetsNeverUpdatedConditions() {
        NodeHealth health = new NodeHealth();
        Node bare = new NodeBuilder().withNewMetadata().withName("n1").withCreationTimestamp(NodePlan.timestamp(T0)).endMetadata().build();
        Instant now = T0.plusSeconds(61);
        assertThat(now.isAfter(health.observe(bare, null, now).plus(Duration.ofSeconds(60)))).isTrue();
        List<NodeCondition> conditions = NodePlan.staleConditions(bare, now);
        assertThat(conditions).extracting(NodeCondition::getType).containsExactly("Ready", "MemoryPressure", "DiskPressure", "PIDPressure");
        assertThat(conditions).allSatisfy(c -> {
            assertThat(c.getStatus()).isEqualTo("Unknown");
            assertThat(c.getReason()).isEqualTo("NodeStatusNeverUpdated");
            assertThat(c.getMessage()).isEqualTo("Kubelet never posted node status.");
            assertThat(c.getLastHeartbeatTime()).isEqualTo(NodePlan.timestamp(T0));
        });
        // but a lease, once seen, counts from when it was seen
        NodeHealth other = new NodeHealth();
        assertThat(now.isAfter(other.observe(bare, lease(T0), now).plus(Duration.ofSeconds(60)))).isFalse();
    }

    @Test
    void theNoExecuteTaintFollowsReadyAndGoesWhenTheNodeIsReadyAgain() {
        Instant t1 = T0.plusSeconds(100);
        Taint own = new TaintBuilder().withKey("example.com/dedicated").withValue("db").withEffect("NoSchedule").build();
        Node unknown = withConditions(node("True", T0, own), NodePlan.staleConditions(node("True", T0), t1));
        Node tainted = withTaints(unknown, NodePlan.taints(unknown, unknown.getStatus().getConditions(), false, t1));
        Taint unreachable = tainted.getSpec().getTaints().stream().filter(x -> x.getEffect().equals("NoExecute")).findFirst().orElseThrow();

        // the kubelet comes back saying NotReady: unreachable swapped for not-ready, the user's taint kept
        Instant t2 = t1.plusSeconds(30);
        Node notReady = withConditions(tainted, List.of(condition("Ready", "False", t2)));
        List<Taint> swapped = NodePlan.taints(notReady, notReady.getStatus().getConditions(), false, t2);
        assertThat(keys(swapped)).containsExactlyInAnyOrder("example.com/dedicated:NoSchedule",
                "node.kubernetes.io/not-ready:NoSchedule", "node.kubernetes.io/not-ready:NoExecute");
        assertThat(swapped).filteredOn(x -> x.getKey().equals("node.kubernetes.io/not-ready"))
                .allSatisfy(x -> assertThat(x.getTimeAdded()).isEqualTo(NodePlan.timestamp(t2)));
        assertThat(unreachable.getTimeAdded()).isEqualTo(NodePlan.timestamp(t1));

        // Ready again: every taint of ours goes, the user's stays
        Node readyAgain = withConditions(withTaints(notReady, swapped), List.of(condition("Ready", "True", t2.plusSeconds(5))));
        assertThat(keys(NodePlan.taints(readyAgain, readyAgain.getStatus().getConditions(), false, t2.plusSeconds(5))))
                .containsExactly("example.com/dedicated:NoSchedule");

        // pressure and unschedulable give NoSchedule taints only
        Node pressured = new NodeBuilder(withConditions(node("True", t2), List.of(condition("Ready", "True", t2),
                condition("MemoryPressure", "True", t2), condition("DiskPressure", "True", t2), condition("PIDPressure", "True", t2),
                condition("NetworkUnavailable", "True", t2)))).editSpec().withUnschedulable(true).endSpec().build();
        assertThat(keys(NodePlan.taints(pressured, pressured.getStatus().getConditions(), false, t2))).containsExactlyInAnyOrder(
                "node.kubernetes.io/memory-pressure:NoSchedule", "node.kubernetes.io/disk-pressure:NoSchedule",
                "node.kubernetes.io/pid-pressure:NoSchedule", "node.kubernetes.io/network-unavailable:NoSchedule",
                "node.kubernetes.io/unschedulable:NoSchedule");
    }

    @Test
    void whenNoNodeIsReadyNothingIsTaintedNoExecute() {
        Instant t1 = T0.plusSeconds(100);
        Node unknown = withConditions(node("True", T0), NodePlan.staleConditions(node("True", T0), t1));
        Node tainted = withTaints(unknown, NodePlan.taints(unknown, unknown.getStatus().getConditions(), false, t1));
        assertThat(keys(NodePlan.taints(tainted, tainted.getStatus().getConditions(), true, t1.plusSeconds(5))))
                .containsExactly("node.kubernetes.io/unreachable:NoSchedule");
        assertThat(keys(NodePlan.taints(unknown, unknown.getStatus().getConditions(), true, t1)))
                .containsExactly("node.kubernetes.io/unreachable:NoSchedule");
    }

    static Toleration toleration(String key, String effect, Long seconds) {
        return new TolerationBuilder().withKey(key).withOperator("Exists").withEffect(effect).withTolerationSeconds(seconds).build();
    }

    static Pod pod(Instant created, Toleration... tolerations) {
        return new PodBuilder().withNewMetadata().withName("p").withNamespace("default").withCreationTimestamp(NodePlan.timestamp(created))
                .endMetadata().withNewSpec().withNodeName("n1").withTolerations(tolerations).endSpec().build();
    }

    static Taint taint(String key, Instant added) {
        return new TaintBuilder().withKey(key).withEffect("NoExecute").withTimeAdded(NodePlan.timestamp(added)).build();
    }

    @Test
    void evictionsAreDueWhenTheSmallestUsedTolerationRunsOutFromTheTaintsTime() {
        Instant tainted = T0.plusSeconds(100);
        List<Taint> unreachable = List.of(taint(Taints.UNREACHABLE, tainted));
        Pod defaults = pod(T0, toleration(Taints.NOT_READY, "NoExecute", 300L), toleration(Taints.UNREACHABLE, "NoExecute", 300L));
        assertThat(TaintEviction.tolerationTime(defaults, unreachable)).isEqualTo(Duration.ofSeconds(300));
        assertThat(TaintEviction.start(defaults, unreachable, tainted.plusSeconds(7))).isEqualTo(tainted);

        Pod none = pod(T0);
        assertThat(TaintEviction.tolerationTime(none, unreachable)).isEqualTo(Duration.ZERO);
        assertThat(TaintEviction.tolerationTime(none, List.of())).as("no taint, nothing to do").isNull();

        Pod forever = pod(T0, toleration(Taints.UNREACHABLE, "NoExecute", null));
        assertThat(TaintEviction.tolerationTime(forever, unreachable)).isNull();
        Pod everything = pod(T0, new TolerationBuilder().withOperator("Exists").build());
        assertThat(TaintEviction.tolerationTime(everything, unreachable)).isNull();

        // two taints: each must be tolerated; the smallest used tolerationSeconds wins
        List<Taint> two = new ArrayList<>(unreachable);
        two.add(taint("example.com/maintenance", tainted.plusSeconds(20)));
        assertThat(TaintEviction.tolerationTime(defaults, two)).as("maintenance not tolerated").isEqualTo(Duration.ZERO);
        Pod both = pod(T0, toleration(Taints.UNREACHABLE, "NoExecute", 300L), toleration("example.com/maintenance", "", 60L));
        assertThat(TaintEviction.tolerationTime(both, two)).isEqualTo(Duration.ofSeconds(60));
        assertThat(TaintEviction.start(both, two, tainted.plusSeconds(30))).as("from the earliest taint").isEqualTo(tainted);
        Pod negative = pod(T0, toleration(Taints.UNREACHABLE, "NoExecute", -5L));
        assertThat(TaintEviction.tolerationTime(negative, unreachable)).isEqualTo(Duration.ZERO);

        // a pod bound after the taint was added counts from its binding; a taint without timeAdded from now
        Pod late = pod(tainted.plusSeconds(40), toleration(Taints.UNREACHABLE, "NoExecute", 300L));
        assertThat(TaintEviction.start(late, unreachable, tainted.plusSeconds(50))).isEqualTo(tainted.plusSeconds(40));
        Taint untimed = new TaintBuilder().withKey("example.com/x").withEffect("NoExecute").build();
        assertThat(TaintEviction.start(none, List.of(untimed), tainted)).isEqualTo(tainted);
    }

    @Test
    void zonesTaintAtTheirRateAndNotAtAllWhenPartlyDownInASmallCluster() {
        Zones zones = new Zones(NodeLifecycleOptions.defaults());
        assertThat(zones.state(List.of("True", "Unknown"))).isEqualTo(Zones.State.NORMAL);
        assertThat(zones.state(List.of("Unknown", "False"))).isEqualTo(Zones.State.FULL_DISRUPTION);
        assertThat(zones.state(List.of("True", "Unknown", "Unknown", "False"))).isEqualTo(Zones.State.PARTIAL_DISRUPTION);
        assertThat(zones.state(List.of("True", "True", "Unknown", "Unknown"))).as("fewer than 3 down").isEqualTo(Zones.State.NORMAL);
        assertThat(zones.rate(Zones.State.NORMAL, 4)).isEqualTo(0.1);
        assertThat(zones.rate(Zones.State.FULL_DISRUPTION, 4)).isEqualTo(0.1);
        assertThat(zones.rate(Zones.State.PARTIAL_DISRUPTION, 50)).isZero();
        assertThat(zones.rate(Zones.State.PARTIAL_DISRUPTION, 51)).isEqualTo(0.01);

        // 0.1 per second, burst 1: the first node at once, the next one 10 seconds later, per zone
        assertThat(zones.tryAcquire("a", 0.1, T0)).isTrue();
        assertThat(zones.tryAcquire("a", 0.1, T0.plusSeconds(5))).isFalse();
        assertThat(zones.tryAcquire("b", 0.1, T0.plusSeconds(5))).as("another zone has its own bucket").isTrue();
        assertThat(zones.tryAcquire("a", 0.1, T0.plusSeconds(10))).isTrue();
        assertThat(zones.tryAcquire("a", 0.1, T0.plusSeconds(11))).isFalse();
        assertThat(zones.tryAcquire("c", 0, T0)).as("a fresh bucket holds one token").isTrue();
        assertThat(zones.tryAcquire("c", 0, T0.plusSeconds(3600))).as("rate 0: never again").isFalse();

        Node labelled = new NodeBuilder(node("True", T0)).editMetadata()
                .addToLabels("topology.kubernetes.io/region", "eu").addToLabels("topology.kubernetes.io/zone", "eu-1a").endMetadata().build();
        assertThat(Zones.zone(labelled)).isEqualTo("eu:\u0000:eu-1a");
        assertThat(Zones.zone(node("True", T0))).isEqualTo(":\u0000:");
    }

    @Test
    void onlyANewNoExecuteTaintIsPacedNotASwap() {
        Instant t1 = T0.plusSeconds(100);
        Node unknown = withConditions(node("True", T0), NodePlan.staleConditions(node("True", T0), t1));
        List<Taint> first = NodePlan.taints(unknown, unknown.getStatus().getConditions(), false, t1);
        assertThat(NodePlan.addsNoExecute(unknown, first)).isTrue();
        Node tainted = withTaints(unknown, first);
        Node notReady = withConditions(tainted, List.of(condition("Ready", "False", t1)));
        assertThat(NodePlan.addsNoExecute(tainted, NodePlan.taints(notReady, notReady.getStatus().getConditions(), false, t1))).isFalse();
    }

    @Test
    void optionsAreValidatedAndDefaultToKubernetes() {
        NodeLifecycleOptions d = NodeLifecycleOptions.defaults();
        assertThat(d.monitorPeriod()).isEqualTo(Duration.ofSeconds(5));
        assertThat(d.monitorGracePeriod()).isEqualTo(Duration.ofSeconds(50));
        assertThat(d.startupGracePeriod()).isEqualTo(Duration.ofSeconds(60));
        assertThat(d.evictionRate()).isEqualTo(0.1);
        assertThat(d.secondaryEvictionRate()).isEqualTo(0.01);
        assertThat(d.largeClusterSizeThreshold()).isEqualTo(50);
        assertThat(d.unhealthyZoneThreshold()).isEqualTo(0.55);
        assertThatThrownBy(() -> d.withEviction(-1, 0.01, 50, 0.55)).hasMessageContaining("eviction rates");
        assertThatThrownBy(() -> d.withEviction(0.1, Double.NaN, 50, 0.55)).hasMessageContaining("eviction rates");
        assertThatThrownBy(() -> d.withEviction(0.1, 0.01, -1, 0.55)).hasMessageContaining("large cluster size threshold");
        assertThatThrownBy(() -> d.withEviction(0.1, 0.01, 50, 0)).hasMessageContaining("unhealthy zone threshold");
        assertThatThrownBy(() -> new NodeLifecycleOptions(Duration.ZERO, GRACE, GRACE)).hasMessageContaining("monitor period must be positive");
        assertThatThrownBy(() -> new NodeLifecycleOptions(Duration.ofSeconds(5), Duration.ofSeconds(5), GRACE))
                .hasMessageContaining("grace period").hasMessageContaining("greater than");
        assertThatThrownBy(() -> new NodeLifecycleOptions(Duration.ofSeconds(5), GRACE, Duration.ZERO))
                .hasMessageContaining("startup grace period");
    }
}
