package io.kubeha.apiserver.alloc;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Services as the registry hands them to the allocator: namespace, name and uid set, spec as the user wrote it. */
final class Services {
    private Services() {}

    static Service clusterIP(String namespace, String name, String clusterIP, ServicePort... ports) {
        return service(namespace, name, "ClusterIP", clusterIP, ports);
    }

    static Service nodePort(String namespace, String name, ServicePort... ports) {
        return service(namespace, name, "NodePort", null, ports);
    }

    static Service service(String namespace, String name, String type, String clusterIP, ServicePort... ports) {
        Service s = new ServiceBuilder()
                .withNewMetadata().withNamespace(namespace).withName(name).withUid(UUID.randomUUID().toString()).endMetadata()
                .withNewSpec().withType(type).withSelector(Map.of("app", name)).endSpec()
                .build();
        if (clusterIP != null) s.getSpec().setClusterIP(clusterIP);
        s.getSpec().setPorts(new ArrayList<>(List.of(ports)));
        return s;
    }

    /** The seed's kube-dns: 10.0.0.10, DNS over UDP and TCP on 53. */
    static Service kubeDns() {
        return clusterIP("kube-system", "kube-dns", "10.0.0.10", port("dns", 53, "UDP", null), port("dns-tcp", 53, "TCP", null));
    }

    /** The seed's logapi: NodePort 31070. */
    static Service logapi() {
        return nodePort("default", "logapi", port("http", 8080, "TCP", 31070));
    }

    static ServicePort port(String name, int port, String protocol, Integer nodePort) {
        return new ServicePortBuilder().withName(name).withPort(port).withProtocol(protocol).withNodePort(nodePort).build();
    }

    static ServicePort tcp(int port) {
        return port("p" + port, port, "TCP", null);
    }

    /** A deep copy, as the registry would hold the stored object apart from the one being updated. */
    static Service copy(Service s) {
        return io.kubeha.apiserver.api.Json.MAPPER.convertValue(s, Service.class);
    }
}
