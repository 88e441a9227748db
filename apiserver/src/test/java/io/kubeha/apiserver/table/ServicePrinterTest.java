package io.kubeha.apiserver.table;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.ObjectNode;

import static io.kubeha.apiserver.table.TableTestSupport.cells;
import static io.kubeha.apiserver.table.TableTestSupport.json;
import static io.kubeha.apiserver.table.TableTestSupport.minutesAgo;
import static io.kubeha.apiserver.table.TableTestSupport.tree;
import static org.assertj.core.api.Assertions.assertThat;

class ServicePrinterTest {

    private static ObjectNode service(String spec, String status) {
        return json("""
                {"apiVersion":"v1","kind":"Service",
                 "metadata":{"name":"logapi","namespace":"default","creationTimestamp":"%s"},
                 "spec":%s,"status":%s}""".formatted(minutesAgo(150), spec, status));
    }

    @Test
    void columns() {
        assertThat(TableTestSupport.columns("services")).containsExactly(
                "Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age", "Selector*");
    }

    @Test
    void clusterIPServiceBuiltWithFabric8() {
        Service svc = new ServiceBuilder()
                .withNewMetadata().withName("kubernetes").withNamespace("default")
                .withCreationTimestamp(minutesAgo(60 * 24 * 45)).endMetadata()
                .withNewSpec().withType("ClusterIP").withClusterIP("10.96.0.1").withClusterIPs("10.96.0.1")
                .addNewPort().withName("https").withPort(443).withProtocol("TCP").endPort()
                .endSpec()
                .build();

        assertThat(cells("services", tree(svc)))
                .containsExactly("kubernetes", "ClusterIP", "10.96.0.1", "<none>", "443/TCP", "45d", "<none>");
    }

    @Test
    void nodePortShowsPortColonNodePort() {
        ObjectNode svc = service("""
                {"type":"NodePort","clusterIP":"10.96.12.34","clusterIPs":["10.96.12.34"],
                 "selector":{"tier":"backend","app":"logapi"},
                 "ports":[{"name":"http","port":80,"targetPort":8080,"nodePort":31070,"protocol":"TCP"},
                          {"name":"metrics","port":9090,"nodePort":31090,"protocol":"TCP"},
                          {"name":"dns","port":53,"protocol":"UDP"}]}""", "{}");

        assertThat(cells("services", svc)).containsExactly("logapi", "NodePort", "10.96.12.34", "<none>",
                "80:31070/TCP,9090:31090/TCP,53/UDP", "150m", "app=logapi,tier=backend");
    }

    @Test
    void externalIPsOfAClusterIPService() {
        ObjectNode svc = service("""
                {"type":"ClusterIP","clusterIPs":["10.96.0.20"],"externalIPs":["10.10.102.21","10.10.102.22"],
                 "ports":[{"port":80,"protocol":"TCP"}]}""", "{}");

        assertThat(cells("services", svc).get(3)).isEqualTo("10.10.102.21,10.10.102.22");
    }

    @Test
    void loadBalancerPendingThenIngressThenExternalIPs() {
        String spec = """
                {"type":"LoadBalancer","clusterIPs":["10.96.0.30"],
                 "ports":[{"port":443,"nodePort":30443,"protocol":"TCP"}]}""";
        ObjectNode pending = service(spec, "{\"loadBalancer\":{}}");
        ObjectNode ready = service(spec, """
                {"loadBalancer":{"ingress":[{"ip":"203.0.113.20"},{"hostname":"lb.example.com"},{"ip":"203.0.113.10"}]}}""");
        ObjectNode withExternal = service("""
                {"type":"LoadBalancer","clusterIPs":["10.96.0.30"],"externalIPs":["198.51.100.1"],
                 "ports":[{"port":443,"nodePort":30443,"protocol":"TCP"}]}""", """
                {"loadBalancer":{"ingress":[{"ip":"203.0.113.10"}]}}""");

        assertThat(cells("services", pending).get(3)).isEqualTo("<pending>");
        // sorted, and not clipped to 16 characters: the server always prints wide
        assertThat(cells("services", ready).get(3)).isEqualTo("203.0.113.10,203.0.113.20,lb.example.com");
        assertThat(cells("services", withExternal).get(3)).isEqualTo("203.0.113.10,198.51.100.1");
        assertThat(cells("services", ready).get(4)).isEqualTo("443:30443/TCP");
    }

    @Test
    void externalNameService() {
        ObjectNode svc = service("""
                {"type":"ExternalName","externalName":"db.example.com"}""", "{}");

        assertThat(cells("services", svc)).containsExactly(
                "logapi", "ExternalName", "<none>", "db.example.com", "<none>", "150m", "<none>");
    }

    @Test
    void headlessService() {
        ObjectNode svc = service("""
                {"type":"ClusterIP","clusterIP":"None","clusterIPs":["None"],"selector":{"app":"etcd"},
                 "ports":[{"name":"client","port":2379,"protocol":"TCP"},{"name":"peer","port":2380,"protocol":"TCP"}]}""",
                "{}");

        assertThat(cells("services", svc)).containsExactly(
                "logapi", "ClusterIP", "None", "<none>", "2379/TCP,2380/TCP", "150m", "app=etcd");
    }

    @Test
    void missingTypeIsUnknownAndMissingClusterIPsFallBackToClusterIP() {
        ObjectNode svc = service("""
                {"clusterIP":"10.96.0.10","ports":[{"port":53}]}""", "{}");

        assertThat(cells("services", svc).subList(1, 5)).containsExactly("", "10.96.0.10", "<unknown>", "53/TCP");
    }
}
