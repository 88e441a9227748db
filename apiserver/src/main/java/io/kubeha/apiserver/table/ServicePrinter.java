package io.kubeha.apiserver.table;

import tools.jackson.databind.JsonNode;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

import static io.kubeha.apiserver.table.Fields.list;
import static io.kubeha.apiserver.table.Fields.num;
import static io.kubeha.apiserver.table.Fields.orElse;
import static io.kubeha.apiserver.table.Fields.str;

/**
 * Services: NAME, TYPE, CLUSTER-IP, EXTERNAL-IP, PORT(S) ("80/TCP", "80:31070/TCP"), AGE; wide SELECTOR.
 * EXTERNAL-IP depends on the type: the external IPs for ClusterIP and NodePort ("&lt;none&gt;" without),
 * the load balancer's ingress then the external IPs for LoadBalancer ("&lt;pending&gt;" until it has one),
 * the external name for ExternalName.
 */
final class ServicePrinter {
    static final Printer PRINTER = Printer.of(List.of(
            Column.NAME,
            Column.string("Type", Descriptions.SERVICE_TYPE),
            Column.string("Cluster-IP", Descriptions.SERVICE_CLUSTER_IP),
            Column.string("External-IP", Descriptions.SERVICE_EXTERNAL_IPS),
            Column.string("Port(s)", Descriptions.SERVICE_PORTS),
            Column.AGE,
            Column.wide("Selector", Descriptions.SERVICE_SELECTOR)),
            ServicePrinter::cells);

    private ServicePrinter() {}

    static List<Object> cells(JsonNode svc, Instant now) {
        JsonNode spec = svc.path("spec");
        return List.of(
                Fields.name(svc),
                str(spec, "type"),
                orElse(clusterIP(spec), "<none>"),
                externalIP(svc),
                orElse(ports(spec), "<none>"),
                Fields.age(svc, now),
                Labels.formatLabels(spec.path("selector")));
    }

    /**
     * Kube prints spec.clusterIPs[0]; kubeha falls back to spec.clusterIP for a service whose clusterIPs
     * was never filled in (kube's defaulting always fills it from clusterIP, so its objects agree).
     */
    private static String clusterIP(JsonNode spec) {
        List<JsonNode> ips = list(spec, "clusterIPs");
        return ips.isEmpty() ? str(spec, "clusterIP") : str(ips.get(0));
    }

    private static String externalIP(JsonNode svc) {
        JsonNode spec = svc.path("spec");
        List<String> externalIPs = list(spec, "externalIPs").stream().map(Fields::str).toList();
        switch (str(spec, "type")) {
            case "ClusterIP", "NodePort" -> {
                return externalIPs.isEmpty() ? "<none>" : String.join(",", externalIPs);
            }
            case "LoadBalancer" -> {
                String lbIps = loadBalancerIngress(svc.path("status").path("loadBalancer"));
                if (!externalIPs.isEmpty()) {
                    List<String> results = new ArrayList<>();
                    if (!lbIps.isEmpty()) {
                        results.addAll(List.of(lbIps.split(",")));
                    }
                    results.addAll(externalIPs);
                    return String.join(",", results);
                }
                return lbIps.isEmpty() ? "<pending>" : lbIps;
            }
            case "ExternalName" -> {
                return str(spec, "externalName");
            }
            default -> {
                return "<unknown>";
            }
        }
    }

    /**
     * The ingress IPs (or hostnames), sorted and unique. Kube clips this to 16 characters only for
     * non-wide output, and the server always prints wide, so it is never clipped here.
     */
    private static String loadBalancerIngress(JsonNode loadBalancer) {
        TreeSet<String> result = new TreeSet<>();
        for (JsonNode ingress : list(loadBalancer, "ingress")) {
            if (!str(ingress, "ip").isEmpty()) {
                result.add(str(ingress, "ip"));
            } else if (!str(ingress, "hostname").isEmpty()) {
                result.add(str(ingress, "hostname"));
            }
        }
        return String.join(",", result);
    }

    /**
     * "port/protocol", or "port:nodePort/protocol" when a node port is allocated. A missing protocol
     * prints as TCP, which kube's defaulting would have set.
     */
    private static String ports(JsonNode spec) {
        List<String> pieces = new ArrayList<>();
        for (JsonNode p : list(spec, "ports")) {
            String protocol = orElse(str(p, "protocol"), "TCP");
            long nodePort = num(p, "nodePort");
            pieces.add(nodePort > 0
                    ? num(p, "port") + ":" + nodePort + "/" + protocol
                    : num(p, "port") + "/" + protocol);
        }
        return String.join(",", pieces);
    }
}
