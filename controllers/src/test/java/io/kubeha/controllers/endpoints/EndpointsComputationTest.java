package io.kubeha.controllers.endpoints;

import io.fabric8.kubernetes.api.model.EndpointAddress;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class EndpointsComputationTest {
    static Service svc(boolean publishNotReady, String clusterIP, IntOrString target, String protocol) {
        return new ServiceBuilder().withNewMetadata().withName("s").withNamespace("ns").withLabels(Map.of("l", "v")).endMetadata()
                .withNewSpec().withClusterIP(clusterIP).withSelector(Map.of("app", "x")).withPublishNotReadyAddresses(publishNotReady)
                .addNewPort().withName("p").withPort(80).withTargetPort(target).withProtocol(protocol).endPort().endSpec().build();
    }

    static Pod pod(String name, String ip, String phase, boolean ready, boolean terminating) {
        return new PodBuilder().withNewMetadata().withName(name).withNamespace("ns").withUid("uid-" + name)
                .withLabels(Map.of("app", "x")).withDeletionTimestamp(terminating ? "2026-01-01T00:00:00Z" : null).endMetadata()
                .withNewSpec().withNodeName("n").withHostname(name).withSubdomain("s")
                .addNewContainer().withName("c").addNewPort().withName("dns").withContainerPort(53).withProtocol("UDP").endPort().endContainer()
                .endSpec()
                .withNewStatus().withPhase(phase).withPodIP(ip).addNewCondition().withType("Ready").withStatus(ready ? "True" : "False")
                .endCondition().endStatus().build();
    }

    static List<String> ips(List<EndpointAddress> as) {
        return as.stream().map(EndpointAddress::getIp).toList();
    }

    @Test
    void terminalPodsPodsWithoutIpAndTerminatingPodsAreLeftOutOfEndpoints() {
        Service s = svc(false, "10.96.0.10", new IntOrString(8080), null);
        var subsets = EndpointsComputation.subsets(s, List.of(
                pod("ok", "10.0.0.3", "Running", true, false),
                pod("down", "10.0.0.2", "Running", false, false),
                pod("done", "10.0.0.4", "Succeeded", true, false),
                pod("failed", "10.0.0.5", "Failed", true, false),
                pod("noip", null, "Pending", false, false),
                pod("dying", "10.0.0.6", "Running", true, true)));
        assertThat(subsets).singleElement().satisfies(ss -> {
            assertThat(ips(ss.getAddresses())).containsExactly("10.0.0.3");
            assertThat(ips(ss.getNotReadyAddresses())).containsExactly("10.0.0.2");
            assertThat(ss.getAddresses().getFirst().getHostname()).isEqualTo("ok"); // subdomain names the service
        });
        assertThat(EndpointsComputation.labels(s)).containsExactly(Map.entry("l", "v"));
    }

    @Test
    void publishNotReadyKeepsTerminatingPodsInEndpointsAndSlicesMarkThemTerminating() {
        Service s = svc(true, "None", new IntOrString(8080), null);
        var subsets = EndpointsComputation.subsets(s, List.of(pod("dying", "10.0.0.6", "Running", true, true),
                pod("down", "10.0.0.2", "Running", false, false)));
        assertThat(ips(subsets.getFirst().getAddresses())).containsExactly("10.0.0.2", "10.0.0.6");
        assertThat(EndpointsComputation.labels(s)).containsEntry(EndpointsComputation.HEADLESS_LABEL, "");

        // slices hold terminating pods whatever the service says; ready only with publishNotReadyAddresses
        Service plain = svc(false, "10.96.0.10", new IntOrString(8080), null);
        var groups = EndpointsComputation.sliceGroups(plain, List.of(pod("dying", "10.0.0.6", "Running", true, true)));
        Endpoint e = groups.values().iterator().next().getFirst();
        assertThat(e.getConditions().getTerminating()).isTrue();
        assertThat(e.getConditions().getServing()).isTrue();
        assertThat(e.getConditions().getReady()).isFalse();
    }

    @Test
    void namedPortsMatchTheProtocolToo() {
        Pod p = pod("a", "10.0.0.1", "Running", true, false);
        assertThat(EndpointsComputation.subsets(svc(false, "10.96.0.10", new IntOrString("dns"), "TCP"), List.of(p))).isEmpty();
        var udp = EndpointsComputation.subsets(svc(false, "10.96.0.10", new IntOrString("dns"), "UDP"), List.of(p));
        assertThat(udp.getFirst().getPorts()).singleElement().satisfies(port -> {
            assertThat(port.getPort()).isEqualTo(53);
            assertThat(port.getProtocol()).isEqualTo("UDP");
        });
    }

    @Test
    void canonicalFormsIgnoreNullVersusEmpty() {
        Service s = svc(false, "10.96.0.10", new IntOrString(8080), null);
        var a = EndpointsComputation.subsets(s, List.of(pod("ok", "10.0.0.3", "Running", true, false)));
        var b = EndpointsComputation.subsets(s, List.of(pod("ok", "10.0.0.3", "Running", true, false)));
        b.getFirst().setNotReadyAddresses(null);
        b.getFirst().getPorts().getFirst().setProtocol(null);
        assertThat(EndpointsComputation.canonical(a)).isEqualTo(EndpointsComputation.canonical(b));
        assertThat(EndpointsComputation.canonical(null)).isEqualTo(EndpointsComputation.canonical(List.of()));
    }
}
