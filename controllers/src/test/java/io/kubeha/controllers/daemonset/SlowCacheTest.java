package io.kubeha.controllers.daemonset;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.kubeha.controllers.ApiFixture;
import io.kubeha.controllers.SlowWatchProxyAccess;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static io.kubeha.controllers.daemonset.Cluster.NS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The controller's watches arrive 400ms late while its DaemonSet is poked with events and nodes join: only
 * expectations keep it from creating a second pod for a node from a cache that has not seen the first one yet.
 */
class SlowCacheTest {
    @Test
    void aLaggingCacheNeverCreatesASecondPodForANode() throws Exception {
        ApiFixture api = new ApiFixture();
        try (AutoCloseable proxy = SlowWatchProxyAccess.start(new InetSocketAddress("127.0.0.1", api.server.address().getPort()),
                Duration.ofMillis(400));
             Cluster cluster = new Cluster(api, SlowWatchProxyAccess.url(proxy))) {
            cluster.seedNodes();
            DaemonSet ds = cluster.create(Cluster.daemonSet("everywhere", Map.of()).build());

            // most live pods meant for one node at once, from the watch in event order
            Map<String, Pod> live = new HashMap<>();
            Map<String, Integer> maxPerNode = new ConcurrentHashMap<>();
            SharedIndexInformer<Pod> informer = cluster.client.pods().inNamespace(NS).inform(new ResourceEventHandler<>() {
                private synchronized void seen(Pod p, boolean gone) {
                    if (gone || p.getMetadata().getDeletionTimestamp() != null || !Cluster.ownedBy(p, ds)) {
                        live.remove(p.getMetadata().getUid());
                    } else {
                        live.put(p.getMetadata().getUid(), p);
                    }
                    Map<String, Integer> perNode = new HashMap<>();
                    live.values().forEach(x -> perNode.merge(Placement.targetNode(x), 1, Integer::sum));
                    perNode.forEach((n, c) -> maxPerNode.merge(n, c, Math::max));
                }

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
            try {
                for (int i = 0; i < 30; i++) {
                    poke(cluster, i);
                    if (i % 10 == 9) {
                        cluster.node("late" + i, Map.of("role", "node"));
                    }
                }
                List<String> all = List.of("master1", "master2", "master3", "node1", "node2", "late9", "late19", "late29");
                Map<String, String> want = new HashMap<>();
                all.forEach(n -> want.put(n, "agent:1"));
                await().atMost(ApiFixture.WAIT).untilAsserted(() -> assertThat(cluster.readyPodsByNode(ds)).isEqualTo(want));
                for (int i = 30; i < 40; i++) {
                    poke(cluster, i);
                }
                await().atMost(ApiFixture.WAIT).until(() -> cluster.statusIs("everywhere",
                        s -> s.getCurrentNumberScheduled() == 8 && s.getNumberAvailable() == 8));
                assertThat(cluster.readyPodsByNode(ds)).isEqualTo(want);
                assertThat(maxPerNode).containsOnlyKeys(all);
                assertThat(maxPerNode.values()).as("pods for one node at once, per node: %s", maxPerNode).containsOnly(1);
            } finally {
                informer.close();
            }
        }
    }

    /** An annotation change: an event (and a sync) for the DaemonSet, nothing else. */
    private static void poke(Cluster cluster, int i) {
        cluster.client.apps().daemonSets().inNamespace(NS).withName("everywhere")
                .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"metadata\":{\"annotations\":{\"poke\":\"" + i + "\"}}}");
    }
}
