package io.kubeha.apiserver.alloc;

import io.fabric8.kubernetes.api.model.Service;
import io.kubeha.apiserver.api.Json;
import io.kubeha.store.KeyValue;
import io.kubeha.store.RangeOptions;
import io.kubeha.store.Store;
import io.kubeha.store.StoreOptions;
import io.kubeha.store.embedded.EmbeddedStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static io.kubeha.apiserver.alloc.Services.clusterIP;
import static io.kubeha.apiserver.alloc.Services.kubeDns;
import static io.kubeha.apiserver.alloc.Services.logapi;
import static io.kubeha.apiserver.alloc.Services.service;
import static io.kubeha.apiserver.alloc.Services.tcp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The repair pass an API server runs on start: the store's allocations made to agree with the Services. */
class RepairTest {
    static final String IPS = "/registry/ranges/serviceips/";
    static final String PORTS = "/registry/ranges/servicenodeports/";
    static final Duration GRACE = AllocatorConfig.DEFAULT_LEAK_GRACE;

    @TempDir
    Path dir;
    Store store;
    final TestClock clock = new TestClock();
    ServiceAllocator alloc;

    @BeforeEach
    void open() {
        store = EmbeddedStore.open(dir.resolve("store"), StoreOptions.DEFAULTS.withFsync(false));
        alloc = ServiceAllocator.create(store, AllocatorConfig.of("10.0.0.0/24"), clock);
    }

    @AfterEach
    void close() {
        store.close();
    }

    Service created(Service s) {
        alloc.allocateCreate(s).commit();
        return s;
    }

    Set<String> keys(String prefix) {
        Set<String> out = new TreeSet<>();
        for (KeyValue kv : store.range(prefix, RangeOptions.LATEST).kvs()) out.add(kv.key().substring(prefix.length()));
        return out;
    }

    String ownerUid(String key) {
        return Json.MAPPER.readTree(store.get(key).orElseThrow().value()).get("uid").asString();
    }

    @Test
    void aStoreThatAgreesWithTheServicesIsLeftAlone() {
        Service dns = created(kubeDns());
        Service logapi = created(logapi());
        Service headless = created(clusterIP("default", "db", "None"));
        Service lb = service("default", "lb", "LoadBalancer", null, tcp(80));
        lb.getSpec().setExternalTrafficPolicy("Local");
        created(lb);

        RepairReport report = alloc.repair(List.of(dns, logapi, headless, lb));
        assertThat(report.clean()).as(report.toString()).isTrue();
        assertThat(keys(IPS)).hasSize(3);
        assertThat(keys(PORTS)).hasSize(3);
    }

    @Test
    void anAllocationWhoseServiceWasNeverWrittenIsReleasedOnceOlderThanTheGrace() {
        Service dns = created(kubeDns());
        // an API server allocated for logapi and died before writing it
        Service lost = logapi();
        alloc.allocateCreate(lost);
        List<Service> existing = List.of(dns);
        List<String> leaked = List.of("clusterIP " + lost.getSpec().getClusterIP() + " (default/logapi)",
                "nodePort 31070 (default/logapi)");

        RepairReport young = alloc.repair(existing);
        assertThat(young.released()).isEmpty();
        assertThat(young.awaitingGrace()).extracting(Allocated::toString).containsExactlyInAnyOrderElementsOf(leaked);
        assertThat(keys(PORTS)).containsExactly("31070");

        clock.advance(GRACE);
        RepairReport old = alloc.repair(existing);
        assertThat(old.released()).extracting(Allocated::toString).containsExactlyInAnyOrderElementsOf(leaked);
        assertThat(old.awaitingGrace()).isEmpty();
        assertThat(keys(IPS)).containsExactly("10.0.0.10");
        assertThat(keys(PORTS)).isEmpty();
        assertThat(alloc.repair(existing).clean()).isTrue();
    }

    @Test
    void valuesServicesUseButWhoseKeysAreMissingAreRecordedAgain() {
        // Services as a store restored from an older backup might hold them, with no allocation keys
        Service dns = kubeDns();
        Service logapi = logapi();
        logapi.getSpec().setClusterIP("10.0.0.77");
        Service lb = service("default", "lb", "LoadBalancer", "10.0.0.78", Services.port("http", 80, "TCP", 30080));
        lb.getSpec().setExternalTrafficPolicy("Local");
        lb.getSpec().setHealthCheckNodePort(30081);

        RepairReport report = alloc.repair(List.of(dns, logapi, lb));
        assertThat(report.recorded()).extracting(Allocated::toString).containsExactlyInAnyOrder(
                "clusterIP 10.0.0.10 (kube-system/kube-dns)", "clusterIP 10.0.0.77 (default/logapi)",
                "clusterIP 10.0.0.78 (default/lb)", "nodePort 31070 (default/logapi)",
                "nodePort 30080 (default/lb)", "nodePort 30081 (default/lb)");
        assertThat(report.problems()).isEmpty();
        assertThat(ownerUid(PORTS + "31070")).isEqualTo(logapi.getMetadata().getUid());

        // recorded, so no one else is given them
        assertThatThrownBy(() -> alloc.allocateCreate(clusterIP("default", "x", "10.0.0.10")))
                .hasMessageEndingWith("provided IP is already allocated");
        assertThat(alloc.repair(List.of(dns, logapi, lb)).clean()).isTrue();
    }

    @Test
    void aKeyNamingAServiceThatNoLongerUsesTheValueGoesToTheOneThatDoes() {
        Service old = created(clusterIP("default", "web", "10.0.0.20"));
        // web was deleted (its release lost) and created again, under a new uid, with the same address
        Service again = clusterIP("default", "web", "10.0.0.20");
        again.getSpec().setClusterIPs(List.of("10.0.0.20"));

        RepairReport young = alloc.repair(List.of(again));
        assertThat(young.recorded()).isEmpty();
        assertThat(young.problems()).singleElement().asString()
                .contains("clusterIP 10.0.0.20 is used by Service default/web but was just allocated to default/web");
        assertThat(ownerUid(IPS + "10.0.0.20")).isEqualTo(old.getMetadata().getUid());

        clock.advance(GRACE);
        RepairReport report = alloc.repair(List.of(again));
        assertThat(report.recorded()).extracting(Allocated::toString).containsExactly("clusterIP 10.0.0.20 (default/web)");
        assertThat(ownerUid(IPS + "10.0.0.20")).isEqualTo(again.getMetadata().getUid());
        // the old Service's late release must not free it now
        assertThat(alloc.release(old)).isEmpty();
        assertThat(keys(IPS)).containsExactly("10.0.0.20");
    }

    @Test
    void anAddressTwoServicesUseIsReportedNotGuessedAt() {
        Service a = created(clusterIP("default", "a", "10.0.0.20"));
        Service b = clusterIP("default", "b", "10.0.0.20");
        RepairReport report = alloc.repair(List.of(a, b));
        assertThat(report.problems()).singleElement().asString()
                .isEqualTo("clusterIP 10.0.0.20 is used by several Services: [default/a, default/b]; all but one must be given another");
        assertThat(ownerUid(IPS + "10.0.0.20")).isEqualTo(a.getMetadata().getUid());
    }

    @Test
    void anAddressOutsideAChangedRangeIsReportedAndItsKeyKept() {
        ServiceAllocator wide = ServiceAllocator.create(store, AllocatorConfig.of("10.0.0.0/16"), clock);
        Service s = clusterIP("default", "web", "10.0.1.5");
        wide.allocateCreate(s).commit();

        clock.advance(GRACE);
        RepairReport report = alloc.repair(List.of(s));
        assertThat(report.problems()).singleElement().asString().isEqualTo("clusterIP 10.0.1.5 of Service default/web is not "
                + "within the range 10.0.0.0/24 (was the range changed?); recreate the Service to give it one from the range");
        assertThat(report.released()).isEmpty();
        assertThat(keys(IPS)).containsExactly("10.0.1.5");
    }

    @Test
    void keysThatAreNotAllocationsAreLeftAloneAndUnreadableOnesReleased() {
        store.put(IPS + "not-an-address", "x".getBytes(StandardCharsets.UTF_8));
        store.put(PORTS + "31999", "not json".getBytes(StandardCharsets.UTF_8));
        RepairReport report = alloc.repair(List.of());
        assertThat(report.problems()).containsExactly(
                "key /registry/ranges/serviceips/not-an-address does not name a clusterIP; left alone");
        // no date to protect it: taken for an old leak
        assertThat(report.released()).extracting(Allocated::toString).containsExactly("nodePort 31999");
        assertThat(keys(PORTS)).isEmpty();
    }
}
