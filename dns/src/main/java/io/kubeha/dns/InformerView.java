package io.kubeha.dns;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The cluster as three fabric8 informers (services, EndpointSlices, pods in every namespace), indexed by the keys
 * DNS queries come with. Queries read the informers' caches directly: there is no copy to keep in step, and when
 * the API server is away the last known state keeps being served, as CoreDNS does.
 */
final class InformerView implements ClusterView, AutoCloseable {
    static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";
    private static final String BY_SERVICE = "service";
    private static final String BY_IP = "ip";

    private final SharedIndexInformer<Service> services;
    private final SharedIndexInformer<EndpointSlice> slices;
    private final SharedIndexInformer<Pod> pods;

    InformerView(KubernetesClient client) {
        services = io.kubeha.client.Informers.keepTrying(client.services().inAnyNamespace().runnableInformer(0));
        services.addIndexers(Map.of(BY_IP, (Function<Service, List<String>>) InformerView::clusterIps));
        slices = io.kubeha.client.Informers.keepTrying(client.discovery().v1().endpointSlices().inAnyNamespace().runnableInformer(0));
        slices.addIndexers(Map.of(
                BY_SERVICE, (Function<EndpointSlice, List<String>>) InformerView::serviceKey,
                BY_IP, (Function<EndpointSlice, List<String>>) InformerView::addresses));
        pods = io.kubeha.client.Informers.keepTrying(client.pods().inAnyNamespace().runnableInformer(0));
        pods.addIndexers(Map.of(BY_IP, (Function<Pod, List<String>>) InformerView::podIps));
    }

    InformerView start() {
        services.start();
        slices.start();
        pods.start();
        return this;
    }

    @Override
    public Service service(String namespace, String name) {
        return services.getStore().getByKey(namespace + "/" + name);
    }

    @Override
    public List<EndpointSlice> slices(String namespace, String service) {
        return slices.getIndexer().byIndex(BY_SERVICE, namespace + "/" + service);
    }

    @Override
    public boolean hasServices(String namespace) {
        return !services.getIndexer().byIndex(Cache.NAMESPACE_INDEX, namespace).isEmpty();
    }

    @Override
    public boolean hasPods(String namespace) {
        return !pods.getIndexer().byIndex(Cache.NAMESPACE_INDEX, namespace).isEmpty();
    }

    @Override
    public List<Service> servicesWithClusterIp(String ip) {
        return services.getIndexer().byIndex(BY_IP, ip);
    }

    @Override
    public List<EndpointSlice> slicesWithAddress(String ip) {
        return slices.getIndexer().byIndex(BY_IP, ip);
    }

    @Override
    public List<Pod> podsWithIp(String ip) {
        return pods.getIndexer().byIndex(BY_IP, ip);
    }

    @Override
    public boolean synced() {
        return services.hasSynced() && slices.hasSynced() && pods.hasSynced();
    }

    @Override
    public void close() {
        services.stop();
        slices.stop();
        pods.stop();
    }

    // ---------------------------------------------------------------- index functions (must not throw)

    private static List<String> clusterIps(Service s) {
        Set<String> ips = new LinkedHashSet<>();
        if (s.getSpec() != null) {
            if (s.getSpec().getClusterIPs() != null) ips.addAll(s.getSpec().getClusterIPs());
            if (s.getSpec().getClusterIP() != null) ips.add(s.getSpec().getClusterIP());
        }
        ips.remove("None");
        ips.remove("");
        return normalized(ips);
    }

    private static List<String> serviceKey(EndpointSlice s) {
        Map<String, String> labels = s.getMetadata().getLabels();
        String svc = labels == null ? null : labels.get(SERVICE_NAME_LABEL);
        return svc == null ? List.of() : List.of(s.getMetadata().getNamespace() + "/" + svc);
    }

    private static List<String> addresses(EndpointSlice s) {
        Set<String> ips = new LinkedHashSet<>();
        if (s.getEndpoints() != null) {
            for (Endpoint e : s.getEndpoints()) {
                if (e.getAddresses() != null) ips.addAll(e.getAddresses());
            }
        }
        return normalized(ips);
    }

    private static List<String> podIps(Pod p) {
        Set<String> ips = new LinkedHashSet<>();
        if (p.getStatus() != null) {
            if (p.getStatus().getPodIPs() != null) {
                for (PodIP ip : p.getStatus().getPodIPs()) {
                    if (ip.getIp() != null) ips.add(ip.getIp());
                }
            }
            if (p.getStatus().getPodIP() != null) ips.add(p.getStatus().getPodIP());
        }
        return normalized(ips);
    }

    /** IPs in one canonical spelling (IPv6 has many), so an index key matches whatever form the object used. */
    private static List<String> normalized(Set<String> ips) {
        List<String> out = new ArrayList<>(ips.size());
        for (String ip : ips) {
            String n = Ips.canonical(ip);
            if (n != null && !out.contains(n)) out.add(n);
        }
        return out;
    }
}
