package io.kubeha.apiserver.alloc;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.StatusCause;
import io.kubeha.apiserver.api.ApiException;
import io.kubeha.apiserver.api.Json;
import io.kubeha.store.KeyValue;
import io.kubeha.store.RangeOptions;
import io.kubeha.store.Store;
import io.kubeha.store.StoreOptions;
import io.kubeha.store.embedded.EmbeddedStore;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.kubeha.apiserver.alloc.Services.clusterIP;
import static io.kubeha.apiserver.alloc.Services.copy;
import static io.kubeha.apiserver.alloc.Services.kubeDns;
import static io.kubeha.apiserver.alloc.Services.logapi;
import static io.kubeha.apiserver.alloc.Services.nodePort;
import static io.kubeha.apiserver.alloc.Services.port;
import static io.kubeha.apiserver.alloc.Services.service;
import static io.kubeha.apiserver.alloc.Services.tcp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The allocator on the embedded store: what a single API server sees. */
class ServiceAllocatorTest {
    static final String IPS = "/registry/ranges/serviceips/";
    static final String PORTS = "/registry/ranges/servicenodeports/";

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

    ServiceAllocator allocator(AllocatorConfig config) {
        return ServiceAllocator.create(store, config, clock);
    }

    /** Creates as the registry would: allocate, write (here: nothing to write), commit. */
    Service created(ServiceAllocator a, Service s) {
        a.allocateCreate(s).commit();
        return s;
    }

    Service created(Service s) {
        return created(alloc, s);
    }

    static void failsWith(ThrowingCallable call, int code, String message) {
        assertThatThrownBy(call).isInstanceOfSatisfying(ApiException.class, e -> {
            assertThat(e.getMessage()).isEqualTo(message);
            assertThat(e.code()).isEqualTo(code);
            assertThat(e.status().getMessage()).isEqualTo(message);
        });
    }

    JsonNode ownerOf(String key) {
        KeyValue kv = store.get(key).orElseThrow(() -> new AssertionError(key + " is not allocated"));
        return Json.MAPPER.readTree(kv.value());
    }

    Set<String> keys(String prefix) {
        Set<String> out = new HashSet<>();
        for (KeyValue kv : store.range(prefix, RangeOptions.LATEST).kvs()) out.add(kv.key().substring(prefix.length()));
        return out;
    }

    @Nested
    class ClusterIPs {
        @Test
        void theSeedsKubeDnsGetsTheAddressItAsksFor() {
            Service dns = kubeDns();
            Allocation a = alloc.allocateCreate(dns);

            assertThat(dns.getSpec().getClusterIP()).isEqualTo("10.0.0.10");
            assertThat(dns.getSpec().getClusterIPs()).containsExactly("10.0.0.10");
            assertThat(dns.getSpec().getIpFamilies()).containsExactly("IPv4");
            assertThat(dns.getSpec().getIpFamilyPolicy()).isEqualTo("SingleStack");
            assertThat(a.allocated()).extracting(Allocated::toString).containsExactly("clusterIP 10.0.0.10 (kube-system/kube-dns)");
            assertThat(dns.getSpec().getPorts()).allSatisfy(p -> assertThat(p.getNodePort()).isNull());
            JsonNode owner = ownerOf(IPS + "10.0.0.10");
            assertThat(owner.get("namespace").asString()).isEqualTo("kube-system");
            assertThat(owner.get("name").asString()).isEqualTo("kube-dns");
            assertThat(owner.get("uid").asString()).isEqualTo(dns.getMetadata().getUid());
            assertThat(owner.get("allocatedAt").asString()).isEqualTo(clock.instant().toString());
        }

        @Test
        void theKubernetesServiceGetsTheFirstAddressAndRandomAllocationNeverDoes() {
            assertThat(alloc.kubernetesServiceIP()).isEqualTo("10.0.0.1");
            ServiceAllocator small = allocator(AllocatorConfig.of("10.0.0.0/28"));
            Set<String> given = new HashSet<>();
            for (int i = 0; i < 13; i++) given.add(created(small, clusterIP("default", "s" + i, null)).getSpec().getClusterIP());
            assertThat(given).hasSize(13).doesNotContain("10.0.0.1", "10.0.0.0", "10.0.0.15");

            Service kubernetes = created(small, clusterIP("default", "kubernetes", small.kubernetesServiceIP(), port("https", 443, "TCP", null)));
            assertThat(kubernetes.getSpec().getClusterIP()).isEqualTo("10.0.0.1");
            assertThat(small.clusterIPUsage()).isEqualTo(new RangeUsage(Kind.CLUSTER_IP, "10.0.0.0/28", 14, 14));
        }

        @ParameterizedTest
        @ValueSource(strings = {"10.0.1.5", "10.0.0.0", "10.0.0.255", "192.168.1.1"})
        void anAddressOutsideTheRangeIsRefusedAsKubeApiserverDoes(String ip) {
            Service s = clusterIP("default", "web", ip);
            failsWith(() -> alloc.allocateCreate(s), 422, "Service \"web\" is invalid: spec.clusterIPs: Invalid value: []string{\"" + ip
                    + "\"}: failed to allocate IP " + ip + ": the provided IP (" + ip
                    + ") is not in the valid range. The range of valid IPs is 10.0.0.0/24");
            assertThat(keys(IPS)).isEmpty();
        }

        @Test
        void aFieldErrorNamesTheFieldInTheStatusCauses() {
            try {
                alloc.allocateCreate(clusterIP("default", "web", "10.0.1.5"));
                throw new AssertionError("allocated an address outside the range");
            } catch (ApiException e) {
                assertThat(e.reason()).isEqualTo("Invalid");
                StatusCause cause = e.status().getDetails().getCauses().get(0);
                assertThat(cause.getField()).isEqualTo("spec.clusterIPs");
                assertThat(cause.getReason()).isEqualTo("FieldValueInvalid");
                assertThat(e.status().getDetails().getKind()).isEqualTo("Service");
                assertThat(e.status().getDetails().getName()).isEqualTo("web");
            }
        }

        @Test
        void anAddressAlreadyAllocatedIsRefusedAndStaysWithItsHolder() {
            Service dns = created(kubeDns());
            failsWith(() -> alloc.allocateCreate(clusterIP("default", "impostor", "10.0.0.10")), 422,
                    "Service \"impostor\" is invalid: spec.clusterIPs: Invalid value: []string{\"10.0.0.10\"}: "
                            + "failed to allocate IP 10.0.0.10: provided IP is already allocated");
            assertThat(ownerOf(IPS + "10.0.0.10").get("uid").asString()).isEqualTo(dns.getMetadata().getUid());
        }

        @Test
        void leadingZerosNameTheSameAddress() {
            created(kubeDns());
            assertThatThrownBy(() -> alloc.allocateCreate(clusterIP("default", "x", "10.0.0.010")))
                    .hasMessageEndingWith("provided IP is already allocated");
        }

        @Test
        void somethingThatIsNoAddressIsRefused() {
            failsWith(() -> alloc.allocateCreate(clusterIP("default", "web", "10.0.0.300")), 422,
                    "Service \"web\" is invalid: spec.clusterIPs[0]: Invalid value: \"10.0.0.300\": "
                            + "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)");
            failsWith(() -> alloc.allocateCreate(clusterIP("default", "web", "fd00::10")), 422,
                    "Service \"web\" is invalid: spec.clusterIPs[0]: Invalid value: []string{\"fd00::10\"}: "
                            + "IPv6 is not configured on this cluster");
        }

        @Test
        void dualStackIsRefusedOnThisSingleStackCluster() {
            Service s = clusterIP("default", "web", null);
            s.getSpec().setIpFamilyPolicy("RequireDualStack");
            failsWith(() -> alloc.allocateCreate(s), 422, "Service \"web\" is invalid: spec.ipFamilyPolicy: Invalid value: "
                    + "\"RequireDualStack\": this cluster is not configured for dual-stack services");
            Service v6 = clusterIP("default", "web6", null);
            v6.getSpec().setIpFamilies(List.of("IPv6"));
            failsWith(() -> alloc.allocateCreate(v6), 422,
                    "Service \"web6\" is invalid: spec.ipFamilies[0]: Invalid value: \"IPv6\": not configured on this cluster");
            Service prefer = clusterIP("default", "prefer", null);
            prefer.getSpec().setIpFamilyPolicy("PreferDualStack");
            created(prefer);
            assertThat(prefer.getSpec().getIpFamilies()).containsExactly("IPv4");
            assertThat(keys(IPS)).hasSize(1);
        }

        @Test
        void headlessAndExternalNameServicesGetNoAddress() {
            Service headless = created(clusterIP("default", "db", "None"));
            assertThat(headless.getSpec().getClusterIPs()).containsExactly("None");
            assertThat(headless.getSpec().getIpFamilyPolicy()).isEqualTo("SingleStack");

            Service bare = clusterIP("default", "bare", "None");
            bare.getSpec().setSelector(Map.of());
            created(bare);
            // kube-apiserver lets a headless Service without selector carry both families, even single-stack
            assertThat(bare.getSpec().getIpFamilyPolicy()).isEqualTo("RequireDualStack");
            assertThat(bare.getSpec().getIpFamilies()).containsExactly("IPv4", "IPv6");

            Service external = service("default", "ext", "ExternalName", null);
            external.getSpec().setExternalName("example.com");
            Allocation a = alloc.allocateCreate(external);
            assertThat(a.allocated()).isEmpty();
            assertThat(external.getSpec().getClusterIP()).isNull();
            assertThat(external.getSpec().getIpFamilies()).isEmpty();
            assertThat(keys(IPS)).isEmpty();
        }

        @Test
        void randomAddressesComeFromAboveTheStaticBandAndNotInOrder() {
            List<Long> given = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                given.add(Ipv4.parse(created(clusterIP("default", "s" + i, null)).getSpec().getClusterIP()));
            }
            assertThat(new HashSet<>(given)).hasSize(20);
            // 10.0.0.1-10.0.0.16 are left for addresses users ask for, such as kube-dns's 10.0.0.10
            assertThat(given).allSatisfy(ip -> assertThat(ip).isBetween(Ipv4.parse("10.0.0.17"), Ipv4.parse("10.0.0.254")));
            assertThat(given).isNotEqualTo(given.stream().sorted().toList());
        }

        @Test
        void aFullRangeIsA500RangeIsFullAndAReleasedAddressComesBack() {
            ServiceAllocator small = allocator(AllocatorConfig.of("10.0.0.0/28"));
            List<Service> all = new ArrayList<>();
            for (int i = 0; i < 13; i++) all.add(created(small, clusterIP("default", "s" + i, null)));
            failsWith(() -> small.allocateCreate(clusterIP("default", "one-too-many", null)), 500,
                    "Internal error occurred: failed to allocate a serviceIP: range is full");
            assertThatThrownBy(() -> small.allocateCreate(clusterIP("default", "one-too-many", null)))
                    .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.reason()).isEqualTo("InternalError"));

            Service gone = all.get(7);
            assertThat(small.release(gone)).extracting(Allocated::value).containsExactly(gone.getSpec().getClusterIP());
            Service next = created(small, clusterIP("default", "next", null));
            assertThat(next.getSpec().getClusterIP()).isEqualTo(gone.getSpec().getClusterIP());
        }
    }

    @Nested
    class NodePorts {
        @Test
        void theSeedsLogapiGetsNodePort31070() {
            Service logapi = logapi();
            Allocation a = alloc.allocateCreate(logapi);
            assertThat(logapi.getSpec().getPorts().get(0).getNodePort()).isEqualTo(31070);
            assertThat(a.allocated()).extracting(Allocated::kind).containsExactlyInAnyOrder(Kind.CLUSTER_IP, Kind.NODE_PORT);
            assertThat(ownerOf(PORTS + "31070").get("name").asString()).isEqualTo("logapi");
        }

        @Test
        void aPortAlreadyAllocatedIsRefusedAsKubeApiserverDoes() {
            created(logapi());
            Service other = nodePort("default", "other", tcp(80), port("http", 8080, "TCP", 31070));
            failsWith(() -> alloc.allocateCreate(other), 422,
                    "Service \"other\" is invalid: spec.ports[1].nodePort: Invalid value: 31070: provided port is already allocated");
        }

        @ParameterizedTest
        @ValueSource(ints = {29999, 32768, 8080})
        void aPortOutsideTheRangeIsRefused(int np) {
            failsWith(() -> alloc.allocateCreate(nodePort("default", "web", port("http", 80, "TCP", np))), 422,
                    "Service \"web\" is invalid: spec.ports[0].nodePort: Invalid value: " + np
                            + ": provided port is not in the valid range. The range of valid ports is 30000-32767");
        }

        @Test
        void randomPortsAreDistinctAndComeFromAboveTheStaticBand() {
            Service s = created(nodePort("default", "web", tcp(80), tcp(81), tcp(82), tcp(83), tcp(84)));
            List<Integer> given = s.getSpec().getPorts().stream().map(ServicePort::getNodePort).toList();
            assertThat(new HashSet<>(given)).hasSize(5);
            assertThat(given).allSatisfy(p -> assertThat(p).isBetween(30086, 32767));
            assertThat(alloc.nodePortUsage()).isEqualTo(new RangeUsage(Kind.NODE_PORT, "30000-32767", 2768, 5));
        }

        @Test
        void aFullRangeIsA500RangeIsFull() {
            ServiceAllocator small = allocator(AllocatorConfig.of("10.0.0.0/24").withNodePortRange(PortRange.parse("30000-30004")));
            created(small, nodePort("default", "a", tcp(1), tcp(2), tcp(3)));
            created(small, nodePort("default", "b", tcp(1), tcp(2)));
            failsWith(() -> small.allocateCreate(nodePort("default", "c", tcp(1))), 500,
                    "Internal error occurred: failed to allocate a nodePort: range is full");
            assertThat(keys(PORTS)).containsExactlyInAnyOrder("30000", "30001", "30002", "30003", "30004");
            assertThat(keys(IPS)).as("c's address went back with the failure").hasSize(2);
        }

        @Test
        void oneNodePortServesTwoPortsOnlyWithDifferentProtocols() {
            Service dns = created(nodePort("kube-system", "dns", port("dns", 53, "UDP", 30053), port("dns-tcp", 53, "TCP", 30053)));
            assertThat(dns.getSpec().getPorts()).extracting(ServicePort::getNodePort).containsExactly(30053, 30053);
            assertThat(keys(PORTS)).containsExactly("30053");

            failsWith(() -> alloc.allocateCreate(nodePort("default", "twice", port("a", 80, "TCP", 30080), port("b", 81, "TCP", 30080))),
                    422, "Service \"twice\" is invalid: spec.ports[1].nodePort: Duplicate value: 30080");
            assertThat(keys(PORTS)).containsExactly("30053");
        }

        @Test
        void portsWithTheSameNumberShareTheirNodePort() {
            Service s = created(nodePort("default", "dns", port("dns", 53, "UDP", null), port("dns-tcp", 53, "TCP", null)));
            Integer np = s.getSpec().getPorts().get(0).getNodePort();
            assertThat(s.getSpec().getPorts()).extracting(ServicePort::getNodePort).containsExactly(np, np);

            // the later port names the nodePort: the earlier one takes the same, as kube-apiserver does
            Service t = created(nodePort("default", "dns2", port("dns", 53, "UDP", null), port("dns-tcp", 53, "TCP", 31053)));
            assertThat(t.getSpec().getPorts()).extracting(ServicePort::getNodePort).containsExactly(31053, 31053);
            assertThat(keys(PORTS)).hasSize(2);
        }

        @Test
        void aLoadBalancerWithLocalTrafficGetsAHealthCheckPort() {
            Service lb = service("default", "lb", "LoadBalancer", null, tcp(80));
            lb.getSpec().setExternalTrafficPolicy("Local");
            created(lb);
            int hc = lb.getSpec().getHealthCheckNodePort();
            assertThat(hc).isBetween(30000, 32767).isNotEqualTo(lb.getSpec().getPorts().get(0).getNodePort());
            assertThat(keys(PORTS)).hasSize(2);

            Service lb2 = service("default", "lb2", "LoadBalancer", null, tcp(80));
            lb2.getSpec().setExternalTrafficPolicy("Local");
            lb2.getSpec().setHealthCheckNodePort(hc);
            failsWith(() -> alloc.allocateCreate(lb2), 500,
                    "Internal error occurred: failed to allocate requested HealthCheck NodePort " + hc + ": provided port is already allocated");
        }

        @Test
        void aLoadBalancerWithoutNodePortsGetsOnlyTheOnesItAsksFor() {
            Service lb = service("default", "lb", "LoadBalancer", null, tcp(80), port("admin", 81, "TCP", 31081));
            lb.getSpec().setAllocateLoadBalancerNodePorts(false);
            created(lb);
            assertThat(lb.getSpec().getPorts()).extracting(ServicePort::getNodePort).containsExactly(null, 31081);
            assertThat(keys(PORTS)).containsExactly("31081");
        }
    }

    @Nested
    class AllOrNothing {
        @Test
        void aCreateThatFailsPartWayGivesBackWhatItTook() {
            created(logapi());
            Service s = nodePort("default", "late", tcp(80), port("http", 8080, "TCP", 31070));
            s.getSpec().setClusterIP("10.0.0.20");
            assertThatThrownBy(() -> alloc.allocateCreate(s)).hasMessageEndingWith("31070: provided port is already allocated");
            assertThat(keys(IPS)).doesNotContain("10.0.0.20").hasSize(1);
            assertThat(keys(PORTS)).containsExactly("31070");
            // and nothing stops a later, correct request from getting the address
            Service again = nodePort("default", "late", tcp(80));
            again.getSpec().setClusterIP("10.0.0.20");
            created(again);
        }

        @Test
        void revertGivesBackAndIsFinal() {
            Service s = nodePort("default", "web", tcp(80));
            s.getSpec().setClusterIP("10.0.0.20");
            Allocation a = alloc.allocateCreate(s);
            assertThat(keys(IPS)).containsExactly("10.0.0.20");
            a.revert();
            assertThat(keys(IPS)).isEmpty();
            assertThat(keys(PORTS)).isEmpty();
            a.commit();
            a.revert();
            assertThat(keys(IPS)).isEmpty();
        }

        @Test
        void aDryRunChecksAndFillsInButWritesNothing() {
            created(kubeDns());
            Service s = nodePort("default", "web", tcp(80), tcp(81), port("fixed", 82, "TCP", 31070));
            Allocation a = alloc.allocateCreate(s, true);
            assertThat(s.getSpec().getClusterIP()).isNotNull();
            assertThat(s.getSpec().getPorts()).extracting(ServicePort::getNodePort).doesNotContainNull().doesNotHaveDuplicates();
            assertThat(a.allocated()).isEmpty();
            a.commit();
            assertThat(keys(IPS)).containsExactly("10.0.0.10");
            assertThat(keys(PORTS)).isEmpty();
            assertThatThrownBy(() -> alloc.allocateCreate(clusterIP("default", "x", "10.0.0.10"), true))
                    .hasMessageEndingWith("provided IP is already allocated");
        }
    }

    @Nested
    class Updates {
        @Test
        void anAddedPortGetsANodePortAndTheOthersStay() {
            Service old = created(logapi());
            Service neu = copy(old);
            neu.getSpec().getPorts().add(port("metrics", 9090, "TCP", null));
            Allocation a = alloc.allocateUpdate(old, neu);
            assertThat(a.toRelease()).isEmpty();
            assertThat(a.allocated()).hasSize(1);
            a.commit();
            assertThat(neu.getSpec().getPorts().get(0).getNodePort()).isEqualTo(31070);
            assertThat(keys(PORTS)).hasSize(2).contains("31070");
            assertThat(neu.getSpec().getClusterIP()).isEqualTo(old.getSpec().getClusterIP());
        }

        @Test
        void anUpdateThatLeavesOutTheAllocatedValuesKeepsThem() {
            Service old = created(nodePort("default", "web", port("http", 80, "TCP", null), port("https", 443, "TCP", null)));
            // a PUT of the manifest as the user wrote it: no clusterIP, no nodePorts, ports in another order
            Service neu = nodePort("default", "web", port("https", 443, "TCP", null), port("http", 80, "TCP", null));
            neu.getMetadata().setUid(old.getMetadata().getUid());
            Allocation a = alloc.allocateUpdate(old, neu);
            assertThat(a.allocated()).isEmpty();
            assertThat(a.toRelease()).isEmpty();
            a.commit();
            assertThat(neu.getSpec().getClusterIP()).isEqualTo(old.getSpec().getClusterIP());
            assertThat(neu.getSpec().getPorts().get(0).getNodePort()).isEqualTo(old.getSpec().getPorts().get(1).getNodePort());
            assertThat(neu.getSpec().getPorts().get(1).getNodePort()).isEqualTo(old.getSpec().getPorts().get(0).getNodePort());
            assertThat(keys(PORTS)).hasSize(2);
        }

        @Test
        void givenUpPortsAreReleasedOnlyOnCommit() {
            Service old = created(logapi());
            Service neu = copy(old);
            neu.getSpec().setType("ClusterIP");
            Allocation a = alloc.allocateUpdate(old, neu);
            assertThat(neu.getSpec().getPorts().get(0).getNodePort()).as("dropped with the type").isNull();
            assertThat(a.toRelease()).extracting(Allocated::toString).containsExactly("nodePort 31070 (default/logapi)");
            assertThat(keys(PORTS)).as("still held until the Service is written").containsExactly("31070");
            failsWith(() -> alloc.allocateCreate(nodePort("default", "eager", port("http", 80, "TCP", 31070))), 422,
                    "Service \"eager\" is invalid: spec.ports[0].nodePort: Invalid value: 31070: provided port is already allocated");
            a.commit();
            assertThat(keys(PORTS)).isEmpty();
            assertThat(keys(IPS)).containsExactly(old.getSpec().getClusterIP());
        }

        @Test
        void aFailedUpdateGivesBackWhatItTookAndKeepsWhatItHad() {
            Service old = created(logapi());
            Service neu = copy(old);
            neu.getSpec().setPorts(new ArrayList<>(List.of(port("admin", 9000, "TCP", 31999))));
            Allocation a = alloc.allocateUpdate(old, neu);
            assertThat(keys(PORTS)).containsExactlyInAnyOrder("31070", "31999");
            a.revert();
            assertThat(keys(PORTS)).containsExactly("31070");
            assertThat(ownerOf(PORTS + "31070").get("name").asString()).isEqualTo("logapi");
        }

        @Test
        void theClusterIPMayNotChange() {
            Service old = created(clusterIP("default", "web", "10.0.0.20"));
            Service neu = copy(old);
            neu.getSpec().setClusterIP("10.0.0.21");
            neu.getSpec().setClusterIPs(List.of("10.0.0.21"));
            failsWith(() -> alloc.allocateUpdate(old, neu), 422,
                    "Service \"web\" is invalid: spec.clusterIPs[0]: Invalid value: []string{\"10.0.0.21\"}: may not change once set");
            Service headless = copy(old);
            headless.getSpec().setClusterIP("None");
            headless.getSpec().setClusterIPs(List.of("None"));
            failsWith(() -> alloc.allocateUpdate(old, headless), 422,
                    "Service \"web\" is invalid: spec.clusterIPs[0]: Invalid value: []string{\"None\"}: may not change once set");
            assertThat(keys(IPS)).containsExactly("10.0.0.20");
        }

        @Test
        void toExternalNameAndBack() {
            Service old = created(clusterIP("default", "web", "10.0.0.20"));
            Service ext = copy(old);
            ext.getSpec().setType("ExternalName");
            ext.getSpec().setExternalName("example.com");
            Allocation a = alloc.allocateUpdate(old, ext);
            assertThat(ext.getSpec().getClusterIP()).isNull();
            assertThat(ext.getSpec().getIpFamilies()).isEmpty();
            assertThat(ext.getSpec().getIpFamilyPolicy()).isNull();
            a.commit();
            assertThat(keys(IPS)).isEmpty();

            Service back = copy(ext);
            back.getSpec().setType("ClusterIP");
            back.getSpec().setExternalName(null);
            alloc.allocateUpdate(ext, back).commit();
            assertThat(back.getSpec().getClusterIP()).isNotNull();
            assertThat(keys(IPS)).containsExactly(back.getSpec().getClusterIP());
        }

        @Test
        void theHealthCheckPortFollowsTheTrafficPolicy() {
            Service old = service("default", "lb", "LoadBalancer", null, tcp(80));
            created(old);
            Service local = copy(old);
            local.getSpec().setExternalTrafficPolicy("Local");
            alloc.allocateUpdate(old, local).commit();
            int hc = local.getSpec().getHealthCheckNodePort();
            assertThat(keys(PORTS)).hasSize(2).contains(String.valueOf(hc));

            Service moved = copy(local);
            moved.getSpec().setHealthCheckNodePort(hc == 32000 ? 32001 : 32000);
            assertThatThrownBy(() -> alloc.allocateUpdate(local, moved)).hasMessageEndingWith(
                    "cannot change healthCheckNodePort on loadBalancer service with externalTraffic=Local during update");

            Service cluster = copy(local);
            cluster.getSpec().setExternalTrafficPolicy("Cluster");
            alloc.allocateUpdate(local, cluster).commit();
            assertThat(cluster.getSpec().getHealthCheckNodePort()).isNull();
            assertThat(keys(PORTS)).hasSize(1).doesNotContain(String.valueOf(hc));
        }
    }

    @Nested
    class Release {
        @Test
        void deletingAServiceReleasesAllItHeld() {
            Service s = created(logapi());
            List<Allocated> released = alloc.release(s);
            assertThat(released).extracting(Allocated::kind).containsExactlyInAnyOrder(Kind.CLUSTER_IP, Kind.NODE_PORT);
            assertThat(keys(IPS)).isEmpty();
            assertThat(keys(PORTS)).isEmpty();
            assertThat(alloc.release(s)).as("a repeated release").isEmpty();
        }

        @Test
        void aLateReleaseNeverFreesWhatANewServiceOfTheSameNameHolds() {
            Service first = created(logapi());
            alloc.release(first);
            Service second = logapi(); // same name, new uid; gets 31070 again
            second.getSpec().setClusterIP(first.getSpec().getClusterIP());
            created(second);
            assertThat(alloc.release(first)).isEmpty();
            assertThat(keys(PORTS)).containsExactly("31070");
            assertThat(ownerOf(PORTS + "31070").get("uid").asString()).isEqualTo(second.getMetadata().getUid());
        }

        @Test
        void usageCountsWhatIsHeld() {
            created(kubeDns());
            created(logapi());
            assertThat(alloc.clusterIPUsage()).isEqualTo(new RangeUsage(Kind.CLUSTER_IP, "10.0.0.0/24", 254, 2));
            assertThat(alloc.clusterIPUsage().free()).isEqualTo(252);
            assertThat(alloc.nodePortUsage()).isEqualTo(new RangeUsage(Kind.NODE_PORT, "30000-32767", 2768, 1));
        }
    }
}
