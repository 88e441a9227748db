package io.kubeha.controllers.serviceaccount;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.kubeha.controllers.ControllerContext;
import io.kubeha.controllers.InformerController;
import io.kubeha.security.tokens.ServiceAccountTokens;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * kube-controller-manager's serviceaccount-token controller, for the legacy token Secrets a user still asks for: a
 * Secret of type {@code kubernetes.io/service-account-token} annotated {@code kubernetes.io/service-account.name} gets
 * {@code token} (a non-expiring JWT signed with the service-account key, valid while this Secret holds it), {@code ca.crt}
 * and {@code namespace}, and the ServiceAccount's uid as {@code kubernetes.io/service-account.uid}. A token Secret whose
 * ServiceAccount is gone (or was recreated: another uid) is deleted, as are all of a ServiceAccount's token Secrets
 * when it is deleted. Since Kubernetes 1.24 no such Secret is made unasked; pods get bound tokens instead.
 *
 * <p>Keys are "SECRET NS/NAME" and "SA NS/NAME" (one queue for both kinds).
 */
public final class TokensController extends InformerController {
    public static final String NAME = "serviceaccount-token";
    public static final String TYPE = "kubernetes.io/service-account-token";
    public static final String NAME_ANNOTATION = "kubernetes.io/service-account.name";
    public static final String UID_ANNOTATION = "kubernetes.io/service-account.uid";

    private final ServiceAccountTokens tokens;
    private final String caPem;
    private SharedIndexInformer<Secret> secrets;
    private SharedIndexInformer<ServiceAccount> serviceAccounts;

    /**
     * @param tokens signs the tokens (kube's --service-account-private-key-file)
     * @param caPem  the {@code ca.crt} to put beside them (kube's --root-ca-file), or null for none
     */
    public TokensController(ControllerContext ctx, ServiceAccountTokens tokens, String caPem) {
        super(ctx);
        this.tokens = java.util.Objects.requireNonNull(tokens, "tokens");
        this.caPem = caPem;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    protected void setUp() {
        secrets = inform(ctx.client().secrets().inAnyNamespace().withField("type", TYPE),
                enqueueing((Secret s) -> List.of("SECRET " + key(s))));
        serviceAccounts = inform(ctx.client().serviceAccounts().inAnyNamespace(),
                enqueueing((ServiceAccount sa) -> List.of("SA " + key(sa))));
    }

    @Override
    public Duration reconcile(String key) {
        String kind = key.substring(0, key.indexOf(' '));
        String nsName = key.substring(kind.length() + 1);
        if (kind.equals("SA")) {
            if (serviceAccounts.getStore().getByKey(nsName) == null) deleteTokensOf(nsName);
            // a new or changed ServiceAccount: its Secrets waiting for it are tried again
            for (Secret s : secrets.getStore().list()) {
                if (nsName.equals(s.getMetadata().getNamespace() + "/" + annotation(s, NAME_ANNOTATION))) syncSecret(s);
            }
            return null;
        }
        Secret s = secrets.getStore().getByKey(nsName);
        if (s != null) syncSecret(s);
        return null;
    }

    private void syncSecret(Secret s) {
        if (!TYPE.equals(s.getType()) || s.getMetadata().getDeletionTimestamp() != null) return;
        String ns = s.getMetadata().getNamespace();
        String saName = annotation(s, NAME_ANNOTATION);
        if (saName.isEmpty()) return; // validation requires it; nothing to bind to
        ServiceAccount sa = serviceAccounts.getStore().getByKey(ns + "/" + saName);
        if (sa == null) {
            // the cache may be behind a ServiceAccount made a moment ago: ask the server before deleting
            sa = ctx.client().serviceAccounts().inNamespace(ns).withName(saName).get();
        }
        String wantUid = annotation(s, UID_ANNOTATION);
        if (sa == null || (!wantUid.isEmpty() && !wantUid.equals(sa.getMetadata().getUid()))) {
            delete(s);
            return;
        }
        Map<String, String> data = s.getData() == null ? Map.of() : s.getData();
        boolean complete = data.containsKey("token") && data.containsKey("namespace") && (caPem == null || data.containsKey("ca.crt"))
                && wantUid.equals(sa.getMetadata().getUid());
        if (complete) return;
        Map<String, String> next = new LinkedHashMap<>(data);
        if (!data.containsKey("token")) {
            next.put("token", b64(tokens.issueLegacy(ns, saName, sa.getMetadata().getUid(), s.getMetadata().getName())));
        }
        next.put("namespace", b64(ns));
        if (caPem != null) next.put("ca.crt", b64(caPem));
        Secret updated = new SecretBuilder(s).editMetadata().addToAnnotations(UID_ANNOTATION, sa.getMetadata().getUid()).endMetadata()
                .withData(next).build();
        ctx.checkActing();
        try {
            ctx.client().secrets().inNamespace(ns).resource(updated).update();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409 && e.getCode() != 404) throw e; // changed meanwhile: its event requeues it
        }
    }

    private void deleteTokensOf(String saKey) {
        List<Secret> doomed = new ArrayList<>();
        for (Secret s : secrets.getStore().list()) {
            if (saKey.equals(s.getMetadata().getNamespace() + "/" + annotation(s, NAME_ANNOTATION))) doomed.add(s);
        }
        doomed.forEach(this::delete);
    }

    private void delete(Secret s) {
        ctx.checkActing();
        try {
            ctx.client().secrets().inNamespace(s.getMetadata().getNamespace()).withName(s.getMetadata().getName()).delete();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404) throw e;
        }
    }

    private static String annotation(Secret s, String key) {
        Map<String, String> a = s.getMetadata().getAnnotations();
        return a == null ? "" : a.getOrDefault(key, "");
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }
}
