package io.kubeha.controllers.endpoints;

import io.fabric8.kubernetes.api.model.EndpointSubset;
import io.fabric8.kubernetes.api.model.Endpoints;
import io.fabric8.kubernetes.api.model.EndpointsBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.kubeha.controllers.ControllerContext;
import io.kubeha.controllers.InformerController;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

import static io.kubeha.controllers.endpoints.EndpointsComputation.canonical;
import static io.kubeha.controllers.endpoints.EndpointsComputation.canonicalPorts;
import static io.kubeha.controllers.endpoints.EndpointsComputation.hasSelector;
import static io.kubeha.controllers.endpoints.EndpointsComputation.labelsOf;
import static io.kubeha.controllers.endpoints.EndpointsComputation.sameSlice;
import static io.kubeha.controllers.endpoints.EndpointsComputation.selects;
import static io.kubeha.controllers.endpoints.EndpointsComputation.slicePorts;

/** Keeps each selector Service's Endpoints and EndpointSlices in line with its pods (see the package documentation). */
public final class EndpointsController extends InformerController {
    public static final String NAME = "endpoints";
    public static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";
    public static final String MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by";
    public static final String MANAGED_BY = "endpointslice-controller.k8s.io";
    /** Endpoints used as leader-election locks (old kube); never deleted as leftovers. */
    static final String LEADER_ANNOTATION = "control-plane.alpha.kubernetes.io/leader";
    /** How long a created slice may stay unseen in the cache before this controller stops waiting for it. */
    static final Duration PENDING_CREATE_TIMEOUT = Duration.ofSeconds(30);
    static final Duration STALE_RECHECK = Duration.ofMillis(50);

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(EndpointsController.class);

    private SharedIndexInformer<Service> services;
    private SharedIndexInformer<Pod> pods;
    private SharedIndexInformer<Endpoints> endpoints;
    private SharedIndexInformer<EndpointSlice> slices;
    /** Slices this controller created and its cache has not shown yet, by service key: name to nanoTime of the create. */
    private final Map<String, Map<String, Long>> pendingCreates = new ConcurrentHashMap<>();

    public EndpointsController(ControllerContext ctx) {
        super(ctx);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    protected void setUp() {
        services = inform(ctx.client().services().inAnyNamespace(), enqueueing((Service s) -> List.of(key(s))));
        pods = inform(ctx.client().pods().inAnyNamespace(), new ResourceEventHandler<>() {
            @Override
            public void onAdd(Pod pod) {
                enqueueSelecting(pod);
            }

            @Override
            public void onUpdate(Pod oldPod, Pod newPod) {
                enqueueSelecting(oldPod);
                enqueueSelecting(newPod);
            }

            @Override
            public void onDelete(Pod pod, boolean unknown) {
                enqueueSelecting(pod);
            }
        });
        // someone else's edit or delete of a managed object brings it back
        endpoints = inform(ctx.client().endpoints().inAnyNamespace(), enqueueing((Endpoints e) -> {
            Service s = services == null ? null : services.getStore().getByKey(key(e));
            return s != null && hasSelector(s) ? List.of(key(e)) : List.of();
        }));
        slices = inform(ctx.client().discovery().v1().endpointSlices().inAnyNamespace(), enqueueing((EndpointSlice s) -> {
            String svc = serviceOf(s);
            return svc == null ? List.of() : List.of(s.getMetadata().getNamespace() + "/" + svc);
        }));
    }

    @Override
    public void start() throws Exception {
        super.start();
        if (!hasSynced()) {
            return;
        }
        // kube's checkLeftoverEndpoints (and the garbage collector for slices): objects of Services deleted while
        // no controller ran
        for (Endpoints e : endpoints.getStore().list()) {
            var ann = e.getMetadata().getAnnotations();
            if (services.getStore().getByKey(key(e)) == null && (ann == null || !ann.containsKey(LEADER_ANNOTATION))) {
                queue.add(key(e));
            }
        }
        for (EndpointSlice s : slices.getStore().list()) {
            String svc = serviceOf(s);
            if (svc != null && services.getStore().getByKey(s.getMetadata().getNamespace() + "/" + svc) == null) {
                queue.add(s.getMetadata().getNamespace() + "/" + svc);
            }
        }
    }

    private static String serviceOf(EndpointSlice s) {
        Map<String, String> l = s.getMetadata().getLabels();
        return l != null && MANAGED_BY.equals(l.get(MANAGED_BY_LABEL)) ? l.get(SERVICE_NAME_LABEL) : null;
    }

    private void enqueueSelecting(Pod pod) {
        if (services == null) {
            return;
        }
        for (Service s : services.getIndexer().byIndex(Cache.NAMESPACE_INDEX, pod.getMetadata().getNamespace())) {
            if (selects(s, pod)) {
                queue.add(key(s));
            }
        }
    }

    @Override
    public Duration reconcile(String key) {
        int slash = key.indexOf('/');
        String namespace = key.substring(0, slash);
        String name = key.substring(slash + 1);
        Service svc = services.getStore().getByKey(key);
        if (svc == null) {
            deleteEndpoints(namespace, name);
            for (EndpointSlice s : managedSlices(namespace, name)) {
                deleteSlice(s);
            }
            return null;
        }
        if (!hasSelector(svc) || "ExternalName".equals(svc.getSpec().getType())) {
            return null; // their Endpoints and slices are someone else's
        }
        List<Pod> all = pods.getIndexer().byIndex(Cache.NAMESPACE_INDEX, namespace);
        try {
            syncEndpoints(svc, all);
            return syncSlices(key, svc, all);
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e;
            }
            // the cache is behind our own last write (a conflict, or already created): look again once it caught up
            log.debug("endpoints: {} acted on a stale cache ({}); again shortly", key, e.getMessage());
            return STALE_RECHECK;
        }
    }

    // ---- Endpoints ----

    private void syncEndpoints(Service svc, List<Pod> all) {
        String ns = svc.getMetadata().getNamespace();
        String name = svc.getMetadata().getName();
        List<EndpointSubset> subsets = EndpointsComputation.subsets(svc, all);
        Map<String, String> labels = EndpointsComputation.labels(svc);
        Endpoints existing = endpoints.getStore().getByKey(ns + "/" + name);
        if (existing == null) {
            ctx.checkActing();
            ctx.client().endpoints().inNamespace(ns).resource(new EndpointsBuilder().withNewMetadata().withName(name)
                    .withNamespace(ns).withLabels(labels).endMetadata().withSubsets(subsets).build()).create();
            return;
        }
        if (canonical(existing.getSubsets()).equals(canonical(subsets)) && labelsOf(existing.getMetadata().getLabels()).equals(labels)) {
            return;
        }
        Endpoints updated = new EndpointsBuilder(existing).editMetadata().withLabels(labels).endMetadata()
                .withSubsets(subsets).build();
        ctx.checkActing();
        ctx.client().endpoints().inNamespace(ns).resource(updated).update();
    }

    private void deleteEndpoints(String namespace, String name) {
        Endpoints e = endpoints.getStore().getByKey(namespace + "/" + name);
        if (e != null && e.getMetadata().getAnnotations() != null && e.getMetadata().getAnnotations().containsKey(LEADER_ANNOTATION)) {
            return;
        }
        ctx.checkActing();
        try {
            // also when the cache has not shown it yet: it may have been created a moment ago
            ctx.client().endpoints().inNamespace(namespace).withName(name).delete();
        } catch (KubernetesClientException ex) {
            if (ex.getCode() != 404) {
                throw ex;
            }
        }
    }

    // ---- EndpointSlices ----

    private List<EndpointSlice> managedSlices(String namespace, String service) {
        List<EndpointSlice> out = new ArrayList<>();
        for (EndpointSlice s : slices.getIndexer().byIndex(Cache.NAMESPACE_INDEX, namespace)) {
            if (service.equals(serviceOf(s))) {
                out.add(s);
            }
        }
        out.sort(java.util.Comparator.comparing(s -> s.getMetadata().getName()));
        return out;
    }

    private Duration syncSlices(String key, Service svc, List<Pod> all) {
        String ns = svc.getMetadata().getNamespace();
        String name = svc.getMetadata().getName();
        List<EndpointSlice> existing = managedSlices(ns, name);
        if (awaitingCreates(key, existing)) {
            // a slice created earlier is not in the cache yet: acting now could create a duplicate
            return STALE_RECHECK;
        }
        Map<List<EndpointsComputation.Port>, List<Endpoint>> groups = EndpointsComputation.sliceGroups(svc, all);
        if (groups.isEmpty()) {
            groups = Map.of(List.of(), List.of()); // kube keeps one empty placeholder slice
        }
        Map<String, String> labels = new TreeMap<>(EndpointsComputation.labels(svc));
        labels.put(SERVICE_NAME_LABEL, name);
        labels.put(MANAGED_BY_LABEL, MANAGED_BY);
        OwnerReference owner = new OwnerReferenceBuilder().withApiVersion("v1").withKind("Service").withName(name)
                .withUid(svc.getMetadata().getUid()).withController(true).withBlockOwnerDeletion(true).build();

        // slices of an earlier Service of the same name are not reused
        List<EndpointSlice> unused = new ArrayList<>();
        for (EndpointSlice s : existing) {
            if (ownedBy(s, svc)) {
                unused.add(s);
            } else {
                deleteSlice(s);
            }
        }
        List<Map.Entry<List<EndpointsComputation.Port>, List<Endpoint>>> toPlace = new ArrayList<>();
        // first: slices already holding a group's ports
        for (var g : groups.entrySet()) {
            String ports = canonicalPorts(slicePorts(g.getKey()));
            EndpointSlice match = null;
            for (EndpointSlice s : unused) {
                if (canonicalPorts(s.getPorts()).equals(ports)) {
                    match = s;
                    break;
                }
            }
            if (match == null) {
                toPlace.add(g);
            } else {
                unused.remove(match);
                if (!sameSlice(match, g.getKey(), g.getValue(), labels)) {
                    updateSlice(match, g.getKey(), g.getValue(), labels);
                }
            }
        }
        // then: reuse leftover slices for the other groups, create the rest
        for (var g : toPlace) {
            if (!unused.isEmpty()) {
                updateSlice(unused.removeFirst(), g.getKey(), g.getValue(), labels);
            } else {
                ctx.checkActing();
                EndpointSlice created = ctx.client().discovery().v1().endpointSlices().inNamespace(ns).resource(new EndpointSliceBuilder()
                        .withNewMetadata().withGenerateName(name + "-").withNamespace(ns).withLabels(labels)
                        .withOwnerReferences(owner).endMetadata()
                        .withAddressType("IPv4").withPorts(slicePorts(g.getKey())).withEndpoints(g.getValue()).build()).create();
                pendingCreates.computeIfAbsent(key, k -> new ConcurrentHashMap<>()).put(created.getMetadata().getName(), System.nanoTime());
            }
        }
        for (EndpointSlice s : unused) {
            deleteSlice(s);
        }
        return null;
    }

    private boolean awaitingCreates(String key, List<EndpointSlice> existing) {
        Map<String, Long> pending = pendingCreates.get(key);
        if (pending == null) {
            return false;
        }
        Set<String> seen = new LinkedHashSet<>();
        existing.forEach(s -> seen.add(s.getMetadata().getName()));
        long now = System.nanoTime();
        for (Iterator<Map.Entry<String, Long>> it = pending.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            if (seen.contains(e.getKey()) || now - e.getValue() > PENDING_CREATE_TIMEOUT.toNanos()) {
                it.remove();
            }
        }
        if (pending.isEmpty()) {
            pendingCreates.remove(key, pending);
            return false;
        }
        return true;
    }

    private static boolean ownedBy(EndpointSlice s, Service svc) {
        List<OwnerReference> refs = s.getMetadata().getOwnerReferences();
        return refs != null && refs.stream().anyMatch(r -> "Service".equals(r.getKind())
                && Objects.equals(r.getUid(), svc.getMetadata().getUid()));
    }

    private void updateSlice(EndpointSlice s, List<EndpointsComputation.Port> ports, List<Endpoint> eps, Map<String, String> labels) {
        EndpointSlice updated = new EndpointSliceBuilder(s).editMetadata().withLabels(labels).endMetadata()
                .withPorts(slicePorts(ports)).withEndpoints(eps).build();
        ctx.checkActing();
        ctx.client().discovery().v1().endpointSlices().inNamespace(s.getMetadata().getNamespace()).resource(updated).update();
    }

    private void deleteSlice(EndpointSlice s) {
        ctx.checkActing();
        try {
            ctx.client().discovery().v1().endpointSlices().inNamespace(s.getMetadata().getNamespace())
                    .withName(s.getMetadata().getName()).delete();
        } catch (KubernetesClientException ex) {
            if (ex.getCode() != 404) {
                throw ex;
            }
        }
    }
}
