package io.kubeha.apiserver.alloc;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServiceSpec;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** What a Service's spec says about allocation, read the way kube-apiserver reads it. */
final class Specs {
    static final String NONE = "None";
    static final String IPV4 = "IPv4";
    static final String IPV6 = "IPv6";
    static final String SINGLE_STACK = "SingleStack";
    static final String PREFER_DUAL_STACK = "PreferDualStack";
    static final String REQUIRE_DUAL_STACK = "RequireDualStack";

    private Specs() {}

    /** The spec to fill in, created when the Service has none (its type then defaults to ClusterIP). */
    static ServiceSpec specToFill(Service service) {
        if (service.getSpec() == null) service.setSpec(new ServiceSpec());
        return service.getSpec();
    }

    /** The spec to read; an empty one when there is none. */
    static ServiceSpec specToRead(Service service) {
        return service.getSpec() == null ? new ServiceSpec() : service.getSpec();
    }

    static String type(ServiceSpec spec) {
        return spec.getType() == null || spec.getType().isEmpty() ? "ClusterIP" : spec.getType();
    }

    /** Every type but ExternalName gets a ClusterIP (or is headless). */
    static boolean needsClusterIP(ServiceSpec spec) {
        return !"ExternalName".equals(type(spec));
    }

    /** NodePort and LoadBalancer Services may hold NodePorts. */
    static boolean usesNodePorts(ServiceSpec spec) {
        String t = type(spec);
        return "NodePort".equals(t) || "LoadBalancer".equals(t);
    }

    /** Whether ports without a nodePort get one (a LoadBalancer may opt out, and then only requested ones count). */
    static boolean allocatesNodePorts(ServiceSpec spec) {
        String t = type(spec);
        return "NodePort".equals(t) || "LoadBalancer".equals(t) && !Boolean.FALSE.equals(spec.getAllocateLoadBalancerNodePorts());
    }

    /** A LoadBalancer that keeps traffic on local endpoints needs a health-check NodePort. */
    static boolean needsHealthCheck(ServiceSpec spec) {
        return "LoadBalancer".equals(type(spec)) && "Local".equals(spec.getExternalTrafficPolicy());
    }

    /** The primary ClusterIP the spec asks for ({@code None} when headless), or null when it asks for none. */
    static String requestedIP(ServiceSpec spec) {
        List<String> ips = spec.getClusterIPs();
        if (ips != null && !ips.isEmpty() && ips.get(0) != null && !ips.get(0).isEmpty()) return ips.get(0);
        String ip = spec.getClusterIP();
        return ip == null || ip.isEmpty() ? null : ip;
    }

    static boolean isHeadless(ServiceSpec spec) {
        return NONE.equals(requestedIP(spec));
    }

    static boolean isEmpty(List<?> list) {
        return list == null || list.isEmpty();
    }

    static List<ServicePort> ports(ServiceSpec spec) {
        return spec.getPorts() == null ? List.of() : spec.getPorts();
    }

    static int orZero(Integer i) {
        return i == null ? 0 : i;
    }

    /** The spec's non-zero nodePorts, in port order. */
    static Set<Integer> nodePorts(ServiceSpec spec) {
        Set<Integer> out = new LinkedHashSet<>();
        for (ServicePort p : ports(spec)) {
            if (orZero(p.getNodePort()) != 0) out.add(p.getNodePort());
        }
        return out;
    }

    static String protocol(ServicePort p) {
        return p.getProtocol() == null || p.getProtocol().isEmpty() ? "TCP" : p.getProtocol();
    }

    /** How Go's %#v prints a []string, which is how kube-apiserver shows spec.clusterIPs in its messages. */
    static String goStrings(List<String> values) {
        StringBuilder sb = new StringBuilder("[]string{");
        for (int i = 0; i < values.size(); i++) {
            if (i > 0) sb.append(", ");
            sb.append('"').append(values.get(i).replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
        }
        return sb.append('}').toString();
    }
}
