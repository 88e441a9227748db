package io.kubeha.controllers.replicaset;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.kubeha.controllers.ApiFixture;
import io.kubeha.controllers.ControllerManager;
import io.kubeha.controllers.SlowWatchProxyAccess;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The controller's watches arrive 400ms late while the ReplicaSet is poked with events: only expectations keep
 * it from creating (on scale-out) or deleting (on scale-in) again from a cache that has not seen its own writes.
 */
class SlowCacheTest {
    static final String NS = ReplicaSetControllerTest.NS;

    @Test
    void aLaggingCacheNeverCausesSurplusCreatesOrDeletes() throws Exception {
        try (ApiFixture api = new ApiFixture();
             AutoCloseable proxy = SlowWatchProxyAccess.start(new InetSocketAddress("127.0.0.1", api.server.address().getPort()),
                     Duration.ofMillis(400))) {
            KubernetesClient client = api.client;
            client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build()).create();
            api.manager(ControllerManager.Config.defaults().withControllers(Set.of("replicaset"))
                            .withTimings(Duration.ofSeconds(3), Duration.ofSeconds(2), Duration.ofMillis(100)),
                    api.newClient(SlowWatchProxyAccess.url(proxy)));
            ReplicaSet rs = client.apps().replicaSets().inNamespace(NS).resource(ReplicaSetControllerTest.replicaSet("lag", 0)).create();

            AtomicInteger max = new AtomicInteger();
            AtomicInteger min = new AtomicInteger(Integer.MAX_VALUE);
            AtomicInteger floor = new AtomicInteger(-1);
            @SuppressWarnings("unchecked")
            SharedIndexInformer<Pod>[] informer = new SharedIndexInformer[1];
            informer[0] = client.pods().inNamespace(NS).inform(new ResourceEventHandler<Pod>() {
                private void count() {
                    int n = (int) informer[0].getStore().list().stream()
                            .filter(p -> ReplicaSetControllerTest.ownedBy(p, rs) && p.getMetadata().getDeletionTimestamp() == null).count();
                    max.accumulateAndGet(n, Math::max);
                    if (floor.get() >= 0) {
                        min.accumulateAndGet(n, Math::min);
                    }
                }

                @Override
                public void onAdd(Pod p) {
                    count();
                }

                @Override
                public void onUpdate(Pod o, Pod n) {
                    count();
                }

                @Override
                public void onDelete(Pod p, boolean unknown) {
                    count();
                }
            }, 0);
            try {
                client.apps().replicaSets().inNamespace(NS).withName("lag").scale(12);
                poke(client, 30);
                await().atMost(ApiFixture.WAIT).until(() -> countOwned(informer[0], rs) == 12);
                poke(client, 10);

                floor.set(3);
                client.apps().replicaSets().inNamespace(NS).withName("lag").scale(3);
                poke(client, 30);
                await().atMost(ApiFixture.WAIT).until(() -> countOwned(informer[0], rs) == 3);
                poke(client, 10);
                await().atMost(ApiFixture.WAIT).until(() -> client.apps().replicaSets().inNamespace(NS).withName("lag").get()
                        .getStatus().getReplicas() == 3);

                assertThat(max).as("never more than 12 pods").hasValue(12);
                assertThat(min.get()).as("never fewer than 3 pods while scaling in").isGreaterThanOrEqualTo(3);
            } finally {
                informer[0].close();
            }
        }
    }

    private static long countOwned(SharedIndexInformer<Pod> informer, ReplicaSet rs) {
        return informer.getStore().list().stream()
                .filter(p -> ReplicaSetControllerTest.ownedBy(p, rs) && p.getMetadata().getDeletionTimestamp() == null).count();
    }

    private static void poke(KubernetesClient client, int times) {
        ReplicaSetControllerTest.poke(client, "lag", times);
    }
}
