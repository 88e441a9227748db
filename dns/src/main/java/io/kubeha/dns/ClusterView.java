package io.kubeha.dns;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;

import java.util.List;

/** What the DNS answers from: the cluster's services, their endpoint slices and pods, by the keys queries use. */
interface ClusterView {
    /** The service, or null. Names are lower case, as Kubernetes requires them to be. */
    Service service(String namespace, String name);

    /** The EndpointSlices of a service (label kubernetes.io/service-name). */
    List<EndpointSlice> slices(String namespace, String service);

    /** Whether any service lives in the namespace (so NAMESPACE.svc.ZONE exists as a name). */
    boolean hasServices(String namespace);

    /** Whether any pod lives in the namespace (so NAMESPACE.pod.ZONE exists as a name). */
    boolean hasPods(String namespace);

    /** Services with this ClusterIP (in any of spec.clusterIPs). */
    List<Service> servicesWithClusterIp(String ip);

    /** EndpointSlices with an endpoint at this address. */
    List<EndpointSlice> slicesWithAddress(String ip);

    /** Pods with this IP in status.podIPs (or status.podIP). */
    List<Pod> podsWithIp(String ip);

    /** Whether the view has caught up with the API server at least once. */
    boolean synced();
}
