package io.kubeha.apiserver.table;

import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Which printer prints which resource, keyed as kube-apiserver names resources: "pods", "deployments.apps". */
final class Printers {
    private Printers() {}

    private static final Map<String, Printer> BY_RESOURCE = Map.ofEntries(
            Map.entry("pods", PodPrinter.INSTANCE),
            Map.entry("nodes", NodePrinter.PRINTER),
            Map.entry("namespaces", SimplePrinters.NAMESPACES),
            Map.entry("services", ServicePrinter.PRINTER),
            Map.entry("endpoints", EndpointsPrinter.ENDPOINTS),
            Map.entry("endpointslices.discovery.k8s.io", EndpointsPrinter.ENDPOINT_SLICES),
            Map.entry("configmaps", SimplePrinters.CONFIG_MAPS),
            Map.entry("secrets", SimplePrinters.SECRETS),
            Map.entry("serviceaccounts", SimplePrinters.SERVICE_ACCOUNTS),
            Map.entry("events", EventPrinter.CORE),
            Map.entry("events.events.k8s.io", EventPrinter.EVENTS_API),
            Map.entry("deployments.apps", WorkloadPrinters.DEPLOYMENTS),
            Map.entry("replicasets.apps", WorkloadPrinters.REPLICA_SETS),
            Map.entry("daemonsets.apps", WorkloadPrinters.DAEMON_SETS),
            Map.entry("controllerrevisions.apps", WorkloadPrinters.CONTROLLER_REVISIONS),
            Map.entry("leases.coordination.k8s.io", SimplePrinters.LEASES),
            Map.entry("poddisruptionbudgets.policy", SimplePrinters.POD_DISRUPTION_BUDGETS),
            Map.entry("rolebindings.rbac.authorization.k8s.io", AccessPrinters.ROLE_BINDINGS),
            Map.entry("clusterrolebindings.rbac.authorization.k8s.io", AccessPrinters.CLUSTER_ROLE_BINDINGS),
            Map.entry("certificatesigningrequests.certificates.k8s.io", AccessPrinters.CERTIFICATE_SIGNING_REQUESTS));

    /** The resource's printer, or the default (NAME, CREATED AT) that kube-apiserver uses for the rest. */
    static Printer forResource(String resource) {
        return BY_RESOURCE.getOrDefault(key(resource), SimplePrinters.DEFAULT);
    }

    /** The resources with a printer of their own. */
    static Set<String> resources() {
        return BY_RESOURCE.keySet();
    }

    static boolean has(String resource) {
        return BY_RESOURCE.containsKey(key(resource));
    }

    private static String key(String resource) {
        return resource == null ? "" : resource.toLowerCase(Locale.ROOT);
    }
}
