package io.kubeha.controllers.serviceaccount;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.kubeha.controllers.ControllerContext;
import io.kubeha.controllers.InformerController;

import java.time.Duration;
import java.util.List;

/** Creates the "default" ServiceAccount in each active namespace, and again whenever it is deleted. */
public final class ServiceAccountController extends InformerController {
    public static final String NAME = "serviceaccount";
    public static final String DEFAULT = "default";

    private SharedIndexInformer<Namespace> namespaces;
    private SharedIndexInformer<ServiceAccount> serviceAccounts;

    public ServiceAccountController(ControllerContext ctx) {
        super(ctx);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    protected void setUp() {
        namespaces = inform(ctx.client().namespaces(), enqueueing((Namespace ns) -> List.of(ns.getMetadata().getName())));
        serviceAccounts = inform(ctx.client().serviceAccounts().inAnyNamespace(), enqueueing((ServiceAccount sa) ->
                DEFAULT.equals(sa.getMetadata().getName()) ? List.of(sa.getMetadata().getNamespace()) : List.of()));
    }

    /** Whether a namespace may get new content: it exists and is not being deleted (then creates are refused anyway). */
    static boolean active(Namespace ns) {
        return ns != null && ns.getMetadata().getDeletionTimestamp() == null
                && (ns.getStatus() == null || !"Terminating".equals(ns.getStatus().getPhase()));
    }

    @Override
    public Duration reconcile(String namespace) {
        Namespace ns = namespaces.getStore().getByKey(namespace);
        if (!active(ns)) return null;
        if (serviceAccounts.getStore().getByKey(namespace + "/" + DEFAULT) != null) {
            return null;
        }
        ctx.checkActing();
        try {
            ctx.client().serviceAccounts().inNamespace(namespace).resource(new ServiceAccountBuilder()
                    .withNewMetadata().withName(DEFAULT).withNamespace(namespace).endMetadata().build()).create();
        } catch (KubernetesClientException e) {
            // already there (cache behind) or the namespace is going away: nothing to do
            if (e.getCode() != 409 && e.getCode() != 403 && e.getCode() != 404) {
                throw e;
            }
        }
        return null;
    }
}
