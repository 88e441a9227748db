package io.kubeha.controllers.serviceaccount;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.kubeha.controllers.ControllerContext;
import io.kubeha.controllers.InformerController;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * kube-controller-manager's root-ca-cert-publisher: every active namespace holds the ConfigMap {@code kube-root-ca.crt}
 * with the cluster CA ({@code ca.crt}), which the service-account volume of every pod projects, so that a pod can check
 * the API server's certificate. A missing one is made again, a changed one set back. The CA is kube's
 * {@code --root-ca-file}, else the CA the controller-manager's own kubeconfig trusts; with neither, nothing is published.
 */
public final class RootCaCertPublisher extends InformerController {
    public static final String NAME = "root-ca-cert-publisher";
    public static final String CONFIG_MAP = "kube-root-ca.crt";
    static final String DESCRIPTION = "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints"
            + " such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of"
            + " Kubernetes clusters.";

    private final String caPem;
    private SharedIndexInformer<Namespace> namespaces;
    private SharedIndexInformer<ConfigMap> configMaps;

    /** @param caPem the CA bundle to publish (PEM) */
    public RootCaCertPublisher(ControllerContext ctx, String caPem) {
        super(ctx);
        this.caPem = Objects.requireNonNull(caPem, "caPem");
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    protected void setUp() {
        namespaces = inform(ctx.client().namespaces(), enqueueing((Namespace ns) -> List.of(ns.getMetadata().getName())));
        configMaps = inform(ctx.client().configMaps().inAnyNamespace().withField("metadata.name", CONFIG_MAP),
                enqueueing((ConfigMap cm) -> List.of(cm.getMetadata().getNamespace())));
    }

    @Override
    public Duration reconcile(String namespace) {
        Namespace ns = namespaces.getStore().getByKey(namespace);
        if (!ServiceAccountController.active(ns)) return null;
        ConfigMap cm = configMaps.getStore().getByKey(namespace + "/" + CONFIG_MAP);
        Map<String, String> data = Map.of("ca.crt", caPem);
        ctx.checkActing();
        try {
            if (cm == null) {
                ctx.client().configMaps().inNamespace(namespace).resource(new ConfigMapBuilder().withNewMetadata().withName(CONFIG_MAP)
                        .withNamespace(namespace).addToAnnotations("kubernetes.io/description", DESCRIPTION).endMetadata()
                        .withData(data).build()).create();
            } else if (!data.equals(cm.getData())) {
                ConfigMap fixed = new ConfigMapBuilder(cm).withData(data).withBinaryData(null).build();
                ctx.client().configMaps().inNamespace(namespace).resource(fixed).update();
            }
        } catch (KubernetesClientException e) {
            // made meanwhile (the cache is behind: the next event brings it), changed meanwhile (requeued by its event),
            // or the namespace is going away
            if (e.getCode() != 409 && e.getCode() != 403 && e.getCode() != 404) throw e;
        }
        return null;
    }
}
