package io.kubeha.apiserver.alloc;

import io.fabric8.kubernetes.api.model.Service;
import io.kubeha.apiserver.api.ApiException;
import io.kubeha.store.Store;

import java.time.Clock;
import java.util.Collection;
import java.util.List;

/**
 * Service ClusterIP and NodePort allocation, as kube-apiserver does it, safe when several API servers share
 * one store: every value is a key in the store ({@code /registry/ranges/serviceips/10.0.0.10},
 * {@code /registry/ranges/servicenodeports/31070}) created only if absent, so the store's compare-and-swap
 * decides every race and no value is ever handed out twice.
 *
 * <p>The methods take fabric8 Services as the registry holds them and fill in what they allocate
 * ({@code spec.clusterIP(s)}, {@code spec.ipFamilies}, {@code spec.ipFamilyPolicy}, {@code ports[].nodePort},
 * {@code spec.healthCheckNodePort}). A request the user can fix fails with the {@link ApiException} kube-apiserver
 * gives (422 Invalid, naming the field); an exhausted range fails 500 ({@code range is full}), as in Kubernetes;
 * a store failure surfaces as a {@link io.kubeha.store.StoreException} after what was taken has been given back.
 * Implementations are thread-safe and keep no state outside the store.
 */
public interface ServiceAllocator {

    static ServiceAllocator create(Store store, AllocatorConfig config) {
        return create(store, config, Clock.systemUTC());
    }

    /** {@code clock} dates allocations, which {@link #repair} compares with the leak grace. */
    static ServiceAllocator create(Store store, AllocatorConfig config, Clock clock) {
        return new StoreServiceAllocator(store, config, clock);
    }

    AllocatorConfig config();

    /**
     * The ClusterIP kube-apiserver gives the {@code kubernetes} Service: the range's first address (10.0.0.1 in
     * 10.0.0.0/24). Random allocation never picks it; the API server creates that Service with this
     * {@code spec.clusterIP} and {@link #allocateCreate} honours it like any requested address.
     */
    String kubernetesServiceIP();

    /**
     * Allocates everything a new Service needs, all or nothing: its ClusterIP (the requested one, none when
     * headless or ExternalName, else a random free one) and, for NodePort and LoadBalancer Services, its
     * NodePorts and health-check NodePort. {@code service} must carry namespace, name and uid; it is filled in.
     * With {@code dryRun}, checks and fills in the same way but writes nothing.
     */
    Allocation allocateCreate(Service service, boolean dryRun);

    default Allocation allocateCreate(Service service) {
        return allocateCreate(service, false);
    }

    /**
     * Allocates for an update from {@code oldService} (as stored) to {@code newService} (as it will be written;
     * filled in): values the update leaves out are carried over from the old Service as kube-apiserver does
     * (ClusterIPs, NodePorts by port name, the health-check port), values it keeps stay, new ones are allocated,
     * and values it gives up are released on {@link Allocation#commit}. A changed ClusterIP fails 422
     * ({@code may not change once set}).
     */
    Allocation allocateUpdate(Service oldService, Service newService, boolean dryRun);

    default Allocation allocateUpdate(Service oldService, Service newService) {
        return allocateUpdate(oldService, newService, false);
    }

    /**
     * Releases what a deleted Service held: each value only if its key still names this Service (same uid), so
     * a late or repeated release never frees what another Service holds. Returns what was released.
     */
    List<Allocated> release(Service service);

    /**
     * Makes the store's allocations agree with {@code services}, which must be every Service that exists, read
     * from the store just before (kube-apiserver's repair controllers; run it when the API server starts and
     * then now and again). Allocations no Service uses are released once older than the leak grace; values
     * Services use whose key is missing, or names a Service that no longer uses them, are recorded for them.
     */
    RepairReport repair(Collection<Service> services);

    RangeUsage clusterIPUsage();

    RangeUsage nodePortUsage();
}
