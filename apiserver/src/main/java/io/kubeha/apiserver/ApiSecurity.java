package io.kubeha.apiserver;

import java.security.KeyPair;
import java.security.PublicKey;
import java.util.List;
import java.util.Objects;

/**
 * A secured API server: HTTPS only, every request authenticated (client certificates from the cluster CA, bootstrap
 * and service-account tokens, anonymous last when allowed) and authorized (system:masters, Node, RBAC).
 *
 * @param tls                 the serving certificate and the CA client certificates are checked against
 * @param serviceAccountKeys  signs service-account tokens (kube's --service-account-signing-key-file)
 * @param extraVerifyKeys     further keys tokens may be signed with (kube's extra --service-account-key-file values)
 * @param issuer              the tokens' iss (kube's --service-account-issuer)
 * @param audiences           what a token must be meant for (kube's --api-audiences; the issuer by default)
 * @param anonymousAuth       whether requests without credentials are served as system:anonymous (kube's default: yes,
 *                            and RBAC lets them see only the public endpoints)
 * @param audit               where every request is recorded (kube's --audit-log-path), or null; the server closes it
 * @param kubeletClient       the certificate the server presents to the node agents' ports (kube's
 *                            --kubelet-client-certificate/-key; pki/apiserver-kubelet-client.crt), or null to present
 *                            none; either way it trusts only agent certificates signed by the {@code tls} client CAs
 *                            (kube's --kubelet-certificate-authority)
 */
public record ApiSecurity(ServingTls tls, KeyPair serviceAccountKeys, List<PublicKey> extraVerifyKeys, String issuer,
                          List<String> audiences, boolean anonymousAuth, io.kubeha.security.audit.AuditLog audit,
                          io.kubeha.security.pki.CertAndKey kubeletClient) {
    public static final String DEFAULT_ISSUER = "https://kubernetes.default.svc.cluster.local";

    public ApiSecurity {
        Objects.requireNonNull(tls, "tls");
        Objects.requireNonNull(serviceAccountKeys, "serviceAccountKeys");
        extraVerifyKeys = List.copyOf(extraVerifyKeys);
        Objects.requireNonNull(issuer, "issuer");
        audiences = audiences == null || audiences.isEmpty() ? List.of(issuer) : List.copyOf(audiences);
    }

    public static ApiSecurity of(ServingTls tls, KeyPair serviceAccountKeys) {
        return new ApiSecurity(tls, serviceAccountKeys, List.of(), DEFAULT_ISSUER, List.of(), true, null, null);
    }

    /** The same, presenting {@code cert} to the node agents when relaying to them. */
    public ApiSecurity withKubeletClient(io.kubeha.security.pki.CertAndKey cert) {
        return new ApiSecurity(tls, serviceAccountKeys, extraVerifyKeys, issuer, audiences, anonymousAuth, audit, cert);
    }

    /** The same, writing every request to {@code log}. */
    public ApiSecurity withAudit(io.kubeha.security.audit.AuditLog log) {
        return new ApiSecurity(tls, serviceAccountKeys, extraVerifyKeys, issuer, audiences, anonymousAuth, log, kubeletClient);
    }
}
