package io.kubeha.controllers.namespace;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.kubeha.controllers.ControllerContext;
import io.kubeha.controllers.InformerController;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/** Deletes a terminating namespace's contents, then finalizes it (see the package documentation). */
public final class NamespaceController extends InformerController {
    public static final String NAME = "namespace";
    static final String FINALIZER = "kubernetes";
    /** How soon to look again while contents are still going away (pods wait for their node, for example). */
    static final Duration RECHECK = Duration.ofMillis(500);

    /** One namespaced resource: how to list its objects in a namespace and delete one. */
    record Kind(String name, Function<String, List<? extends HasMetadata>> list, DeleteOne delete) {
    }

    @FunctionalInterface
    interface DeleteOne {
        void delete(String namespace, String name);
    }

    static <T extends HasMetadata, L extends KubernetesResourceList<T>, R extends Resource<T>> Kind kind(
            String name, MixedOperation<T, L, R> op) {
        return new Kind(name, ns -> op.inNamespace(ns).list().getItems(), (ns, n) -> op.inNamespace(ns).withName(n).delete());
    }

    /** Every namespaced resource the API server serves (core events and events.k8s.io events are the same objects). */
    static List<Kind> kinds(KubernetesClient c) {
        return List.of(
                kind("deployments.apps", c.apps().deployments()),
                kind("daemonsets.apps", c.apps().daemonSets()),
                kind("replicasets.apps", c.apps().replicaSets()),
                kind("controllerrevisions.apps", c.apps().controllerRevisions()),
                kind("pods", c.pods()),
                kind("services", c.services()),
                kind("endpoints", c.endpoints()),
                kind("endpointslices.discovery.k8s.io", c.discovery().v1().endpointSlices()),
                kind("configmaps", c.configMaps()),
                kind("secrets", c.secrets()),
                kind("serviceaccounts", c.serviceAccounts()),
                kind("leases.coordination.k8s.io", c.leases()),
                kind("events", c.v1().events()));
    }

    private final List<Kind> kinds;
    private SharedIndexInformer<Namespace> namespaces;

    public NamespaceController(ControllerContext ctx) {
        super(ctx);
        this.kinds = kinds(ctx.client());
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    protected void setUp() {
        namespaces = inform(ctx.client().namespaces(), enqueueing((Namespace ns) -> List.of(ns.getMetadata().getName())));
    }

    @Override
    public Duration reconcile(String key) throws Exception {
        Namespace ns = namespaces.getStore().getByKey(key);
        if (ns == null || ns.getMetadata().getDeletionTimestamp() == null) {
            return null;
        }
        if (ns.getSpec() == null || ns.getSpec().getFinalizers() == null || !ns.getSpec().getFinalizers().contains(FINALIZER)) {
            return null;
        }
        String name = ns.getMetadata().getName();
        int remaining = 0;
        List<String> errors = new ArrayList<>();
        for (Kind k : kinds) {
            List<? extends HasMetadata> items;
            try {
                items = k.list().apply(name);
            } catch (KubernetesClientException e) {
                if (e.getCode() == 404) {
                    continue; // resource not served
                }
                throw e;
            }
            for (HasMetadata o : items) {
                remaining++;
                if (o.getMetadata().getDeletionTimestamp() != null) {
                    continue;
                }
                ctx.checkActing();
                try {
                    k.delete().delete(name, o.getMetadata().getName());
                } catch (KubernetesClientException e) {
                    if (e.getCode() != 404 && e.getCode() != 409) {
                        errors.add(k.name() + "/" + o.getMetadata().getName() + ": " + e.getMessage());
                    }
                }
            }
        }
        if (!errors.isEmpty()) {
            throw new IllegalStateException("namespace " + name + ": failed to delete " + errors);
        }
        if (remaining > 0) {
            return RECHECK;
        }
        finalizeNamespace(name);
        return null;
    }

    /** PUT /api/v1/namespaces/NAME/finalize with "kubernetes" removed from spec.finalizers. */
    private void finalizeNamespace(String name) throws Exception {
        Namespace fresh = ctx.client().namespaces().withName(name).get();
        if (fresh == null || fresh.getSpec() == null || fresh.getSpec().getFinalizers() == null
                || !fresh.getSpec().getFinalizers().contains(FINALIZER)) {
            return;
        }
        List<String> finalizers = new ArrayList<>(fresh.getSpec().getFinalizers());
        finalizers.remove(FINALIZER);
        Namespace updated = new NamespaceBuilder(fresh).editSpec().withFinalizers(finalizers).endSpec().build();
        String url = ctx.client().getMasterUrl().toString().replaceAll("/$", "") + "/api/v1/namespaces/" + name + "/finalize";
        ctx.checkActing();
        HttpRequest request = ctx.client().getHttpClient().newHttpRequestBuilder()
                .uri(url)
                .put("application/json", ctx.client().getKubernetesSerialization().asJson(updated))
                .build();
        HttpResponse<String> response = ctx.client().getHttpClient().sendAsync(request, String.class).get(30, TimeUnit.SECONDS);
        if (response.code() == 409) {
            throw new IllegalStateException("namespace " + name + " changed while finalizing; retrying");
        }
        if (response.code() >= 300 && response.code() != 404) {
            throw new IllegalStateException("finalize namespace " + name + ": HTTP " + response.code() + " " + response.body());
        }
    }
}
