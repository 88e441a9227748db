package io.kubeha.controllers.daemonset;

import io.kubeha.controllers.OwnerRefs;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.ControllerRevision;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.kubeha.controllers.ApiFixture;
import io.kubeha.testkit.Kubectl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import static io.kubeha.controllers.daemonset.Cluster.NS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Template updates of a DaemonSet on the three masters: RollingUpdate within maxUnavailable (or maxSurge), judged
 * from the watch history of its pods; ControllerRevisions; {@code kubectl rollout history} and {@code rollout
 * undo}; OnDelete; history cleanup.
 */
class RollingUpdateTest {
    static final Map<String, String> MASTERS = Map.of("role", "master");
    static final Set<String> MASTER_NODES = Set.of("master1", "master2", "master3");
    Cluster cluster;

    @BeforeEach
    void setUp() throws Exception {
        cluster = new Cluster();
        cluster.seedNodes();
    }

    @AfterEach
    void tearDown() throws Exception {
        cluster.close();
    }

    /**
     * From the pod watch, in event order (its own copy of each pod, as the events carry them): the most eligible
     * nodes without a ready, not-deleting pod of the DaemonSet at any moment, and the most live pods at once.
     */
    final class Monitor implements AutoCloseable {
        final AtomicInteger maxUnavailable = new AtomicInteger();
        final AtomicInteger maxPods = new AtomicInteger();
        private final Map<String, Pod> pods = new HashMap<>();
        private final SharedIndexInformer<Pod> informer;
        private final DaemonSet ds;
        private volatile boolean armed;

        Monitor(DaemonSet ds) {
            this.ds = ds;
            informer = cluster.client.pods().inNamespace(NS).inform(new ResourceEventHandler<>() {
                @Override
                public void onAdd(Pod p) {
                    seen(p, false);
                }

                @Override
                public void onUpdate(Pod o, Pod p) {
                    seen(p, false);
                }

                @Override
                public void onDelete(Pod p, boolean unknown) {
                    seen(p, true);
                }
            }, 0);
        }

        private synchronized void seen(Pod p, boolean gone) {
            if (gone) {
                pods.remove(p.getMetadata().getUid());
            } else {
                pods.put(p.getMetadata().getUid(), p);
            }
            if (!armed) {
                return;
            }
            Set<String> served = new HashSet<>();
            int live = 0;
            for (Pod pod : pods.values()) {
                if (!Cluster.ownedBy(pod, ds) || pod.getMetadata().getDeletionTimestamp() != null) {
                    continue;
                }
                live++;
                if (Placement.isReady(pod) && pod.getSpec().getNodeName() != null) {
                    served.add(pod.getSpec().getNodeName());
                }
            }
            served.retainAll(MASTER_NODES);
            maxUnavailable.accumulateAndGet(MASTER_NODES.size() - served.size(), Math::max);
            maxPods.accumulateAndGet(live, Math::max);
        }

        /** Starts judging from now (the pods are all there and ready). */
        void arm() {
            maxUnavailable.set(0);
            maxPods.set(0);
            armed = true;
        }

        @Override
        public void close() {
            informer.close();
        }
    }

    /** As kubectl set image: a patch without a resourceVersion, which the controller's status writes cannot make a conflict. */
    private DaemonSet setImage(String name, String image) {
        var ds = cluster.client.apps().daemonSets().inNamespace(NS).withName(name);
        String container = ds.get().getSpec().getTemplate().getSpec().getContainers().getFirst().getName();
        return ds.patch(io.fabric8.kubernetes.client.dsl.base.PatchContext.of(io.fabric8.kubernetes.client.dsl.base.PatchType.STRATEGIC_MERGE),
                "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"" + container + "\",\"image\":\"" + image + "\"}]}}}}");
    }

    private void awaitImage(DaemonSet ds, String image) {
        Map<String, String> want = new HashMap<>();
        MASTER_NODES.forEach(n -> want.put(n, image));
        await().atMost(ApiFixture.WAIT).untilAsserted(() -> assertThat(cluster.readyPodsByNode(ds)).isEqualTo(want));
        await().atMost(ApiFixture.WAIT).until(() -> cluster.statusIs(ds.getMetadata().getName(),
                s -> s.getUpdatedNumberScheduled() == 3 && s.getNumberAvailable() == 3 && s.getNumberUnavailable() == 0));
    }

    private List<ControllerRevision> revisions() {
        return cluster.client.apps().controllerRevisions().inNamespace(NS).list().getItems().stream()
                .sorted(Comparator.comparing(ControllerRevision::getRevision)).toList();
    }

    @Test
    void rollingUpdateStaysWithinMaxUnavailableAndKubectlRollsBack() throws Exception {
        DaemonSet ds = cluster.create(Cluster.daemonSet("agent", MASTERS).build());
        awaitImage(ds, "agent:1");
        String firstRevision = revisions().getFirst().getMetadata().getName();
        Kubectl kubectl = cluster.kubectl();
        try (Monitor monitor = new Monitor(ds)) {
            await().atMost(ApiFixture.WAIT).until(() -> monitor.informer.hasSynced());
            monitor.arm();
            setImage("agent", "agent:2");
            awaitImage(ds, "agent:2");
            assertThat(monitor.maxUnavailable).as("most masters without a ready pod at once (maxUnavailable 1)").hasValue(1);
            assertThat(monitor.maxPods).as("never a second pod on a node").hasValue(3);

            List<ControllerRevision> history = revisions();
            assertThat(history).extracting(ControllerRevision::getRevision).containsExactly(1L, 2L);
            ControllerRevision current = history.get(1);
            for (Pod p : cluster.pods(ds)) {
                assertThat(p.getMetadata().getLabels()).containsEntry("controller-revision-hash",
                        current.getMetadata().getLabels().get("controller-revision-hash")).containsEntry("pod-template-generation", "2");
                assertThat(current.getMetadata().getName()).isEqualTo("agent-" + p.getMetadata().getLabels().get("controller-revision-hash"));
            }
            assertThat(history).allSatisfy(r -> {
                assertThat(r.getMetadata().getLabels()).containsEntry("app", "agent");
                assertThat(OwnerRefs.controllerOf(r).getUid()).isEqualTo(ds.getMetadata().getUid());
            });
            assertThat(rows(kubectl.run("rollout", "history", "ds/agent", "-n", NS).orFail().out())).containsExactly("1", "2");
            assertThat(kubectl.run("rollout", "history", "ds/agent", "-n", NS, "--revision=1").orFail().out()).contains("agent:1");
            assertThat(kubectl.run("rollout", "status", "ds/agent", "-n", NS, "--timeout=30s").orFail().out())
                    .contains("daemon set \"agent\" successfully rolled out");

            monitor.arm();
            assertThat(kubectl.run("rollout", "undo", "ds/agent", "-n", NS).orFail().out()).contains("daemonset.apps/agent rolled back");
            awaitImage(ds, "agent:1");
            assertThat(monitor.maxUnavailable).as("rollback within maxUnavailable too").hasValue(1);
            // the first template is the newest revision again, under its old name: no third object
            history = revisions();
            assertThat(history).extracting(ControllerRevision::getRevision).containsExactly(2L, 3L);
            assertThat(history.get(1).getMetadata().getName()).isEqualTo(firstRevision);
            assertThat(rows(kubectl.run("rollout", "history", "ds/agent", "-n", NS).orFail().out())).containsExactly("2", "3");
            assertThat(cluster.pods(ds)).allSatisfy(p -> assertThat(p.getMetadata().getLabels()).containsEntry("pod-template-generation", "3"));
        }
    }

    /** The REVISION column of `kubectl rollout history`. */
    private static List<String> rows(String out) {
        return out.lines().map(String::strip).filter(l -> !l.isEmpty() && Character.isDigit(l.charAt(0)))
                .map(l -> l.split("\\s+")[0]).toList();
    }

    @Test
    void percentMaxUnavailableRoundsUpAndTheCheckSeesIt() {
        DaemonSet ds = cluster.create(Cluster.daemonSet("agent", MASTERS).editSpec().withNewUpdateStrategy().withType("RollingUpdate")
                .withNewRollingUpdate().withMaxUnavailable(new IntOrString("34%")).endRollingUpdate().endUpdateStrategy().endSpec().build());
        awaitImage(ds, "agent:1");
        try (Monitor monitor = new Monitor(ds)) {
            await().atMost(ApiFixture.WAIT).until(() -> monitor.informer.hasSynced());
            monitor.arm();
            setImage("agent", "agent:2");
            awaitImage(ds, "agent:2");
            // 34% of 3 is 1.02, rounded up: two nodes may be without a ready pod, and the watch sees two
            assertThat(monitor.maxUnavailable).hasValue(2);
            assertThat(monitor.maxPods).hasValue(3);
        }
    }

    @Test
    void maxSurgeStartsTheNewPodBeforeTheOldGoes() {
        DaemonSet ds = cluster.create(Cluster.daemonSet("agent", MASTERS).editSpec().withNewUpdateStrategy().withType("RollingUpdate")
                .withNewRollingUpdate().withMaxUnavailable(new IntOrString(0)).withMaxSurge(new IntOrString(1)).endRollingUpdate()
                .endUpdateStrategy().endSpec().build());
        awaitImage(ds, "agent:1");
        try (Monitor monitor = new Monitor(ds)) {
            await().atMost(ApiFixture.WAIT).until(() -> monitor.informer.hasSynced());
            monitor.arm();
            setImage("agent", "agent:2");
            awaitImage(ds, "agent:2");
            assertThat(monitor.maxUnavailable).as("never a master without a ready pod").hasValue(0);
            assertThat(monitor.maxPods).as("one surge pod at a time").hasValue(4);
        }
    }

    @Test
    void onDeleteReplacesOnlyDeletedPods() {
        DaemonSet ds = cluster.create(Cluster.daemonSet("agent", MASTERS).editSpec().withNewUpdateStrategy().withType("OnDelete")
                .endUpdateStrategy().endSpec().build());
        await().atMost(ApiFixture.WAIT).until(() -> cluster.statusIs("agent", s -> s.getNumberAvailable() == 3));
        DaemonSet updated = setImage("agent", "agent:2");
        await().atMost(ApiFixture.WAIT).until(() -> cluster.statusIs("agent", s -> s.getUpdatedNumberScheduled() == 0 && s.getNumberAvailable() == 3));
        assertThat(cluster.get("agent").getStatus().getObservedGeneration()).isEqualTo(updated.getMetadata().getGeneration());
        assertThat(cluster.readyPodsByNode(ds)).containsOnly(Map.entry("master1", "agent:1"), Map.entry("master2", "agent:1"), Map.entry("master3", "agent:1"));

        Pod old = cluster.pods(ds).stream().filter(p -> "master2".equals(p.getSpec().getNodeName())).findFirst().orElseThrow();
        cluster.client.pods().inNamespace(NS).resource(old).delete();
        await().atMost(ApiFixture.WAIT).untilAsserted(() -> assertThat(cluster.readyPodsByNode(ds))
                .containsOnly(Map.entry("master1", "agent:1"), Map.entry("master2", "agent:2"), Map.entry("master3", "agent:1")));
        await().atMost(ApiFixture.WAIT).until(() -> cluster.statusIs("agent", s -> s.getUpdatedNumberScheduled() == 1));
    }

    @Test
    void historyIsCutToRevisionHistoryLimit() {
        DaemonSet ds = cluster.create(Cluster.daemonSet("agent", MASTERS).editSpec().withRevisionHistoryLimit(1).endSpec().build());
        awaitImage(ds, "agent:1");
        for (int i = 2; i <= 4; i++) {
            setImage("agent", "agent:" + i);
            awaitImage(ds, "agent:" + i);
        }
        await().atMost(ApiFixture.WAIT).untilAsserted(() ->
                assertThat(revisions()).extracting(ControllerRevision::getRevision).containsExactly(3L, 4L));
    }
}
