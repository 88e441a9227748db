package io.kubeha.apiserver.http;

import io.kubeha.apiserver.api.ApiException;
import io.kubeha.apiserver.api.Json;
import io.kubeha.apiserver.registry.ResourceType;
import io.kubeha.apiserver.registry.Resources;
import io.kubeha.apiserver.storage.ObjectStorage;
import io.kubeha.apiserver.storage.WatchCache;
import io.kubeha.store.Store;
import tools.jackson.databind.node.ObjectNode;

import io.fabric8.kubernetes.api.model.Endpoints;
import io.fabric8.kubernetes.api.model.EndpointsBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.kubeha.apiserver.alloc.RepairReport;
import io.kubeha.apiserver.alloc.ServiceAllocator;
import io.kubeha.apiserver.openapi.OpenApi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Builds the storage, watch cache and handler of every resource type, and the objects every cluster starts with. */
public final class Handlers {
    private static final Logger log = LoggerFactory.getLogger(Handlers.class);
    private final Map<ResourceType, ResourceHandler> byType = new LinkedHashMap<>();
    private final List<WatchCache> caches = new ArrayList<>();
    private final Clock clock;
    private final ServiceAllocator allocator;
    private final InetSocketAddress address;
    private final OpenApi openApi;
    private Admission admission;

    /**
     * @param notReadyTolerationSeconds    tolerationSeconds of the not-ready toleration every pod gets (DefaultTolerationSeconds)
     * @param unreachableTolerationSeconds tolerationSeconds of the unreachable toleration every pod gets
     */
    /** The authentication and authorization in front of every request of a secured server. */
    public Gate gate(io.kubeha.apiserver.auth.Authentication authentication, io.kubeha.apiserver.auth.Authorization authorization,
                     io.kubeha.security.tokens.ServiceAccountTokens tokens) {
        Gate gate = new Gate(authentication, authorization, tokens);
        admission.writeChecks(new WriteChecks(gate));
        admission.serviceAccounts(new ServiceAccountAdmission(lookup()));
        return gate;
    }

    public Handlers(Resources resources, Store store, Clock clock, ServiceAllocator allocator, InetSocketAddress address,
                    long notReadyTolerationSeconds, long unreachableTolerationSeconds) {
        this(resources, store, clock, allocator, address, notReadyTolerationSeconds, unreachableTolerationSeconds,
                io.kubeha.security.encryption.EncryptionConfig.identity());
    }

    /** @param encryption how each resource's objects are stored (--encryption-provider-config) */
    public Handlers(Resources resources, Store store, Clock clock, ServiceAllocator allocator, InetSocketAddress address,
                    long notReadyTolerationSeconds, long unreachableTolerationSeconds,
                    io.kubeha.security.encryption.EncryptionConfig encryption) {
        this.clock = clock;
        this.allocator = allocator;
        this.address = address;
        this.openApi = new OpenApi(resources);
        ResourceType nsType = resources.find("", "v1", "namespaces").orElseThrow();
        Map<ResourceType, WatchCache> cacheOf = new LinkedHashMap<>();
        for (ResourceType t : resources.all()) {
            WatchCache cache = new WatchCache(store, t, encryption);
            caches.add(cache);
            cacheOf.put(t, cache);
        }
        Admission admission = this.admission = new Admission(new ObjectStorage(store, nsType, encryption), cacheOf.get(nsType), allocator,
                new DefaultTolerationSeconds(notReadyTolerationSeconds, unreachableTolerationSeconds));
        for (ResourceType t : resources.all()) {
            byType.put(t, new ResourceHandler(t, new ObjectStorage(store, t, encryption), cacheOf.get(t), admission, clock));
        }
    }

    /** The HTTP handler serving these resources; {@code address} is what discovery tells clients to use. */
    public ApiRouter router(Resources resources, Store store, String address, Gate gate) {
        return router(resources, store, address, gate, AgentClient.plain());
    }

    /** The same, reaching the node agents (pods/log) with {@code agents}. */
    public ApiRouter router(Resources resources, Store store, String address, Gate gate, AgentClient agents) {
        return new ApiRouter(resources, byType, store, address, new Metrics(caches), openApi, clock, gate, agents);
    }

    /** Objects for authentication and authorization, from the caches (the store only when the cache misses). */
    public io.kubeha.apiserver.auth.Lookup lookup() {
        return new io.kubeha.apiserver.auth.Lookup() {
            @Override
            public java.util.Optional<ObjectNode> get(String group, String resource, String namespace, String name) {
                ResourceHandler h = find(group, resource);
                if (h == null || name == null) return java.util.Optional.empty();
                String ns = h.type().namespaced() ? namespace : null;
                if (h.type().namespaced() && ns == null) return java.util.Optional.empty();
                java.util.Optional<ObjectNode> cached = h.cache().peek(ns, name);
                return cached.isPresent() ? cached : h.storage().find(ns, name);
            }

            @Override
            public List<ObjectNode> list(String group, String resource, String namespace) {
                ResourceHandler h = find(group, resource);
                if (h == null) return List.of();
                return h.cache().list(h.type().namespaced() ? namespace : null, o -> true).items();
            }
        };
    }

    /**
     * kube-apiserver's bootstrap policy, reconciled at every start as kube's does it: what is missing is created, a
     * default role or binding gets the rules or subjects it lacks (unless annotated autoupdate=false), and nothing a
     * user added is taken away. Several servers may race: a conflict means another did it.
     */
    private void rbacPolicy() {
        String g = "rbac.authorization.k8s.io";
        reconcile(find(g, "clusterroles"), io.kubeha.security.rbac.BootstrapPolicy.clusterRoles(), true);
        reconcile(find(g, "clusterrolebindings"), io.kubeha.security.rbac.BootstrapPolicy.clusterRoleBindings(), false);
        reconcile(find(g, "roles"), io.kubeha.security.rbac.BootstrapPolicy.namespacedRoles(), true);
        reconcile(find(g, "rolebindings"), io.kubeha.security.rbac.BootstrapPolicy.namespacedRoleBindings(), false);
    }

    private void reconcile(ResourceHandler h, List<ObjectNode> wanted, boolean roles) {
        if (h == null) return; // RBAC kinds not served by this build
        for (ObjectNode w : wanted) {
            String ns = h.type().namespaced() ? w.path("metadata").path("namespace").asString(null) : null;
            String name = w.path("metadata").path("name").asString();
            try {
                var existing = h.storage().find(ns, name);
                if (existing.isEmpty()) {
                    ObjectNode obj = w.deepCopy();
                    ObjectNode meta = (ObjectNode) obj.get("metadata");
                    meta.put("uid", UUID.randomUUID().toString());
                    meta.put("creationTimestamp", Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString());
                    createIfMissing(h, ns, name, obj);
                    continue;
                }
                var updated = roles ? io.kubeha.security.rbac.BootstrapPolicy.reconcileRole(existing.get(), w)
                        : io.kubeha.security.rbac.BootstrapPolicy.reconcileBinding(existing.get(), w);
                if (updated.isPresent()) {
                    long rv = io.kubeha.apiserver.storage.Obj.parseResourceVersion(existing.get().path("metadata").path("resourceVersion").asString());
                    h.storage().update(ns, name, rv, old -> updated.get());
                    log.info("RBAC bootstrap policy: brought {} {} up to date", h.type().resource(), name);
                }
            } catch (ApiException e) {
                if (e.code() != 409) log.warn("RBAC bootstrap policy: {} {}: {}", h.type().resource(), name, e.getMessage());
            }
        }
    }

    private ResourceHandler find(String group, String resource) {
        for (Map.Entry<ResourceType, ResourceHandler> e : byType.entrySet()) {
            if (e.getKey().group().equals(group) && e.getKey().resource().equals(resource)) return e.getValue();
        }
        return null;
    }

    public List<WatchCache> caches() {
        return caches;
    }

    private ResourceHandler handler(String resource) {
        return handler("", resource);
    }

    private ResourceHandler handler(String group, String resource) {
        ResourceHandler h = find(group, resource);
        if (h == null) throw new java.util.NoSuchElementException(group + "/" + resource + " is not served");
        return h;
    }

    /**
     * What every Kubernetes cluster has, created if missing (several servers may race: the loser's create
     * fails AlreadyExists, which is fine): the namespaces default, kube-system, kube-public and kube-node-lease,
     * the {@code kubernetes} Service at the service range's first address with this server among its endpoints;
     * then the allocator's repair pass, so ClusterIPs and NodePorts agree with the Services that exist.
     */
    public void bootstrap() {
        ResourceHandler ns = handler("namespaces");
        for (String name : List.of("default", "kube-system", "kube-public", "kube-node-lease")) {
            if (ns.storage().find(null, name).isPresent()) continue;
            ObjectNode obj = Json.object();
            obj.put("apiVersion", "v1");
            obj.put("kind", "Namespace");
            ObjectNode meta = obj.putObject("metadata");
            meta.put("name", name);
            meta.put("uid", UUID.randomUUID().toString());
            meta.put("creationTimestamp", Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString());
            meta.putObject("labels").put("kubernetes.io/metadata.name", name);
            obj.putObject("spec").putArray("finalizers").add("kubernetes");
            obj.putObject("status").put("phase", "Active");
            createIfMissing(ns, null, name, obj);
        }
        kubernetesService();
        rbacPolicy();
        List<Service> services = handler("services").storage().list(null, 0, 0, null, o -> true).items().stream()
                .map(o -> Json.convert(o, Service.class)).toList();
        RepairReport report = allocator.repair(services);
        if (!report.clean()) log.info("service IP/port repair: {}", report);
    }

    private static void createIfMissing(ResourceHandler h, String namespace, String name, ObjectNode obj) {
        try {
            h.storage().create(namespace, name, obj);
        } catch (ApiException e) {
            if (e.code() != 409) throw e;
        }
    }

    /**
     * The kubernetes Service in default (port 443 to the server's port), and its Endpoints and EndpointSlice, kept to
     * the servers that are alive by the {@link EndpointReconciler}.
     */
    private void kubernetesService() {
        ResourceHandler svc = handler("services");
        if (svc.storage().find("default", "kubernetes").isEmpty()) {
            Service s = new ServiceBuilder().withNewMetadata().withName("kubernetes").withNamespace("default")
                    .withUid(UUID.randomUUID().toString()).withCreationTimestamp(now())
                    .addToLabels("component", "apiserver").addToLabels("provider", "kubernetes").endMetadata()
                    .withNewSpec().withType("ClusterIP").withClusterIP(allocator.kubernetesServiceIP())
                    .withClusterIPs(allocator.kubernetesServiceIP()).withSessionAffinity("None")
                    .addNewPort().withName("https").withProtocol("TCP").withPort(443)
                    .withTargetPort(new IntOrString(address.getPort())).endPort().endSpec().build();
            var allocation = allocator.allocateCreate(s);
            try {
                svc.storage().create("default", "kubernetes", (ObjectNode) Json.tree(s));
                allocation.commit();
            } catch (ApiException e) {
                allocation.revert();
                if (e.code() != 409) throw e;
            }
        }
        ResourceHandler eps = handler("endpoints");
        String ip = address.getAddress().getHostAddress();
        int port = address.getPort();
        if (eps.storage().find("default", "kubernetes").isEmpty()) {
            Endpoints e = new EndpointsBuilder().withNewMetadata().withName("kubernetes").withNamespace("default")
                    .withUid(UUID.randomUUID().toString()).withCreationTimestamp(now())
                    .addToLabels("endpointslice.kubernetes.io/skip-mirror", "true").endMetadata().build();
            createIfMissing(eps, "default", "kubernetes", (ObjectNode) Json.tree(e));
        }
        int targetPort = Json.convert(svc.storage().get("default", "kubernetes"), Service.class).getSpec().getPorts().stream()
                .findFirst().map(p -> p.getTargetPort() == null || p.getTargetPort().getIntVal() == null ? port : p.getTargetPort().getIntVal())
                .orElse(port);
        reconciler = new EndpointReconciler(handler("coordination.k8s.io", "leases").storage(), eps.storage(),
                handler("discovery.k8s.io", "endpointslices").storage(), clock, ip, port, EndpointReconciler.LEASE_DURATION, targetPort);
        reconciler.reconcile();
    }

    private EndpointReconciler reconciler;

    /**
     * Once every {@link EndpointReconciler#INTERVAL}: this server renews its endpoint lease and the kubernetes
     * Service's endpoints are set to the servers whose lease holds (after {@link #bootstrap()}).
     */
    public void reconcileEndpoints() {
        if (reconciler != null) reconciler.reconcile();
    }

    /** A clean stop: this server's address leaves the kubernetes Service's endpoints now, not when its lease runs out. */
    public void removeEndpoint() {
        if (reconciler != null) reconciler.remove();
    }

    public static Duration endpointInterval() {
        return EndpointReconciler.INTERVAL;
    }

    private String now() {
        return Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString();
    }
}
