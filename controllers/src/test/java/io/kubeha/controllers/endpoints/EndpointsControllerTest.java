package io.kubeha.controllers.endpoints;

import io.fabric8.kubernetes.api.model.EndpointAddress;
import io.fabric8.kubernetes.api.model.EndpointSubset;
import io.fabric8.kubernetes.api.model.Endpoints;
import io.fabric8.kubernetes.api.model.EndpointsBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodIPBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeha.controllers.ApiFixture;
import io.kubeha.controllers.ControllerManager;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class EndpointsControllerTest {
    static final String NS = "default";

    static ControllerManager.Config config() {
        return ControllerManager.Config.defaults().withControllers(Set.of("endpoints"))
                .withTimings(Duration.ofSeconds(3), Duration.ofSeconds(2), Duration.ofMillis(100));
    }

    static Service service(KubernetesClient c, String name, Map<String, String> selector, IntOrString targetPort, boolean publishNotReady) {
        return c.services().inNamespace(NS).resource(new ServiceBuilder().withNewMetadata().withName(name)
                .withLabels(Map.of("team", "a")).endMetadata()
                .withNewSpec().addNewPort().withName("http").withPort(80).withTargetPort(targetPort).endPort()
                .withSelector(selector).withPublishNotReadyAddresses(publishNotReady).endSpec().build()).create();
    }

    static Pod pod(KubernetesClient c, String name, Map<String, String> labels, String node, String portName, int port) {
        var b = new PodBuilder().withNewMetadata().withName(name).withLabels(labels).endMetadata()
                .withNewSpec().withNodeName(node).addNewContainer().withName("c").withImage("img");
        if (portName != null) {
            b = b.addNewPort().withName(portName).withContainerPort(port).endPort();
        }
        return c.pods().inNamespace(NS).resource(b.endContainer().endSpec().build()).create();
    }

    /** What a node agent reports: Running, an IP, Ready True or False (through pods/status). */
    static void running(KubernetesClient c, String name, String ip, boolean ready) {
        Pod p = c.pods().inNamespace(NS).withName(name).get();
        Pod updated = new PodBuilder(p).editOrNewStatus().withPhase("Running").withPodIP(ip)
                .withPodIPs(new PodIPBuilder().withIp(ip).build())
                .withConditions(new PodConditionBuilder().withType("Ready").withStatus(ready ? "True" : "False")
                        .withLastTransitionTime(Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString()).build())
                .endStatus().build();
        c.pods().inNamespace(NS).resource(updated).updateStatus();
    }

    static Endpoints awaitEndpoints(KubernetesClient c, String name, Predicate<Endpoints> p) {
        return await().atMost(ApiFixture.WAIT).until(() -> c.endpoints().inNamespace(NS).withName(name).get(),
                e -> e != null && p.test(e));
    }

    static List<EndpointSlice> slices(KubernetesClient c, String service) {
        return c.discovery().v1().endpointSlices().inNamespace(NS)
                .withLabel(EndpointsController.SERVICE_NAME_LABEL, service).list().getItems();
    }

    static List<String> ips(List<EndpointAddress> as) {
        return as == null ? List.of() : as.stream().map(EndpointAddress::getIp).toList();
    }

    static List<String> ready(Endpoints e) {
        return e.getSubsets().stream().flatMap(s -> ips(s.getAddresses()).stream()).toList();
    }

    static List<String> notReady(Endpoints e) {
        return e.getSubsets().stream().flatMap(s -> ips(s.getNotReadyAddresses()).stream()).toList();
    }

    @Test
    void readyPodsInAddressesNotReadyAsideAndPodsThatStopMatchingLeave() throws Exception {
        try (ApiFixture api = new ApiFixture()) {
            KubernetesClient c = api.client;
            api.node("n1");
            api.manager(config());
            Service svc = service(c, "web", Map.of("app", "web"), new IntOrString(8080), false);
            // a service without pods gets empty Endpoints and an empty placeholder slice
            awaitEndpoints(c, "web", e -> e.getSubsets() == null || e.getSubsets().isEmpty());
            await().atMost(ApiFixture.WAIT).until(() -> slices(c, "web").size() == 1);

            pod(c, "a", Map.of("app", "web"), "n1", null, 0);
            pod(c, "b", Map.of("app", "web"), "n1", null, 0);
            pod(c, "pending", Map.of("app", "web"), null, null, 0); // no IP: left out
            Pod other = pod(c, "other", Map.of("app", "db"), "n1", null, 0);
            running(c, "a", "10.244.0.1", true);
            running(c, "b", "10.244.0.2", false);
            running(c, "other", "10.244.0.9", true);

            Endpoints e = awaitEndpoints(c, "web", x -> ready(x).equals(List.of("10.244.0.1")) && notReady(x).equals(List.of("10.244.0.2")));
            assertThat(e.getSubsets()).hasSize(1);
            EndpointSubset s = e.getSubsets().getFirst();
            assertThat(s.getPorts()).singleElement().satisfies(p -> {
                assertThat(p.getPort()).isEqualTo(8080);
                assertThat(p.getName()).isEqualTo("http");
                assertThat(p.getProtocol()).isEqualTo("TCP");
            });
            EndpointAddress a = s.getAddresses().getFirst();
            assertThat(a.getNodeName()).isEqualTo("n1");
            assertThat(a.getTargetRef().getKind()).isEqualTo("Pod");
            assertThat(a.getTargetRef().getName()).isEqualTo("a");
            assertThat(a.getTargetRef().getUid()).isEqualTo(c.pods().inNamespace(NS).withName("a").get().getMetadata().getUid());
            assertThat(e.getMetadata().getLabels()).containsEntry("team", "a");

            // the slice mirrors it
            EndpointSlice slice = await().atMost(ApiFixture.WAIT).until(() -> slices(c, "web"),
                    l -> l.size() == 1 && l.getFirst().getEndpoints().size() == 2).getFirst();
            assertThat(slice.getMetadata().getName()).startsWith("web-");
            assertThat(slice.getAddressType()).isEqualTo("IPv4");
            assertThat(slice.getMetadata().getLabels()).containsEntry(EndpointsController.MANAGED_BY_LABEL, EndpointsController.MANAGED_BY)
                    .containsEntry("team", "a");
            assertThat(slice.getMetadata().getOwnerReferences()).singleElement().satisfies(r -> {
                assertThat(r.getKind()).isEqualTo("Service");
                assertThat(r.getUid()).isEqualTo(svc.getMetadata().getUid());
                assertThat(r.getController()).isTrue();
            });
            assertThat(slice.getPorts()).singleElement().satisfies(p -> assertThat(p.getPort()).isEqualTo(8080));
            Endpoint ea = slice.getEndpoints().stream().filter(x -> x.getTargetRef().getName().equals("a")).findFirst().orElseThrow();
            Endpoint eb = slice.getEndpoints().stream().filter(x -> x.getTargetRef().getName().equals("b")).findFirst().orElseThrow();
            assertThat(ea.getAddresses()).containsExactly("10.244.0.1");
            assertThat(ea.getNodeName()).isEqualTo("n1");
            assertThat(ea.getConditions().getReady()).isTrue();
            assertThat(ea.getConditions().getServing()).isTrue();
            assertThat(ea.getConditions().getTerminating()).isFalse();
            assertThat(eb.getConditions().getReady()).isFalse();
            assertThat(eb.getConditions().getServing()).isFalse();

            // nothing changed that matters: no writes (pod events for matching and other pods still come in)
            String epRv = c.endpoints().inNamespace(NS).withName("web").get().getMetadata().getResourceVersion();
            String sliceRv = slices(c, "web").getFirst().getMetadata().getResourceVersion();
            c.pods().inNamespace(NS).withName("a").edit(p -> new PodBuilder(p).editMetadata().addToAnnotations("x", "1").endMetadata().build());
            c.pods().inNamespace(NS).withName(other.getMetadata().getName()).edit(p -> new PodBuilder(p).editMetadata().addToAnnotations("x", "1").endMetadata().build());
            c.services().inNamespace(NS).withName("web").edit(x -> new ServiceBuilder(x).editMetadata().addToAnnotations("x", "1").endMetadata().build());
            Thread.sleep(1500);
            assertThat(c.endpoints().inNamespace(NS).withName("web").get().getMetadata().getResourceVersion()).isEqualTo(epRv);
            assertThat(slices(c, "web")).singleElement().satisfies(x -> assertThat(x.getMetadata().getResourceVersion()).isEqualTo(sliceRv));

            // b becomes ready; a stops matching the selector and leaves
            running(c, "b", "10.244.0.2", true);
            c.pods().inNamespace(NS).withName("a").edit(p -> new PodBuilder(p).editMetadata().addToLabels("app", "old").endMetadata().build());
            awaitEndpoints(c, "web", x -> ready(x).equals(List.of("10.244.0.2")) && notReady(x).isEmpty());
            await().atMost(ApiFixture.WAIT).until(() -> slices(c, "web"), l -> l.size() == 1 && l.getFirst().getEndpoints().size() == 1
                    && l.getFirst().getEndpoints().getFirst().getTargetRef().getName().equals("b")
                    && l.getFirst().getEndpoints().getFirst().getConditions().getReady());

            // a terminal pod leaves; a deleted Endpoints comes back
            Pod b = c.pods().inNamespace(NS).withName("b").get();
            c.pods().inNamespace(NS).resource(new PodBuilder(b).editStatus().withPhase("Succeeded").endStatus().build()).updateStatus();
            awaitEndpoints(c, "web", x -> x.getSubsets() == null || x.getSubsets().isEmpty());
            c.endpoints().inNamespace(NS).withName("web").delete();
            awaitEndpoints(c, "web", x -> x.getMetadata().getDeletionTimestamp() == null);
        }
    }

    @Test
    void namedTargetPortIsResolvedInEachPod() throws Exception {
        try (ApiFixture api = new ApiFixture()) {
            KubernetesClient c = api.client;
            api.manager(config());
            service(c, "named", Map.of("app", "n"), new IntOrString("web"), false);
            pod(c, "p8080", Map.of("app", "n"), null, "web", 8080);
            pod(c, "p9090", Map.of("app", "n"), null, "web", 9090);
            pod(c, "noport", Map.of("app", "n"), null, "metrics", 7000); // no port named web: left out
            running(c, "p8080", "10.244.1.1", true);
            running(c, "p9090", "10.244.1.2", true);
            running(c, "noport", "10.244.1.3", true);
            Endpoints e = awaitEndpoints(c, "named", x -> x.getSubsets() != null && x.getSubsets().size() == 2);
            assertThat(e.getSubsets()).extracting(s -> s.getPorts().getFirst().getPort(), s -> ips(s.getAddresses()))
                    .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple(8080, List.of("10.244.1.1")),
                            org.assertj.core.groups.Tuple.tuple(9090, List.of("10.244.1.2")));
            // one slice per distinct port mapping
            List<EndpointSlice> l = await().atMost(ApiFixture.WAIT).until(() -> slices(c, "named"), x -> x.size() == 2);
            assertThat(l).extracting(s -> s.getPorts().getFirst().getPort(), s -> s.getEndpoints().getFirst().getAddresses().getFirst())
                    .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple(8080, "10.244.1.1"),
                            org.assertj.core.groups.Tuple.tuple(9090, "10.244.1.2"));
            assertThat(l).allSatisfy(s -> assertThat(s.getEndpoints()).hasSize(1));
        }
    }

    @Test
    void publishNotReadyAddressesListsNotReadyPodsAsAddresses() throws Exception {
        try (ApiFixture api = new ApiFixture()) {
            KubernetesClient c = api.client;
            api.manager(config());
            service(c, "pnr", Map.of("app", "p"), new IntOrString(80), true);
            pod(c, "p", Map.of("app", "p"), null, null, 0);
            running(c, "p", "10.244.2.1", false);
            awaitEndpoints(c, "pnr", x -> ready(x).equals(List.of("10.244.2.1")) && notReady(x).isEmpty());
            await().atMost(ApiFixture.WAIT).until(() -> slices(c, "pnr"), l -> l.size() == 1 && l.getFirst().getEndpoints().size() == 1
                    && l.getFirst().getEndpoints().getFirst().getConditions().getReady()
                    && !l.getFirst().getEndpoints().getFirst().getConditions().getServing());
        }
    }

    @Test
    void deletingTheServiceDeletesItsEndpointsAndSlicesAndSelectorlessServicesAreLeftAlone() throws Exception {
        try (ApiFixture api = new ApiFixture()) {
            KubernetesClient c = api.client;
            // a selectorless Service with Endpoints of its user
            c.services().inNamespace(NS).resource(new ServiceBuilder().withNewMetadata().withName("ext").endMetadata()
                    .withNewSpec().addNewPort().withPort(5432).endPort().endSpec().build()).create();
            Endpoints user = c.endpoints().inNamespace(NS).resource(new EndpointsBuilder().withNewMetadata().withName("ext").endMetadata()
                    .addNewSubset().addNewAddress().withIp("192.168.5.5").endAddress().addNewPort().withPort(5432).endPort().endSubset()
                    .build()).create();
            api.manager(config());
            service(c, "gone", Map.of("app", "g"), new IntOrString(80), false);
            pod(c, "g", Map.of("app", "g"), null, null, 0);
            running(c, "g", "10.244.3.1", true);
            awaitEndpoints(c, "gone", x -> ready(x).equals(List.of("10.244.3.1")));
            await().atMost(ApiFixture.WAIT).until(() -> slices(c, "gone").size() == 1);

            c.services().inNamespace(NS).withName("gone").delete();
            await().atMost(ApiFixture.WAIT).until(() -> c.endpoints().inNamespace(NS).withName("gone").get() == null);
            await().atMost(ApiFixture.WAIT).until(() -> slices(c, "gone").isEmpty());

            Endpoints ext = c.endpoints().inNamespace(NS).withName("ext").get();
            assertThat(ext.getMetadata().getResourceVersion()).isEqualTo(user.getMetadata().getResourceVersion());
            assertThat(slices(c, "ext")).isEmpty();
        }
    }
}
