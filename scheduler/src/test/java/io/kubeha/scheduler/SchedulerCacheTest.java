package io.kubeha.scheduler;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.kubeha.scheduler.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

/** The incremental cache and the snapshot the scheduling loop refreshes from it, driven as the informers drive it. */
class SchedulerCacheTest {
    private final SchedulerCache cache = new SchedulerCache();
    private final SchedulerCache.Snapshot snapshot = new SchedulerCache.Snapshot();

    private NodeInfo node(String name) {
        cache.updateSnapshot(snapshot);
        return snapshot.get(name);
    }

    private List<String> names() {
        cache.updateSnapshot(snapshot);
        return snapshot.nodes().stream().map(NodeInfo::name).toList();
    }

    private static Pod finished(Pod bound) {
        return new PodBuilder(bound).withNewStatus().withPhase("Succeeded").endStatus().build();
    }

    @Test
    void assumedPodCountsAtOnceIsConfirmedByTheInformerAndFreesItsRoomWhenDeleted() {
        cache.addOrUpdateNode(worker("node1"));
        cache.addOrUpdateNode(worker("node2"));
        Pod pending = podRequesting("p", "1", "1Gi").build();

        cache.assume(pending, "node1");
        assertThat(cache.isAssumed("default/p")).isTrue();
        assertThat(node("node1").requestedMilliCpu).isEqualTo(1000);
        assertThat(node("node1").pods).containsExactly(pending);

        // the informer still shows it pending (the binding is on its way): it stays assumed and counted
        cache.podSeen(pending, false);
        assertThat(cache.isAssumed("default/p")).isTrue();
        assertThat(node("node1").requestedMilliCpu).isEqualTo(1000);

        // the informer shows it bound: confirmed, counted once, and a late failure report no longer removes it
        Pod bound = bound(pending, "node1");
        cache.podSeen(bound, true);
        assertThat(cache.isAssumed("default/p")).isFalse();
        assertThat(node("node1").pods).containsExactly(bound);
        assertThat(node("node1").requestedMilliCpu).isEqualTo(1000);
        cache.forget(pending);
        assertThat(node("node1").requestedMilliCpu).isEqualTo(1000);

        cache.podDeleted(bound);
        assertThat(node("node1").pods).isEmpty();
        assertThat(node("node1").requestedMilliCpu).isZero();
        assertThat(node("node1").requestedMemory).isZero();
    }

    @Test
    void aFailedBindingForgetsTheAssumedPod() {
        cache.addOrUpdateNode(worker("node1"));
        Pod web = pod("web").editSpec().editFirstContainer().addNewPort().withContainerPort(80).withHostPort(8080).endPort()
                .endContainer().endSpec().build();
        cache.assume(web, "node1");
        assertThat(node("node1").usedPorts).hasSize(1);
        cache.forget(web);
        assertThat(cache.isAssumed("default/web")).isFalse();
        assertThat(node("node1").pods).isEmpty();
        assertThat(node("node1").usedPorts).isEmpty();
    }

    @Test
    void aPodBoundElsewhereThanAssumedMovesAndAFinishedPodStopsCounting() {
        cache.addOrUpdateNode(worker("node1"));
        cache.addOrUpdateNode(worker("node2"));
        Pod p = podRequesting("p", "2", "1Gi").build();
        cache.assume(p, "node1");
        cache.podSeen(bound(p, "node2"), true); // another scheduler's binding won
        assertThat(node("node1").pods).isEmpty();
        assertThat(node("node2").requestedMilliCpu).isEqualTo(2000);

        cache.podSeen(finished(bound(p, "node2")), false);
        assertThat(node("node2").pods).isEmpty();
        assertThat(node("node2").requestedMilliCpu).isZero();
    }

    @Test
    void aPodDeletedWhileAssumedLeavesNothingBehind() {
        cache.addOrUpdateNode(worker("node1"));
        Pod p = podRequesting("p", "1", "1Gi").build();
        cache.assume(p, "node1");
        cache.podDeleted(p);
        assertThat(cache.isAssumed("default/p")).isFalse();
        assertThat(cache.contains("default/p")).isFalse();
        assertThat(node("node1").pods).isEmpty();
        cache.forget(p); // the binding's 404 arrives after the delete
        assertThat(node("node1").requestedMilliCpu).isZero();
    }

    @Test
    void aRemovedNodeLeavesTheSnapshotAndComesBackWithItsPodsStillCounted() {
        cache.addOrUpdateNode(worker("node1"));
        cache.addOrUpdateNode(worker("node2"));
        cache.addOrUpdateNode(worker("node3"));
        assertThat(names()).containsExactly("node1", "node2", "node3");
        Pod running = bound(podRequesting("r", "3", "1Gi").build(), "node2");
        cache.podSeen(running, true);

        cache.removeNode("node2"); // its pod is still there (not deleted yet): the node is no candidate
        cache.removeNode("node3"); // nothing on it
        assertThat(names()).containsExactly("node1");
        assertThat(cache.nodeCount()).isEqualTo(1);

        cache.addOrUpdateNode(worker("node2"));
        assertThat(names()).containsExactly("node1", "node2");
        assertThat(node("node2").requestedMilliCpu).isEqualTo(3000);
    }

    @Test
    void podsSeenBeforeTheirNodeCountOnceItArrives() {
        cache.podSeen(bound(podRequesting("early", "1", "1Gi").build(), "late"), true);
        assertThat(names()).isEmpty();
        cache.addOrUpdateNode(worker("late"));
        assertThat(names()).containsExactly("late");
        assertThat(node("late").requestedMilliCpu).isEqualTo(1000);
        assertThat(node("late").allocatableMilliCpu()).isEqualTo(4000);
    }

    @Test
    void aSnapshotUpdateCopiesOnlyTheNodesThatChangedAndKeepsItsCopiesApart() {
        for (int i = 0; i < 1000; i++) cache.addOrUpdateNode(worker(String.format("node%04d", i)));
        cache.updateSnapshot(snapshot);
        assertThat(snapshot.lastCopied).isEqualTo(1000);
        assertThat(snapshot.nodes()).hasSize(1000);

        cache.updateSnapshot(snapshot);
        assertThat(snapshot.lastCopied).isZero();
        // the same version of a node seen again (the informer's add after a new leader seeded the cache) changes nothing
        var again = new io.fabric8.kubernetes.api.model.NodeBuilder(worker("node0001")).editMetadata().withResourceVersion("7").endMetadata().build();
        cache.addOrUpdateNode(again);
        cache.updateSnapshot(snapshot);
        assertThat(snapshot.lastCopied).isEqualTo(1);
        cache.addOrUpdateNode(new io.fabric8.kubernetes.api.model.NodeBuilder(again).build());
        cache.updateSnapshot(snapshot);
        assertThat(snapshot.lastCopied).isZero();

        Pod a = podRequesting("a", "1", "1Gi").build();
        cache.assume(a, "node0500");
        cache.assume(podRequesting("b", "1", "1Gi").build(), "node0007");
        cache.updateSnapshot(snapshot);
        assertThat(snapshot.lastCopied).isEqualTo(2);
        NodeInfo seen = snapshot.get("node0500");
        assertThat(seen.pods).hasSize(1);
        assertThat(snapshot.nodes().get(500)).isSameAs(seen); // the ordered list sees the refreshed entry

        // the snapshot is a copy: the cache moving on does not change what a running cycle looks at
        cache.forget(a);
        assertThat(seen.pods).hasSize(1);
        cache.updateSnapshot(snapshot);
        assertThat(snapshot.lastCopied).isEqualTo(1);
        assertThat(seen.pods).isEmpty();
    }

    @Test
    void theSchedulerDecidesOnTheCachedView() {
        Framework framework = Framework.defaults(new java.util.Random(1));
        for (var n : seedNodes()) cache.addOrUpdateNode(n);
        // both workers are full of cpu through pods the cache knows, assumed or bound
        cache.podSeen(bound(podRequesting("x", "4", "1Gi").build(), "node1"), true);
        cache.assume(podRequesting("y", "4", "1Gi").build(), "node2");
        cache.updateSnapshot(snapshot);
        var noFit = (Framework.Result.NoFit) framework.schedule(podRequesting("z", "1", "1Gi").editSpec()
                .withNodeSelector(java.util.Map.of(ROLE, "node")).endSpec().build(), new ClusterSnapshot(snapshot.nodes(), List.of()));
        assertThat(noFit.message()).isEqualTo("0/5 nodes are available: 2 Insufficient cpu, 3 node(s) had untolerated taint "
                + "{node-role.kubernetes.io/control-plane: }. preemption: 0/5 nodes are available: 2 No preemption victims found for "
                + "incoming pod, 3 Preemption is not helpful for scheduling.");
    }
}
