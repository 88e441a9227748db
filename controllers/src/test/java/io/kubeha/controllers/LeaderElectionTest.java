package io.kubeha.controllers;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Two controller-managers on one API server: one acts, the other takes over when it goes, never both. */
@SuppressWarnings("unchecked")
class LeaderElectionTest {
    static final String NS = "le";
    static final Duration LEASE = Duration.ofSeconds(3), RENEW = Duration.ofSeconds(2), RETRY = Duration.ofMillis(250);

    static boolean ownedBy(Pod p, String uid) {
        List<OwnerReference> refs = p.getMetadata().getOwnerReferences();
        return refs != null && refs.stream().anyMatch(r -> Boolean.TRUE.equals(r.getController()) && uid.equals(r.getUid()));
    }

    @Test
    void onlyTheLeaderActsAndAStandbyTakesOverWithinLeaseDurationPlusRetryPeriod() throws Exception {
        try (ApiFixture api = new ApiFixture()) {
            KubernetesClient client = api.client;
            client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build()).create();
            var base = ControllerManager.Config.defaults().withControllers(Set.of("replicaset")).withTimings(LEASE, RENEW, RETRY);
            ControllerManager a = api.manager(base.withIdentity("manager-a"));
            ControllerManager b = api.manager(base.withIdentity("manager-b"));

            AtomicBoolean bothLeading = new AtomicBoolean();
            AtomicBoolean stop = new AtomicBoolean();
            Thread sampler = Thread.ofVirtual().start(() -> {
                while (!stop.get()) {
                    if (a.isLeader() && b.isLeader()) {
                        bothLeading.set(true);
                    }
                    Thread.onSpinWait();
                    try {
                        Thread.sleep(1);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });

            await().atMost(ApiFixture.WAIT).until(() -> a.isLeader() || b.isLeader());
            ControllerManager leader = a.isLeader() ? a : b, standby = leader == a ? b : a;
            Lease lease = client.leases().inNamespace("kube-system").withName("kube-controller-manager").get();
            assertThat(lease.getSpec().getHolderIdentity()).isEqualTo(leader.config().identity());
            assertThat(standby.isLeader()).isFalse();

            ReplicaSet rs = client.apps().replicaSets().inNamespace(NS).resource(new ReplicaSetBuilder()
                    .withNewMetadata().withName("app").endMetadata()
                    .withNewSpec().withReplicas(3).withNewSelector().withMatchLabels(Map.of("app", "x")).endSelector()
                    .withNewTemplate().withNewMetadata().withLabels(Map.of("app", "x")).endMetadata()
                    .withNewSpec().addNewContainer().withName("c").withImage("img").endContainer().endSpec().endTemplate()
                    .endSpec().build()).create();
            String uid = rs.getMetadata().getUid();
            AtomicInteger max = new AtomicInteger();
            AtomicInteger limit = new AtomicInteger(3);
            AtomicBoolean surplus = new AtomicBoolean();
            SharedIndexInformer<Pod>[] holder = new SharedIndexInformer[1];
            holder[0] = client.pods().inNamespace(NS).inform(new ResourceEventHandler<Pod>() {
                private void count() {
                    int n = (int) holder[0].getStore().list().stream()
                            .filter(p -> ownedBy(p, uid) && p.getMetadata().getDeletionTimestamp() == null).count();
                    max.accumulateAndGet(n, Math::max);
                    if (n > limit.get()) {
                        surplus.set(true);
                    }
                }

                @Override
                public void onAdd(Pod obj) {
                    count();
                }

                @Override
                public void onUpdate(Pod o, Pod n) {
                    count();
                }

                @Override
                public void onDelete(Pod obj, boolean unknown) {
                    count();
                }
            }, 0);
            try {
                await().atMost(ApiFixture.WAIT).until(() -> holder[0].getStore().list().stream()
                        .filter(p -> ownedBy(p, uid)).count() == 3);

                long t0 = System.nanoTime();
                leader.close();
                assertThat(leader.isLeader()).isFalse();
                await().atMost(LEASE.plus(RETRY).plusMillis(500)).pollInterval(Duration.ofMillis(20)).until(standby::isLeader);
                Duration takeover = Duration.ofNanos(System.nanoTime() - t0);
                assertThat(takeover).isLessThanOrEqualTo(LEASE.plus(RETRY).plusMillis(500));
                await().atMost(ApiFixture.WAIT).until(() -> standby.config().identity().equals(
                        client.leases().inNamespace("kube-system").withName("kube-controller-manager").get().getSpec().getHolderIdentity()));

                // the new leader reconciles: a lost pod is replaced and a scale-out happens, still no surplus
                Pod victim = holder[0].getStore().list().stream().filter(p -> ownedBy(p, uid)).findFirst().orElseThrow();
                client.pods().inNamespace(NS).withName(victim.getMetadata().getName()).delete();
                await().atMost(ApiFixture.WAIT).until(() -> client.pods().inNamespace(NS).list().getItems().stream()
                        .filter(p -> ownedBy(p, uid) && !p.getMetadata().getName().equals(victim.getMetadata().getName())).count() == 3);
                limit.set(5);
                client.apps().replicaSets().inNamespace(NS).withName("app").scale(5);
                await().atMost(ApiFixture.WAIT).until(() -> client.pods().inNamespace(NS).list().getItems().stream()
                        .filter(p -> ownedBy(p, uid)).count() == 5);
                assertThat(surplus).as("never more owned pods than replicas").isFalse();
                assertThat(max).hasValue(5);
                assertThat(bothLeading).as("never two acting leaders").isFalse();
            } finally {
                stop.set(true);
                sampler.join();
                holder[0].close();
            }
        }
    }

    @Test
    void aLeaderThatCannotRenewStopsActingWithinTheRenewDeadline() throws Exception {
        try (ApiFixture api = new ApiFixture()) {
            KubernetesClient client = api.client;
            client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build()).create();
            ControllerManager a = api.manager(ControllerManager.Config.defaults().withControllers(Set.of("replicaset"))
                    .withTimings(LEASE, RENEW, RETRY).withIdentity("manager-a"));
            await().atMost(ApiFixture.WAIT).until(a::isLeader);

            // another holder takes the lease over (as if a's renewals had stopped reaching the server)
            writeLease(client, "intruder", 600, java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC));
            long t0 = System.nanoTime();
            await().atMost(RENEW.plus(RETRY).plusSeconds(1)).pollInterval(Duration.ofMillis(20)).until(() -> !a.isLeader());
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThanOrEqualTo(RENEW.plus(RETRY).plusSeconds(1));

            // no longer acting: a new ReplicaSet gets no pods while the intruder holds the lease
            client.apps().replicaSets().inNamespace(NS).resource(new ReplicaSetBuilder()
                    .withNewMetadata().withName("idle").endMetadata()
                    .withNewSpec().withReplicas(2).withNewSelector().withMatchLabels(Map.of("app", "idle")).endSelector()
                    .withNewTemplate().withNewMetadata().withLabels(Map.of("app", "idle")).endMetadata()
                    .withNewSpec().addNewContainer().withName("c").withImage("img").endContainer().endSpec().endTemplate()
                    .endSpec().build()).create();
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3))
                    .until(() -> client.pods().inNamespace(NS).list().getItems().isEmpty() && !a.isLeader());

            // once the intruder's lease is released (expired), a campaigns again, wins and acts
            writeLease(client, "intruder", 1, java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC).minusSeconds(60));
            await().atMost(ApiFixture.WAIT).until(a::isLeader);
            await().atMost(ApiFixture.WAIT).until(() -> client.pods().inNamespace(NS).list().getItems().size() == 2);
        }
    }

    @Test
    void aLeaderCutOffFromTheApiServerStopsActingBeforeItsLeaseCouldExpire() throws Exception {
        try (ApiFixture api = new ApiFixture()) {
            ControllerManager a = api.manager(ControllerManager.Config.defaults().withControllers(Set.of("replicaset"))
                    .withTimings(LEASE, RENEW, RETRY).withIdentity("manager-a"));
            await().atMost(ApiFixture.WAIT).until(a::isLeader);
            long t0 = System.nanoTime();
            api.server.close(); // renewals now fail
            // it must stop before a standby could take the lease (lease duration after the last renewal)
            await().atMost(LEASE).pollInterval(Duration.ofMillis(20)).until(() -> !a.isLeader());
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(LEASE);

            // the API server comes back on the same port and store: the manager campaigns again and leads
            try (var again = new io.kubeha.apiserver.ApiServer(api.store, api.server.address()).start()) {
                await().atMost(ApiFixture.WAIT).until(a::isLeader);
            }
        }
    }

    /** Overwrites the controller-manager Lease (retrying on conflict with the holder's own renewals). */
    static void writeLease(KubernetesClient client, String holder, int durationSeconds, java.time.ZonedDateTime renewTime) {
        await().atMost(ApiFixture.WAIT).ignoreExceptionsInstanceOf(io.fabric8.kubernetes.client.KubernetesClientException.class)
                .until(() -> {
                    Lease lease = client.leases().inNamespace("kube-system").withName("kube-controller-manager").get();
                    lease.getSpec().setHolderIdentity(holder);
                    lease.getSpec().setLeaseDurationSeconds(durationSeconds);
                    lease.getSpec().setRenewTime(renewTime);
                    client.leases().inNamespace("kube-system").resource(lease).update();
                    return true;
                });
    }
}
