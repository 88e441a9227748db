package io.kubeha.scheduler;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

import static io.kubeha.scheduler.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Two schedulers on one API server: only the Lease holder binds, every pod is bound once, a deposed leader stops. */
class LeaderElectionTest {
    private ApiFixture api;
    private KubernetesClient client;
    private Scheduler a;
    private Scheduler b;

    @BeforeEach
    void start() throws Exception {
        api = new ApiFixture();
        client = api.client();
        if (client.namespaces().withName("kube-system").get() == null) {
            client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("kube-system").endMetadata().build()).create();
        }
        for (Node n : seedNodes()) ApiFixture.createNode(client, n);
        SchedulerConfig base = SchedulerConfig.defaults()
                .withLeaderElection(Duration.ofSeconds(2), Duration.ofMillis(1500), Duration.ofMillis(250))
                .withBackoff(Duration.ofMillis(100), Duration.ofMillis(500));
        a = new Scheduler(api.client(), base.withIdentity("host-a_1")).start();
        b = new Scheduler(api.client(), base.withIdentity("host-b_2")).start();
    }

    @AfterEach
    void stop() throws Exception {
        if (a != null) a.close();
        if (b != null) b.close();
        if (api != null) api.close();
    }

    private Lease lease() {
        return client.leases().inNamespace("kube-system").withName("kube-scheduler").get();
    }

    private Scheduler awaitOneLeader() {
        await().atMost(Duration.ofSeconds(20)).until(() -> a.isLeader() ^ b.isLeader());
        Scheduler leader = a.isLeader() ? a : b;
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThat(lease().getSpec().getHolderIdentity()).isEqualTo(leader.config().identity()));
        return leader;
    }

    private void createPods(String prefix, int n) {
        for (int i = 0; i < n; i++) {
            client.pods().inNamespace("default").resource(pod(prefix + i).editSpec().withNodeSelector(Map.of(ROLE, "node")).endSpec().build()).create();
        }
    }

    private void awaitAllBound(int n) {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(client.pods().inNamespace("default").list().getItems())
                .hasSize(n).allSatisfy(p -> assertThat(p.getSpec().getNodeName()).isNotNull()));
    }

    /** Scheduled events per pod: binding twice would show as two (the second bind would also get a 409). */
    private Map<String, Long> scheduledEvents() {
        List<Event> events = client.v1().events().inNamespace("default").list().getItems();
        return events.stream().filter(e -> e.getReason().equals("Scheduled"))
                .collect(Collectors.groupingBy(e -> e.getInvolvedObject().getName(), Collectors.counting()));
    }

    @Test
    void onlyTheLeaderBindsAndAStandbyTakesOverWhenItLeaves() {
        Scheduler leader = awaitOneLeader();
        Scheduler standby = leader == a ? b : a;
        createPods("p", 10);
        awaitAllBound(10);
        assertThat(leader.boundCount()).isEqualTo(10);
        assertThat(standby.boundCount()).isZero();

        leader.close(); // releases the lease: the standby need not wait out the lease duration
        await().atMost(Duration.ofSeconds(10)).until(standby::isLeader);
        assertThat(lease().getSpec().getHolderIdentity()).isEqualTo(standby.config().identity());
        createPods("q", 6);
        awaitAllBound(16);
        assertThat(standby.boundCount()).isEqualTo(6);
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(scheduledEvents()).hasSize(16).allSatisfy((pod, n) -> assertThat(n).isEqualTo(1L)));
        // the two halves land 8 and 8: the new leader's cache saw what the old one bound
        Map<String, Long> perNode = client.pods().inNamespace("default").list().getItems().stream()
                .collect(Collectors.groupingBy(p -> p.getSpec().getNodeName(), Collectors.counting()));
        assertThat(perNode).containsOnly(Map.entry("node1", 8L), Map.entry("node2", 8L));
    }

    @Test
    void aLeaderThatLosesItsLeaseStopsSchedulingAtOnce() throws Exception {
        awaitOneLeader();
        // a third party takes the lease and keeps renewing it: neither scheduler may act
        AtomicBoolean stealing = new AtomicBoolean(true);
        Thread thief = Thread.ofVirtual().start(() -> {
            while (stealing.get()) {
                try {
                    client.leases().inNamespace("kube-system").withName("kube-scheduler").edit(l -> {
                        l.getSpec().setHolderIdentity("thief");
                        l.getSpec().setRenewTime(ZonedDateTime.now());
                        l.getSpec().setAcquireTime(ZonedDateTime.now());
                        l.getSpec().setLeaseDurationSeconds(2);
                        return l;
                    });
                } catch (RuntimeException e) {
                    // a conflict with a scheduler's renewal: try again
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        try {
            await().atMost(Duration.ofSeconds(5)).until(() -> !a.isLeader() && !b.isLeader());
            createPods("r", 3);
            await().pollDelay(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3)).until(() -> true);
            assertThat(a.isLeader() || b.isLeader()).isFalse();
            assertThat(client.pods().inNamespace("default").list().getItems()).allSatisfy(p -> assertThat(p.getSpec().getNodeName()).isNull());
        } finally {
            stealing.set(false);
            thief.join();
        }
        // the thief stops renewing: after its lease runs out one scheduler leads again and binds the waiting pods
        awaitOneLeader();
        awaitAllBound(3);
        assertThat(a.boundCount() + b.boundCount()).isEqualTo(3);
        assertThat(scheduledEvents()).hasSize(3).allSatisfy((pod, n) -> assertThat(n).isEqualTo(1L));
    }

}
