package io.kubeha.agent.proxy;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServiceSpec;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The listeners a node needs and where each forwards, computed from Services and their EndpointSlices with
 * kube-proxy's rules. A pure function of its inputs, so that a sync can recompute everything (level-triggered).
 * <ul>
 *   <li>headless ({@code clusterIP: None}) and ExternalName services get nothing; SCTP ports are not proxied;</li>
 *   <li>every service port is served on each IPv4 ClusterIP (when ClusterIPs are proxied) and, for NodePort and
 *       LoadBalancer services, on the node IP at its nodePort, and on the service's externalIPs and load balancer
 *       ingress IPs;</li>
 *   <li>a slice port serves a service port when name and protocol match; an endpoint takes new connections when
 *       {@code ready} (unset means ready); when no endpoint is ready, serving endpoints that are terminating do
 *       (kube-proxy's fallback, so that a rolling update's last old pods keep answering);</li>
 *   <li>{@code internalTrafficPolicy: Local} (ClusterIP) and {@code externalTrafficPolicy: Local} (node ports,
 *       external and load balancer IPs) keep only the endpoints on this node;</li>
 *   <li>{@code sessionAffinity: ClientIP} with its timeout (default 10800 seconds).</li>
 * </ul>
 */
final class Routes {
    static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";
    private static final Duration DEFAULT_AFFINITY = Duration.ofSeconds(10800);

    private Routes() {
    }

    /**
     * @param slicesOf the EndpointSlices of a service, by "namespace/name"
     * @param nodeIp   where node ports listen
     * @param nodeName this node, for the Local traffic policies
     */
    static Map<ListenerKey, Route> compute(Collection<Service> services, Function<String, List<EndpointSlice>> slicesOf, String nodeIp,
                                           String nodeName, boolean clusterIps) {
        Map<ListenerKey, Route> out = new LinkedHashMap<>();
        for (Service svc : services) {
            ServiceSpec spec = svc.getSpec();
            if (spec == null || spec.getPorts() == null || "ExternalName".equals(spec.getType())) continue;
            String key = svc.getMetadata().getNamespace() + "/" + svc.getMetadata().getName();
            List<String> ips = clusterIps ? clusterIps(spec) : List.of();
            boolean nodePorts = "NodePort".equals(spec.getType()) || "LoadBalancer".equals(spec.getType());
            List<String> externalIps = ips.isEmpty() ? List.of() : externalIps(svc);
            if (ips.isEmpty() && !nodePorts) continue;
            List<EndpointSlice> slices = slicesOf.apply(key);
            Duration affinity = affinity(spec);
            for (ServicePort sp : spec.getPorts()) {
                String protocol = sp.getProtocol() == null ? "TCP" : sp.getProtocol();
                if (!protocol.equals("TCP") && !protocol.equals("UDP")) continue;
                if (sp.getPort() == null) continue;
                List<Candidate> all = backends(slices, nz(sp.getName()), protocol);
                String name = key + ":" + (nz(sp.getName()).isEmpty() ? sp.getPort().toString() : sp.getName());
                List<Candidate> internal = "Local".equals(spec.getInternalTrafficPolicy()) ? local(all, nodeName) : all;
                for (String ip : ips) {
                    out.put(new ListenerKey(ip, sp.getPort(), protocol, true), new Route(name, usable(internal), affinity));
                }
                List<Candidate> external = "Local".equals(spec.getExternalTrafficPolicy()) ? local(all, nodeName) : all;
                for (String ip : externalIps) {
                    out.putIfAbsent(new ListenerKey(ip, sp.getPort(), protocol, true), new Route(name, usable(external), affinity));
                }
                Integer np = sp.getNodePort();
                if (nodePorts && np != null && np > 0) {
                    out.put(new ListenerKey(nodeIp, np, protocol, false), new Route(name, usable(external), affinity,
                            "Local".equals(spec.getExternalTrafficPolicy()) ? null : nodeIp));
                }
            }
        }
        return out;
    }

    private static List<String> clusterIps(ServiceSpec spec) {
        Set<String> ips = new LinkedHashSet<>();
        if (spec.getClusterIPs() != null) ips.addAll(spec.getClusterIPs());
        if (spec.getClusterIP() != null) ips.add(spec.getClusterIP());
        // IPv4 only: the proxy binds these addresses; "None" (headless) and "" (not yet allocated) are no address
        return ipv4(ips);
    }

    /**
     * spec.externalIPs and, for LoadBalancer services, status.loadBalancer.ingress IPs (unless their ipMode is
     * Proxy: then the load balancer delivers to node ports itself), IPv4 only. Like ClusterIPs they are shared by
     * the agents of a machine.
     */
    private static List<String> externalIps(Service svc) {
        Set<String> ips = new LinkedHashSet<>();
        if (svc.getSpec().getExternalIPs() != null) ips.addAll(svc.getSpec().getExternalIPs());
        if ("LoadBalancer".equals(svc.getSpec().getType()) && svc.getStatus() != null && svc.getStatus().getLoadBalancer() != null
                && svc.getStatus().getLoadBalancer().getIngress() != null) {
            for (var ingress : svc.getStatus().getLoadBalancer().getIngress()) {
                if (ingress.getIp() != null && !"Proxy".equals(ingress.getIpMode())) ips.add(ingress.getIp());
            }
        }
        return ipv4(ips);
    }

    private static List<String> ipv4(Set<String> ips) {
        return ips.stream().filter(ip -> ip != null && ip.matches("\\d{1,3}(\\.\\d{1,3}){3}")).toList();
    }

    private static Duration affinity(ServiceSpec spec) {
        if (!"ClientIP".equals(spec.getSessionAffinity())) return Duration.ZERO;
        var cfg = spec.getSessionAffinityConfig();
        Integer t = cfg == null || cfg.getClientIP() == null ? null : cfg.getClientIP().getTimeoutSeconds();
        return t == null || t <= 0 ? DEFAULT_AFFINITY : Duration.ofSeconds(t);
    }

    /** Endpoint candidates with their conditions, from every slice of the service, first address of each endpoint. */
    private static List<Candidate> backends(List<EndpointSlice> slices, String portName, String protocol) {
        List<Candidate> out = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        for (EndpointSlice s : slices) {
            if (!"IPv4".equals(s.getAddressType()) || s.getEndpoints() == null || s.getPorts() == null) continue;
            Integer port = null;
            for (EndpointPort p : s.getPorts()) {
                String pp = p.getProtocol() == null ? "TCP" : p.getProtocol();
                if (nz(p.getName()).equals(portName) && pp.equals(protocol) && p.getPort() != null) {
                    port = p.getPort();
                    break;
                }
            }
            if (port == null) continue;
            for (Endpoint e : s.getEndpoints()) {
                if (e.getAddresses() == null || e.getAddresses().isEmpty()) continue;
                Backend b = new Backend(e.getAddresses().get(0), port, e.getNodeName());
                if (!seen.add(b.toString())) continue;
                EndpointConditions c = e.getConditions();
                boolean ready = c == null || c.getReady() == null || c.getReady();
                boolean serving = c == null || c.getServing() == null ? ready : c.getServing();
                boolean terminating = c != null && Boolean.TRUE.equals(c.getTerminating());
                out.add(new Candidate(b, ready, serving, terminating));
            }
        }
        return out;
    }

    /** An endpoint with the conditions that decide whether it takes new connections. */
    private record Candidate(Backend backend, boolean ready, boolean serving, boolean terminating) {
    }

    private static List<Candidate> local(List<Candidate> all, String nodeName) {
        return all.stream().filter(c -> nodeName.equals(c.backend().nodeName())).toList();
    }

    /** The ready endpoints; when there are none, the serving terminating ones. */
    private static List<Backend> usable(List<Candidate> all) {
        List<Backend> ready = all.stream().filter(Candidate::ready).map(Candidate::backend).toList();
        if (!ready.isEmpty()) return ready;
        return all.stream().filter(c -> c.serving() && c.terminating()).map(Candidate::backend).toList();
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }
}
