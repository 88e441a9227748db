package io.kubeha.controllers.bootstrap;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.kubeha.controllers.ControllerContext;
import io.kubeha.controllers.InformerController;
import io.kubeha.security.tokens.BootstrapToken;
import io.kubeha.security.tokens.BootstrapTokenSecrets;
import io.kubeha.security.tokens.ClusterInfoSignatures;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * kube's bootstrapsigner: the ConfigMap kube-public/cluster-info (the cluster's address and CA, readable by anyone)
 * carries one {@code jws-kubeconfig-<token-id>} per bootstrap token that may sign: a JWS of the kubeconfig keyed by
 * the token's secret. A joining node that knows a token reads cluster-info over an unverified connection and trusts
 * the CA only if the signature of its token matches; a man in the middle without the token cannot forge one.
 */
public final class BootstrapSignerController extends InformerController {
    public static final String NAME = "bootstrapsigner";
    private static final String KEY = "cluster-info";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private SharedIndexInformer<ConfigMap> clusterInfo;
    private SharedIndexInformer<Secret> tokens;

    public BootstrapSignerController(ControllerContext ctx) {
        super(ctx);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    protected void setUp() {
        clusterInfo = inform(ctx.client().configMaps().inNamespace("kube-public").withField("metadata.name", KEY),
                enqueueing((ConfigMap c) -> List.of(KEY)));
        tokens = inform(ctx.client().secrets().inNamespace("kube-system"),
                enqueueing((Secret s) -> "bootstrap.kubernetes.io/token".equals(s.getType()) ? List.of(KEY) : List.of()));
    }

    @Override
    public Duration reconcile(String key) {
        ConfigMap cm = clusterInfo.getStore().getByKey("kube-public/" + KEY);
        if (cm == null || cm.getData() == null || cm.getData().get("kubeconfig") == null) return null;
        String kubeconfig = cm.getData().get("kubeconfig");
        Map<String, String> wanted = new LinkedHashMap<>();
        Duration next = null;
        for (Secret s : tokens.getStore().list()) {
            if (!"bootstrap.kubernetes.io/token".equals(s.getType())) continue;
            JsonNode secret = JSON.valueToTree(s);
            if (!BootstrapTokenSecrets.canSign(secret, ctx.clock())) continue;
            BootstrapToken t;
            try {
                t = BootstrapTokenSecrets.token(secret);
            } catch (RuntimeException e) {
                continue;
            }
            wanted.put("jws-kubeconfig-" + t.id(), ClusterInfoSignatures.sign(kubeconfig, t));
            var info = BootstrapTokenSecrets.describe(secret, ctx.clock());
            if (info.expiration() != null) {
                Duration left = Duration.between(ctx.clock().instant(), info.expiration()).plusSeconds(1);
                if (next == null || left.compareTo(next) < 0) next = left;
            }
        }
        Map<String, String> have = new LinkedHashMap<>();
        cm.getData().forEach((k, v) -> {
            if (k.startsWith("jws-kubeconfig-")) have.put(k, v);
        });
        if (!have.equals(wanted)) {
            ctx.checkActing();
            try {
                // a PUT conditional on the version read: the bootstrap-signer role may update cluster-info, not patch it
                ConfigMap signed = new io.fabric8.kubernetes.api.model.ConfigMapBuilder(cm).build();
                signed.setData(new LinkedHashMap<>(cm.getData()));
                signed.getData().keySet().removeIf(k -> k.startsWith("jws-kubeconfig-"));
                signed.getData().putAll(wanted);
                ctx.client().configMaps().inNamespace("kube-public").resource(signed).update();
            } catch (KubernetesClientException e) {
                if (e.getCode() == 409) return Duration.ofMillis(200);
                throw e;
            }
        }
        return next; // an expiring token's signature goes when the token does
    }
}
