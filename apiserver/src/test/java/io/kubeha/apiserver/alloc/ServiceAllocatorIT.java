package io.kubeha.apiserver.alloc;

import io.fabric8.kubernetes.api.model.Service;
import io.kubeha.apiserver.api.ApiException;
import io.kubeha.apiserver.api.Json;
import io.kubeha.store.KeyValue;
import io.kubeha.store.RangeOptions;
import io.kubeha.store.Store;
import io.kubeha.store.StoreOptions;
import io.kubeha.store.Stores;
import io.kubeha.testkit.EtcdCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;

import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntFunction;
import java.util.stream.Collectors;

import static io.kubeha.apiserver.alloc.Services.clusterIP;
import static io.kubeha.apiserver.alloc.Services.nodePort;
import static io.kubeha.apiserver.alloc.Services.port;
import static io.kubeha.apiserver.alloc.Services.tcp;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two allocators, as two API servers would have, each with its own client to ONE real 3-member etcd cluster,
 * racing from many virtual threads: every value is handed out exactly once, a requested one to exactly one winner.
 */
class ServiceAllocatorIT {
    private static final int PER_SERVER = 40;

    private static EtcdCluster cluster;
    private static Store storeA;
    private static Store storeB;

    @RegisterExtension
    static final TestWatcher printEtcdLogs = new TestWatcher() {
        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
            if (cluster != null) System.err.println("---- etcd logs of " + cluster + ":\n" + cluster.logTail(30));
        }
    };

    @BeforeAll
    static void startEtcd() {
        cluster = EtcdCluster.start(3);
        storeA = open();
        storeB = open();
    }

    @AfterAll
    static void stopEtcd() {
        if (storeA != null) storeA.close();
        if (storeB != null) storeB.close();
        if (cluster != null) cluster.close();
    }

    private static Store open() {
        String endpoints = cluster.clientEndpoints().stream().map(URI::toString).collect(Collectors.joining(","));
        return Stores.open("etcd:" + endpoints, StoreOptions.DEFAULTS);
    }

    /** The same configuration on both servers, under a key prefix of the test's own. */
    private static ServiceAllocator[] servers(AllocatorConfig config) {
        return new ServiceAllocator[]{ServiceAllocator.create(storeA, config), ServiceAllocator.create(storeB, config)};
    }

    private record Outcome(Service service, ApiException error) {
        boolean won() {
            return error == null;
        }
    }

    /** Creates {@code 2 * PER_SERVER} Services at once, alternating between the two servers. */
    private static List<Outcome> race(ServiceAllocator[] servers, IntFunction<Service> service) throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Outcome>> futures = new ArrayList<>();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 2 * PER_SERVER; i++) {
                ServiceAllocator server = servers[i % 2];
                Service s = service.apply(i);
                futures.add(threads.submit(() -> {
                    go.await();
                    try {
                        server.allocateCreate(s).commit();
                        return new Outcome(s, null);
                    } catch (ApiException e) {
                        return new Outcome(s, e);
                    }
                }));
            }
            go.countDown();
            List<Outcome> outcomes = new ArrayList<>();
            for (Future<Outcome> f : futures) outcomes.add(f.get(60, TimeUnit.SECONDS)); // a store error fails the test
            return outcomes;
        }
    }

    /** value -> owner uid, as the store holds it. */
    private static Map<String, String> owners(String prefix) {
        Map<String, String> out = new HashMap<>();
        for (KeyValue kv : storeA.range(prefix, RangeOptions.LATEST).kvs()) {
            out.put(kv.key().substring(prefix.length()), Json.MAPPER.readTree(kv.value()).get("uid").asString());
        }
        return out;
    }

    @Test
    void theRequestedAddressGoesToExactlyOneOfManyRacingRequests() throws Exception {
        String prefix = "/it/requested-ip";
        ServiceAllocator[] servers = servers(AllocatorConfig.of("10.0.0.0/24").withKeyPrefix(prefix));

        List<Outcome> outcomes = race(servers, i -> clusterIP("kube-system", "kube-dns-" + i, "10.0.0.10", tcp(53)));

        List<Outcome> winners = outcomes.stream().filter(Outcome::won).toList();
        assertThat(winners).hasSize(1);
        assertThat(outcomes).filteredOn(o -> !o.won()).hasSize(2 * PER_SERVER - 1).allSatisfy(o -> {
            assertThat(o.error.code()).isEqualTo(422);
            assertThat(o.error.getMessage()).endsWith("failed to allocate IP 10.0.0.10: provided IP is already allocated");
        });
        assertThat(owners(prefix + "/serviceips/"))
                .containsExactly(Map.entry("10.0.0.10", winners.get(0).service.getMetadata().getUid()));
        assertThat(servers[1].clusterIPUsage().used()).isEqualTo(1);
    }

    @Test
    void theRequestedNodePortGoesToExactlyOneAndTheLosersGiveBackTheirAddresses() throws Exception {
        String prefix = "/it/requested-port";
        ServiceAllocator[] servers = servers(AllocatorConfig.of("10.0.0.0/24").withKeyPrefix(prefix));

        List<Outcome> outcomes = race(servers, i -> nodePort("default", "logapi-" + i, port("http", 8080, "TCP", 31070)));

        List<Outcome> winners = outcomes.stream().filter(Outcome::won).toList();
        assertThat(winners).hasSize(1);
        assertThat(outcomes).filteredOn(o -> !o.won()).allSatisfy(o -> assertThat(o.error.getMessage()).isEqualTo(
                "Service \"" + o.service.getMetadata().getName()
                        + "\" is invalid: spec.ports[0].nodePort: Invalid value: 31070: provided port is already allocated"));
        Service winner = winners.get(0).service;
        assertThat(owners(prefix + "/servicenodeports/")).containsExactly(Map.entry("31070", winner.getMetadata().getUid()));
        // all or nothing: each loser had taken a random address first, and gave it back
        assertThat(owners(prefix + "/serviceips/"))
                .containsExactly(Map.entry(winner.getSpec().getClusterIP(), winner.getMetadata().getUid()));
    }

    @Test
    void randomAddressesAreHandedOutOnceUntilTheRangeIsFull() throws Exception {
        String prefix = "/it/random-ip";
        // 30 usable addresses, 29 for random allocation (10.0.0.1 is the kubernetes Service's)
        ServiceAllocator[] servers = servers(AllocatorConfig.of("10.0.0.0/27").withKeyPrefix(prefix));

        List<Outcome> outcomes = race(servers, i -> clusterIP("default", "web-" + i, null, tcp(80)));

        List<Outcome> winners = outcomes.stream().filter(Outcome::won).toList();
        assertThat(winners).hasSize(29);
        assertThat(outcomes).filteredOn(o -> !o.won()).allSatisfy(o -> {
            assertThat(o.error.code()).isEqualTo(500);
            assertThat(o.error.getMessage()).isEqualTo("Internal error occurred: failed to allocate a serviceIP: range is full");
        });
        Map<String, String> held = owners(prefix + "/serviceips/");
        assertThat(held).hasSize(29).doesNotContainKey("10.0.0.1");
        for (Outcome w : winners) {
            assertThat(held).containsEntry(w.service.getSpec().getClusterIP(), w.service.getMetadata().getUid());
        }
        assertThat(servers[0].clusterIPUsage()).isEqualTo(new RangeUsage(Kind.CLUSTER_IP, "10.0.0.0/27", 30, 29));
    }

    @Test
    void randomNodePortsAreHandedOutOnceUntilTheRangeIsFullAndComeBackOnRelease() throws Exception {
        String prefix = "/it/random-port";
        ServiceAllocator[] servers = servers(AllocatorConfig.of("10.0.0.0/24").withKeyPrefix(prefix)
                .withNodePortRange(PortRange.parse("30000-30049")));

        List<Outcome> outcomes = race(servers, i -> nodePort("default", "web-" + i, tcp(80)));

        List<Outcome> winners = outcomes.stream().filter(Outcome::won).toList();
        assertThat(winners).hasSize(50);
        assertThat(outcomes).filteredOn(o -> !o.won()).allSatisfy(o -> assertThat(o.error.getMessage())
                .isEqualTo("Internal error occurred: failed to allocate a nodePort: range is full"));
        Map<String, String> ports = owners(prefix + "/servicenodeports/");
        Map<String, String> ips = owners(prefix + "/serviceips/");
        assertThat(ports).hasSize(50);
        assertThat(ips).as("the losers gave back their addresses").hasSize(50);
        for (Outcome w : winners) {
            String uid = w.service.getMetadata().getUid();
            assertThat(ports).containsEntry(String.valueOf(w.service.getSpec().getPorts().get(0).getNodePort()), uid);
            assertThat(ips).containsEntry(w.service.getSpec().getClusterIP(), uid);
        }

        // both servers delete at once: everything comes back
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<List<Allocated>>> releases = new ArrayList<>();
            for (int i = 0; i < winners.size(); i++) {
                ServiceAllocator server = servers[i % 2];
                Service s = winners.get(i).service;
                releases.add(threads.submit(() -> server.release(s)));
            }
            for (Future<List<Allocated>> f : releases) assertThat(f.get(60, TimeUnit.SECONDS)).hasSize(2);
        }
        assertThat(servers[0].nodePortUsage().used()).isZero();
        assertThat(servers[1].clusterIPUsage().used()).isZero();
    }

    @Test
    void repairOnOneServerNeverTakesAnotherServersAllocationInFlightForALeak() throws Exception {
        String prefix = "/it/repair";
        ServiceAllocator[] servers = servers(AllocatorConfig.of("10.0.0.0/24").withKeyPrefix(prefix));
        List<Service> written = new CopyOnWriteArrayList<>();
        AtomicBoolean creating = new AtomicBoolean(true);
        List<RepairReport> reports = new ArrayList<>();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<?> repairs = threads.submit(() -> {
                while (creating.get()) reports.add(servers[1].repair(List.copyOf(written)));
                return null;
            });
            List<Future<?>> creates = new ArrayList<>();
            for (int i = 0; i < PER_SERVER; i++) {
                Service s = nodePort("default", "svc-" + i, tcp(80));
                creates.add(threads.submit(() -> {
                    servers[0].allocateCreate(s).commit(); // server A allocates ...
                    written.add(s); // ... and then writes the Service, while server B repairs
                    return null;
                }));
            }
            for (Future<?> f : creates) f.get(60, TimeUnit.SECONDS);
            creating.set(false);
            repairs.get(60, TimeUnit.SECONDS);
        }
        assertThat(reports).isNotEmpty().allSatisfy(r -> {
            assertThat(r.released()).isEmpty();
            assertThat(r.problems()).isEmpty();
        });
        Map<String, String> ips = owners(prefix + "/serviceips/");
        Map<String, String> ports = owners(prefix + "/servicenodeports/");
        for (Service s : written) {
            assertThat(ips).containsEntry(s.getSpec().getClusterIP(), s.getMetadata().getUid());
            assertThat(ports).containsEntry(String.valueOf(s.getSpec().getPorts().get(0).getNodePort()), s.getMetadata().getUid());
        }
        assertThat(servers[1].repair(written).clean()).isTrue();
    }
}
