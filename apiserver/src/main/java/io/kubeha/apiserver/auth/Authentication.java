package io.kubeha.apiserver.auth;

import io.kubeha.apiserver.api.ApiException;
import io.kubeha.security.auth.UserInfo;
import io.kubeha.security.tokens.BootstrapToken;
import io.kubeha.security.tokens.BootstrapTokenSecrets;
import io.kubeha.security.tokens.ServiceAccountClaims;
import io.kubeha.security.tokens.ServiceAccountTokens;
import io.kubeha.security.tokens.TokenException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * kube-apiserver's authenticators, in its order: the client certificate (already verified against the cluster CA by
 * the TLS handshake: CN is the user, each O a group), then a bearer token (a bootstrap token, else a service-account
 * JWT), else anonymous. A credential that is presented and fails is 401, never anonymous: a client with a bad token
 * must learn it, not be served as nobody.
 */
public final class Authentication {
    private static final Logger log = LoggerFactory.getLogger(Authentication.class);
    public static final String AUTHENTICATED = "system:authenticated";
    /** The key usage OID for TLS client authentication (kube requires it of client certificates). */
    private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

    private final ServiceAccountTokens serviceAccounts;
    private final List<String> audiences;
    private final Lookup lookup;
    private final Clock clock;
    private final boolean anonymous;

    /**
     * @param audiences the audiences a service-account token must name one of (kube's --api-audiences; its issuer by default)
     * @param anonymous whether requests without credentials are served as system:anonymous (kube's --anonymous-auth)
     */
    public Authentication(ServiceAccountTokens serviceAccounts, List<String> audiences, Lookup lookup, Clock clock, boolean anonymous) {
        this.serviceAccounts = serviceAccounts;
        this.audiences = List.copyOf(audiences);
        this.lookup = lookup;
        this.clock = clock;
        this.anonymous = anonymous;
    }

    public List<String> audiences() {
        return audiences;
    }

    /** Who sent a request with these certificates and this Authorization header. */
    public UserInfo authenticate(X509Certificate[] certs, String authorization) {
        if (certs != null && certs.length > 0) return withAuthenticated(fromCertificate(certs[0]));
        if (authorization != null && !authorization.isBlank()) {
            String token = bearer(authorization);
            if (token == null) throw unauthorized();
            return withAuthenticated(token(token, audiences).orElseThrow(Authentication::unauthorized));
        }
        if (!anonymous) throw unauthorized();
        return UserInfo.ANONYMOUS;
    }

    /** The user a bearer token stands for, checked against {@code wantedAudiences} (TokenReview may name others). */
    public Optional<UserInfo> token(String token, List<String> wantedAudiences) {
        if (BootstrapToken.FORMAT.matcher(token).matches()) return bootstrap(token);
        if (serviceAccounts == null) return Optional.empty();
        Optional<ServiceAccountClaims> claims;
        try {
            claims = serviceAccounts.verify(token, wantedAudiences.isEmpty() ? audiences : wantedAudiences);
        } catch (TokenException e) {
            log.debug("service account token refused: {}", e.getMessage());
            return Optional.empty();
        }
        if (claims.isEmpty()) return Optional.empty();
        ServiceAccountClaims c = claims.get();
        String why = stillValid(c, token);
        if (why != null) {
            log.debug("service account token of {} refused: {}", c.username(), why);
            return Optional.empty();
        }
        return Optional.of(new UserInfo(c.username(), c.serviceAccountUid() == null ? "" : c.serviceAccountUid(), c.groups(), c.extra()));
    }

    /** A bound token holds while its ServiceAccount, and the pod or secret it is bound to, still exist with the same uid. */
    private String stillValid(ServiceAccountClaims c, String token) {
        Optional<ObjectNode> sa = lookup.get("", "serviceaccounts", c.namespace(), c.serviceAccountName());
        if (sa.isEmpty()) return "serviceaccount " + c.namespace() + "/" + c.serviceAccountName() + " is gone";
        if (c.serviceAccountUid() != null && !c.serviceAccountUid().isEmpty()
                && !c.serviceAccountUid().equals(sa.get().path("metadata").path("uid").asString(""))) {
            return "serviceaccount " + c.namespace() + "/" + c.serviceAccountName() + " was recreated";
        }
        if (c.podName() != null && !c.podName().isEmpty()) {
            Optional<ObjectNode> pod = lookup.get("", "pods", c.namespace(), c.podName());
            if (pod.isEmpty() || !pod.get().path("metadata").path("uid").asString("").equals(c.podUid())) return "pod " + c.podName() + " is gone";
            if (pod.get().path("metadata").has("deletionTimestamp")) {
                // kube keeps a deleting pod's token valid until the pod is gone; so do we
                log.trace("pod {} is being deleted; its token holds until it is gone", c.podName());
            }
        }
        if (c.secretName() != null && !c.secretName().isEmpty()) {
            Optional<ObjectNode> secret = lookup.get("", "secrets", c.namespace(), c.secretName());
            if (secret.isEmpty()) return "secret " + c.secretName() + " is gone";
            if (c.secretUid() != null && !c.secretUid().isEmpty()
                    && !c.secretUid().equals(secret.get().path("metadata").path("uid").asString(""))) {
                return "secret " + c.secretName() + " was recreated";
            }
            if (c.legacy()) {
                String stored = secret.get().path("data").path("token").asString("");
                String presented = java.util.Base64.getEncoder().encodeToString(token.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                if (!java.security.MessageDigest.isEqual(stored.getBytes(), presented.getBytes())) return "secret " + c.secretName() + " holds another token";
            }
        }
        return null;
    }

    private Optional<UserInfo> bootstrap(String token) {
        BootstrapToken t = BootstrapToken.parse(token);
        JsonNode secret = lookup.get("", "secrets", "kube-system", t.secretName()).orElse(null);
        BootstrapTokenSecrets.Result r = BootstrapTokenSecrets.authenticate(token, secret, clock);
        if (r instanceof BootstrapTokenSecrets.Authenticated a) {
            return Optional.of(new UserInfo(a.user(), "", a.groups(), Map.of()));
        }
        if (r instanceof BootstrapTokenSecrets.Refused refused) log.debug("bootstrap token {} refused: {}", t.id(), refused.reason());
        return Optional.empty();
    }

    static UserInfo fromCertificate(X509Certificate cert) {
        try {
            List<String> eku = cert.getExtendedKeyUsage();
            if (eku != null && !eku.contains(CLIENT_AUTH) && !eku.contains("2.5.29.37.0")) {
                throw new ApiException(401, "Unauthorized", "Unauthorized", null);
            }
        } catch (CertificateParsingException e) {
            throw unauthorized();
        }
        String cn = null;
        List<String> groups = new ArrayList<>();
        try {
            for (javax.naming.ldap.Rdn rdn : new javax.naming.ldap.LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN") && cn == null) cn = String.valueOf(rdn.getValue());
                if (rdn.getType().equalsIgnoreCase("O")) groups.add(String.valueOf(rdn.getValue()));
            }
        } catch (javax.naming.InvalidNameException e) {
            throw unauthorized();
        }
        if (cn == null || cn.isEmpty()) throw unauthorized();
        return new UserInfo(cn, "", groups, Map.of());
    }

    /** kube adds system:authenticated to every user that is not anonymous. */
    public static UserInfo withAuthenticated(UserInfo u) {
        if (u.name().equals("system:anonymous") || u.groups().contains(AUTHENTICATED)) return u;
        List<String> groups = new ArrayList<>(u.groups());
        groups.add(AUTHENTICATED);
        return new UserInfo(u.name(), u.uid(), groups, u.extra());
    }

    private static String bearer(String authorization) {
        String a = authorization.strip();
        if (a.length() < 7 || !a.regionMatches(true, 0, "Bearer ", 0, 7)) return null;
        String token = a.substring(7).strip();
        return token.isEmpty() ? null : token;
    }

    public static ApiException unauthorized() {
        return new ApiException(401, "Unauthorized", "Unauthorized", null);
    }
}
