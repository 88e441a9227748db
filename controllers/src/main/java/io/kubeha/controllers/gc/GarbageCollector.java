package io.kubeha.controllers.gc;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.Informable;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.kubeha.controllers.ControllerContext;
import io.kubeha.controllers.InformerController;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Kubernetes' garbage collector over ownerReferences, for the namespaced resources listed in {@link #kinds}.
 * The work item is an object's uid; the informers keep an {@link OwnerGraph} (objects by uid, dependents by
 * owner uid) and enqueue the object, its owners (a foreground owner may be waiting for it) and, when it goes, its
 * dependents (they may now be ownerless).
 * <ul>
 * <li>An object not being deleted whose owners are all absent (no object with that uid: a same-named object with
 * another uid does not count) is deleted, with Background propagation, or Foreground if an owner is waiting for
 * it in foreground deletion and it has dependents of its own. An owner missing from the cache is looked up live
 * before it is declared absent. If at least one owner is alive, the object stays; references to absent owners
 * are then removed, and references to owners in foreground deletion are unblocked (blockOwnerDeletion=false), as
 * kube does.</li>
 * <li>An object being deleted with the "orphan" finalizer: its reference is removed from every dependent (JSON
 * patch), then the finalizer is removed.</li>
 * <li>An object being deleted with the "foregroundDeletion" finalizer: its dependents are reconciled (and so
 * deleted, see above); once none with blockOwnerDeletion=true remains, the finalizer is removed.</li>
 * </ul>
 * Owner references to kinds outside {@link #kinds} (nodes, namespaces, custom resources) cannot be checked here
 * and count as alive.
 */
public final class GarbageCollector extends InformerController {
    public static final String NAME = "garbagecollector";
    static final String ORPHAN = "orphan";
    static final String FOREGROUND = "foregroundDeletion";
    /** How soon a foreground owner looks again while blocking dependents remain (events also wake it). */
    static final Duration RECHECK = Duration.ofSeconds(1);

    /** One namespaced resource the collector watches. */
    record Kind(String group, String version, String kind, String plural, Informable<? extends HasMetadata> source) {
        String path(String namespace, String name) {
            String prefix = group.isEmpty() ? "/api/" + version : "/apis/" + group + "/" + version;
            return prefix + "/namespaces/" + namespace + "/" + plural + "/" + name;
        }

        boolean matches(OwnerReference r) {
            String av = r.getApiVersion() == null ? "" : r.getApiVersion();
            String g = av.contains("/") ? av.substring(0, av.indexOf('/')) : "";
            return group.equals(g) && kind.equals(r.getKind());
        }
    }

    static List<Kind> kinds(KubernetesClient c) {
        return List.of(
                new Kind("", "v1", "Pod", "pods", c.pods().inAnyNamespace()),
                new Kind("", "v1", "Service", "services", c.services().inAnyNamespace()),
                new Kind("", "v1", "Endpoints", "endpoints", c.endpoints().inAnyNamespace()),
                new Kind("", "v1", "ConfigMap", "configmaps", c.configMaps().inAnyNamespace()),
                new Kind("", "v1", "Secret", "secrets", c.secrets().inAnyNamespace()),
                new Kind("apps", "v1", "Deployment", "deployments", c.apps().deployments().inAnyNamespace()),
                new Kind("apps", "v1", "ReplicaSet", "replicasets", c.apps().replicaSets().inAnyNamespace()),
                new Kind("apps", "v1", "DaemonSet", "daemonsets", c.apps().daemonSets().inAnyNamespace()),
                new Kind("apps", "v1", "ControllerRevision", "controllerrevisions", c.apps().controllerRevisions().inAnyNamespace()),
                new Kind("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", c.discovery().v1().endpointSlices().inAnyNamespace()));
    }

    private enum OwnerState { SOLID, DANGLING, WAITING }

    private final List<Kind> kinds;
    private final OwnerGraph graph = new OwnerGraph();

    public GarbageCollector(ControllerContext ctx) {
        super(ctx);
        this.kinds = kinds(ctx.client());
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    protected void setUp() {
        for (Kind k : kinds) {
            register(k);
        }
    }

    @SuppressWarnings("unchecked")
    private <T extends HasMetadata> void register(Kind k) {
        inform((Informable<T>) k.source(), new ResourceEventHandler<T>() {
            @Override
            public void onAdd(T obj) {
                graph.put(k, obj);
                queue.add(obj.getMetadata().getUid());
                enqueueOwners(obj);
            }

            @Override
            public void onUpdate(T oldObj, T newObj) {
                graph.put(k, newObj);
                queue.add(newObj.getMetadata().getUid());
                enqueueOwners(oldObj);
                enqueueOwners(newObj);
            }

            @Override
            public void onDelete(T obj, boolean deletedFinalStateUnknown) {
                graph.remove(obj);
                enqueueOwners(obj);
                graph.dependentUids(obj.getMetadata().getUid()).forEach(queue::add);
            }
        });
    }

    private void enqueueOwners(HasMetadata obj) {
        OwnerGraph.refs(obj).forEach(r -> queue.add(r.getUid()));
    }

    @Override
    public Duration reconcile(String uid) throws Exception {
        OwnerGraph.Node n = graph.get(uid);
        if (n == null) {
            return null;
        }
        HasMetadata o = n.obj();
        if (o.getMetadata().getDeletionTimestamp() != null) {
            List<String> fin = finalizers(o);
            Duration again = null;
            if (fin.contains(ORPHAN)) {
                orphanDependents(n);
            }
            if (fin.contains(FOREGROUND)) {
                again = deleteDependents(n);
            }
            return again;
        }
        collectIfOwnerless(n);
        return null;
    }

    // ------------------------------------------------------------------ orphan

    private void orphanDependents(OwnerGraph.Node owner) throws Exception {
        for (OwnerGraph.Node d : graph.dependentsOf(owner.uid())) {
            updateRefs(d, Set.of(owner.uid()), Set.of());
        }
        removeFinalizer(owner, ORPHAN);
    }

    // ------------------------------------------------------------------ foreground

    private Duration deleteDependents(OwnerGraph.Node owner) throws Exception {
        boolean blocked = false;
        for (OwnerGraph.Node d : graph.dependentsOf(owner.uid())) {
            // each dependent decides for itself: with this owner waiting and no other alive, it is deleted
            queue.add(d.uid());
            for (OwnerReference r : OwnerGraph.refs(d.obj())) {
                if (r.getUid().equals(owner.uid()) && Boolean.TRUE.equals(r.getBlockOwnerDeletion())) {
                    blocked = true;
                }
            }
        }
        if (blocked) {
            return RECHECK;
        }
        removeFinalizer(owner, FOREGROUND);
        return null;
    }

    // ------------------------------------------------------------------ background

    private void collectIfOwnerless(OwnerGraph.Node n) throws Exception {
        List<OwnerReference> refs = OwnerGraph.refs(n.obj());
        if (refs.isEmpty()) {
            return;
        }
        List<String> solid = new ArrayList<>();
        List<String> dangling = new ArrayList<>();
        List<String> waitingBlocked = new ArrayList<>();
        boolean waiting = false;
        for (OwnerReference r : refs) {
            switch (ownerState(n, r)) {
                case SOLID -> solid.add(r.getUid());
                case DANGLING -> dangling.add(r.getUid());
                case WAITING -> {
                    waiting = true;
                    if (Boolean.TRUE.equals(r.getBlockOwnerDeletion())) {
                        waitingBlocked.add(r.getUid());
                    }
                }
            }
        }
        if (!solid.isEmpty()) {
            if (!dangling.isEmpty() || !waitingBlocked.isEmpty()) {
                updateRefs(n, Set.copyOf(dangling), Set.copyOf(waitingBlocked));
            }
            return;
        }
        List<String> fin = finalizers(n.obj());
        String policy;
        if (waiting && !graph.dependentsOf(n.uid()).isEmpty()) {
            policy = "Foreground";
        } else if (fin.contains(ORPHAN)) {
            policy = "Orphan";
        } else if (fin.contains(FOREGROUND)) {
            policy = "Foreground";
        } else {
            policy = "Background";
        }
        delete(n, policy);
    }

    private OwnerState ownerState(OwnerGraph.Node dependent, OwnerReference r) throws Exception {
        String namespace = dependent.obj().getMetadata().getNamespace();
        OwnerGraph.Node owner = graph.get(r.getUid());
        if (owner != null && namespace.equals(owner.obj().getMetadata().getNamespace())) {
            return stateOf(owner.obj());
        }
        Kind k = kinds.stream().filter(x -> x.matches(r)).findFirst().orElse(null);
        if (k == null || r.getName() == null) {
            return OwnerState.SOLID; // a kind this collector cannot look up: leave the dependent alone
        }
        // not in the cache (yet?): ask the API server before declaring it absent
        GenericKubernetesResource live = get(k, namespace, r.getName());
        if (live == null || !r.getUid().equals(live.getMetadata().getUid())) {
            return OwnerState.DANGLING;
        }
        return stateOf(live);
    }

    private static OwnerState stateOf(HasMetadata owner) {
        return owner.getMetadata().getDeletionTimestamp() != null && finalizers(owner).contains(FOREGROUND)
                ? OwnerState.WAITING : OwnerState.SOLID;
    }

    // ------------------------------------------------------------------ API calls

    private void delete(OwnerGraph.Node n, String policy) throws Exception {
        Map<String, Object> options = new LinkedHashMap<>();
        options.put("apiVersion", "v1");
        options.put("kind", "DeleteOptions");
        options.put("propagationPolicy", policy);
        options.put("preconditions", Map.of("uid", n.uid()));
        HttpResponse<String> resp = send("DELETE", path(n), "application/json", json(options));
        // 404: already gone; 409: the uid precondition failed, the name now belongs to another object
        if (resp.code() >= 300 && resp.code() != 404 && resp.code() != 409) {
            throw new IllegalStateException("delete " + describe(n) + ": HTTP " + resp.code() + " " + resp.body());
        }
    }

    /** JSON patch of the live object: drop references to {@code remove}, unblock references to {@code unblock}. */
    private void updateRefs(OwnerGraph.Node n, Set<String> remove, Set<String> unblock) throws Exception {
        GenericKubernetesResource live = get(n.kind(), n.obj().getMetadata().getNamespace(), n.obj().getMetadata().getName());
        if (live == null || !n.uid().equals(live.getMetadata().getUid())) {
            return;
        }
        List<OwnerReference> refs = live.getMetadata().getOwnerReferences() == null ? List.of() : live.getMetadata().getOwnerReferences();
        List<Map<String, Object>> ops = new ArrayList<>();
        ops.add(op("test", "/metadata/uid", n.uid()));
        for (int i = 0; i < refs.size(); i++) {
            OwnerReference r = refs.get(i);
            if (unblock.contains(r.getUid()) && !remove.contains(r.getUid()) && Boolean.TRUE.equals(r.getBlockOwnerDeletion())) {
                ops.add(op("test", "/metadata/ownerReferences/" + i + "/uid", r.getUid()));
                ops.add(op("add", "/metadata/ownerReferences/" + i + "/blockOwnerDeletion", false));
            }
        }
        for (int i = refs.size() - 1; i >= 0; i--) {
            if (remove.contains(refs.get(i).getUid())) {
                ops.add(op("test", "/metadata/ownerReferences/" + i + "/uid", refs.get(i).getUid()));
                ops.add(op("remove", "/metadata/ownerReferences/" + i, null));
            }
        }
        if (ops.size() == 1) {
            return;
        }
        patch(n, ops);
    }

    private void removeFinalizer(OwnerGraph.Node n, String finalizer) throws Exception {
        GenericKubernetesResource live = get(n.kind(), n.obj().getMetadata().getNamespace(), n.obj().getMetadata().getName());
        if (live == null || !n.uid().equals(live.getMetadata().getUid())) {
            return;
        }
        int i = finalizers(live).indexOf(finalizer);
        if (i < 0) {
            return;
        }
        patch(n, List.of(op("test", "/metadata/uid", n.uid()),
                op("test", "/metadata/finalizers/" + i, finalizer),
                op("remove", "/metadata/finalizers/" + i, null)));
    }

    private void patch(OwnerGraph.Node n, List<Map<String, Object>> ops) throws Exception {
        HttpResponse<String> resp = send("PATCH", path(n), "application/json-patch+json", json(ops));
        if (resp.code() == 404) {
            return;
        }
        if (resp.code() >= 300) {
            // 422: a test failed, the object changed under us; retried (rate-limited) on fresh state
            throw new IllegalStateException("patch " + describe(n) + ": HTTP " + resp.code() + " " + resp.body());
        }
    }

    private GenericKubernetesResource get(Kind k, String namespace, String name) throws Exception {
        HttpResponse<String> resp = send("GET", k.path(namespace, name), null, null);
        if (resp.code() == 404) {
            return null;
        }
        if (resp.code() >= 300) {
            throw new IllegalStateException("get " + k.plural() + " " + namespace + "/" + name + ": HTTP " + resp.code() + " " + resp.body());
        }
        return ctx.client().getKubernetesSerialization().unmarshal(resp.body(), GenericKubernetesResource.class);
    }

    private HttpResponse<String> send(String method, String path, String contentType, String body) throws Exception {
        if (!"GET".equals(method)) {
            ctx.checkActing();
        }
        String url = ctx.client().getMasterUrl().toString().replaceAll("/$", "") + path;
        HttpRequest.Builder b = ctx.client().getHttpClient().newHttpRequestBuilder().uri(url);
        if (body != null) {
            b.method(method, contentType, body);
        }
        return ctx.client().getHttpClient().sendAsync(b.build(), String.class).get(30, TimeUnit.SECONDS);
    }

    private String path(OwnerGraph.Node n) {
        return n.kind().path(n.obj().getMetadata().getNamespace(), n.obj().getMetadata().getName());
    }

    private String json(Object o) {
        return ctx.client().getKubernetesSerialization().asJson(o);
    }

    private static Map<String, Object> op(String op, String path, Object value) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("op", op);
        m.put("path", path);
        if (!"remove".equals(op)) {
            m.put("value", value);
        }
        return m;
    }

    private static String describe(OwnerGraph.Node n) {
        return n.kind().plural() + " " + n.obj().getMetadata().getNamespace() + "/" + n.obj().getMetadata().getName();
    }

    static List<String> finalizers(HasMetadata o) {
        List<String> f = o.getMetadata().getFinalizers();
        return f == null ? List.of() : f;
    }
}
