package io.kubeha.agent.proxy;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** kube-proxy's rules for which listeners a node opens and which endpoints take new connections. */
class RoutesTest {
    static final String NODE_IP = "127.10.0.5";

    private static ServiceBuilder svc(String name, String type) {
        return new ServiceBuilder().withNewMetadata().withName(name).withNamespace("ns").endMetadata()
                .withNewSpec().withType(type).withClusterIP("127.20.0.9").withClusterIPs("127.20.0.9")
                .addNewPort().withName("http").withProtocol("TCP").withPort(80).withNodePort(30080).endPort()
                .addNewPort().withName("dns").withProtocol("UDP").withPort(53).withNodePort(30053).endPort()
                .endSpec();
    }

    /** An endpoint: address, node, and ready/serving/terminating (null: unset). */
    private record Ep(String ip, String node, Boolean ready, Boolean serving, Boolean terminating) {
    }

    private static EndpointSlice slice(String service, String addressType, Map<String, Integer> tcpPorts, Ep... eps) {
        var b = new EndpointSliceBuilder().withNewMetadata().withName(service + "-x").withNamespace("ns")
                .addToLabels(Routes.SERVICE_NAME_LABEL, service).endMetadata().withAddressType(addressType);
        tcpPorts.forEach((n, p) -> b.addNewPort().withName(n).withProtocol("TCP").withPort(p).endPort());
        b.addNewPort().withName("dns").withProtocol("UDP").withPort(5353).endPort();
        for (Ep e : eps) {
            b.addNewEndpoint().withAddresses(e.ip()).withNodeName(e.node()).withNewConditions().withReady(e.ready()).withServing(e.serving())
                    .withTerminating(e.terminating()).endConditions().endEndpoint();
        }
        return b.build();
    }

    private static Map<ListenerKey, Route> compute(List<Service> services, List<EndpointSlice> slices, boolean clusterIps) {
        return Routes.compute(services, key -> slices.stream()
                .filter(s -> key.equals(s.getMetadata().getNamespace() + "/" + s.getMetadata().getLabels().get(Routes.SERVICE_NAME_LABEL)))
                .toList(), NODE_IP, "node1", clusterIps);
    }

    private static List<String> backends(Map<ListenerKey, Route> routes, ListenerKey key) {
        assertThat(routes).containsKey(key);
        return routes.get(key).backends().stream().map(Backend::toString).toList();
    }

    static final ListenerKey CLUSTER_HTTP = new ListenerKey("127.20.0.9", 80, "TCP", true);
    static final ListenerKey CLUSTER_DNS = new ListenerKey("127.20.0.9", 53, "UDP", true);
    static final ListenerKey NODE_HTTP = new ListenerKey(NODE_IP, 30080, "TCP", false);
    static final ListenerKey NODE_DNS = new ListenerKey(NODE_IP, 30053, "UDP", false);

    @Test
    void readyEndpointsTakeConnectionsAndUnsetReadyMeansReady() {
        var routes = compute(List.of(svc("web", "ClusterIP").build()), List.of(slice("web", "IPv4", Map.of("http", 8080),
                new Ep("127.64.1.2", "node1", true, true, false),
                new Ep("127.64.1.3", "node1", null, null, null),
                new Ep("127.64.1.4", "node2", false, false, false),
                new Ep("127.64.1.5", "node2", false, true, true))), true);
        assertThat(routes.keySet()).containsExactlyInAnyOrder(CLUSTER_HTTP, CLUSTER_DNS);
        assertThat(backends(routes, CLUSTER_HTTP)).containsExactly("127.64.1.2:8080", "127.64.1.3:8080");
        assertThat(backends(routes, CLUSTER_DNS)).containsExactly("127.64.1.2:5353", "127.64.1.3:5353");
    }

    @Test
    void withNoReadyEndpointServingTerminatingOnesStillTakeConnections() {
        var routes = compute(List.of(svc("web", "ClusterIP").build()), List.of(slice("web", "IPv4", Map.of("http", 8080),
                new Ep("127.64.1.4", "node1", false, false, true),
                new Ep("127.64.1.5", "node1", false, true, true),
                new Ep("127.64.1.6", "node1", false, false, false))), true);
        assertThat(backends(routes, CLUSTER_HTTP)).containsExactly("127.64.1.5:8080");
    }

    @Test
    void slicePortsMatchByNameAndProtocolAndOnlyIpv4SlicesCount() {
        var routes = compute(List.of(svc("web", "ClusterIP").build()), List.of(
                slice("web", "IPv4", Map.of("other", 9090), new Ep("127.64.1.2", "node1", true, true, false)),
                slice("web", "FQDN", Map.of("http", 8080), new Ep("example.com", "node1", true, true, false))), true);
        assertThat(backends(routes, CLUSTER_HTTP)).isEmpty();
        assertThat(backends(routes, CLUSTER_DNS)).containsExactly("127.64.1.2:5353");
    }

    @Test
    void nodePortAndLoadBalancerServicesListenOnTheNodeIpToo() {
        Ep ep = new Ep("127.64.1.2", "node1", true, true, false);
        var nodePort = compute(List.of(svc("web", "NodePort").build()), List.of(slice("web", "IPv4", Map.of("http", 8080), ep)), true);
        assertThat(nodePort.keySet()).containsExactlyInAnyOrder(CLUSTER_HTTP, CLUSTER_DNS, NODE_HTTP, NODE_DNS);
        assertThat(backends(nodePort, NODE_HTTP)).containsExactly("127.64.1.2:8080");
        assertThat(nodePort.get(NODE_HTTP).service()).isEqualTo("ns/web:http");
        var lb = compute(List.of(svc("web", "LoadBalancer").build()), List.of(), true);
        assertThat(lb.keySet()).contains(NODE_HTTP, NODE_DNS);
        // a ClusterIP service has no node port even if one is written
        assertThat(compute(List.of(svc("web", "ClusterIP").build()), List.of(), true).keySet()).doesNotContain(NODE_HTTP);
        // without ClusterIPs (the node does not proxy them), only node ports
        assertThat(compute(List.of(svc("web", "NodePort").build()), List.of(), false).keySet())
                .containsExactlyInAnyOrder(NODE_HTTP, NODE_DNS);
    }

    @Test
    void externalAndLoadBalancerIpsAreServedWithTheExternalTrafficPolicy() {
        Service lb = svc("web", "LoadBalancer").editSpec().withExternalIPs("127.30.0.1").withExternalTrafficPolicy("Local").endSpec()
                .withNewStatus().withNewLoadBalancer().addNewIngress().withIp("127.30.0.2").endIngress()
                .addNewIngress().withIp("127.30.0.3").withIpMode("Proxy").endIngress().endLoadBalancer().endStatus().build();
        var routes = compute(List.of(lb), List.of(slice("web", "IPv4", Map.of("http", 8080),
                new Ep("127.64.1.2", "node1", true, true, false), new Ep("127.64.2.2", "node2", true, true, false))), true);
        var external = new ListenerKey("127.30.0.1", 80, "TCP", true);
        var ingress = new ListenerKey("127.30.0.2", 80, "TCP", true);
        assertThat(backends(routes, external)).containsExactly("127.64.1.2:8080");
        assertThat(backends(routes, ingress)).containsExactly("127.64.1.2:8080");
        assertThat(routes.keySet()).noneMatch(k -> k.ip().equals("127.30.0.3"));
        assertThat(backends(routes, CLUSTER_HTTP)).containsExactly("127.64.1.2:8080", "127.64.2.2:8080");
    }

    @Test
    void headlessAndExternalNameServicesAreNotProxied() {
        Service headless = svc("h", "ClusterIP").editSpec().withClusterIP("None").withClusterIPs("None").endSpec().build();
        Service external = svc("e", "ExternalName").editSpec().withExternalName("example.com").endSpec().build();
        assertThat(compute(List.of(headless, external), List.of(), true)).isEmpty();
    }

    @Test
    void localTrafficPoliciesKeepThisNodesEndpoints() {
        Ep here = new Ep("127.64.1.2", "node1", true, true, false);
        Ep there = new Ep("127.64.2.2", "node2", true, true, false);
        Service ext = svc("web", "NodePort").editSpec().withExternalTrafficPolicy("Local").endSpec().build();
        var routes = compute(List.of(ext), List.of(slice("web", "IPv4", Map.of("http", 8080), here, there)), true);
        assertThat(backends(routes, NODE_HTTP)).containsExactly("127.64.1.2:8080");
        assertThat(backends(routes, CLUSTER_HTTP)).containsExactly("127.64.1.2:8080", "127.64.2.2:8080");

        Service internal = svc("web", "NodePort").editSpec().withInternalTrafficPolicy("Local").endSpec().build();
        routes = compute(List.of(internal), List.of(slice("web", "IPv4", Map.of("http", 8080), here, there)), true);
        assertThat(backends(routes, CLUSTER_HTTP)).containsExactly("127.64.1.2:8080");
        assertThat(backends(routes, NODE_HTTP)).containsExactly("127.64.1.2:8080", "127.64.2.2:8080");
    }

    @Test
    void clientIpSessionAffinityWithItsTimeout() {
        assertThat(compute(List.of(svc("web", "ClusterIP").build()), List.of(), true).get(CLUSTER_HTTP).affinity()).isEqualTo(Duration.ZERO);
        Service sticky = svc("web", "ClusterIP").editSpec().withSessionAffinity("ClientIP").endSpec().build();
        assertThat(compute(List.of(sticky), List.of(), true).get(CLUSTER_HTTP).affinity()).isEqualTo(Duration.ofSeconds(10800));
        Service timed = svc("web", "ClusterIP").editSpec().withSessionAffinity("ClientIP").withNewSessionAffinityConfig().withNewClientIP()
                .withTimeoutSeconds(60).endClientIP().endSessionAffinityConfig().endSpec().build();
        assertThat(compute(List.of(timed), List.of(), true).get(CLUSTER_HTTP).affinity()).isEqualTo(Duration.ofSeconds(60));
    }
}
