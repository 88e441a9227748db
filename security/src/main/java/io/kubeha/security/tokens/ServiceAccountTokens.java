package io.kubeha.security.tokens;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.JWTClaimNames;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Issues and verifies service-account tokens as kube-apiserver does: bound tokens (TokenRequest, projected volumes)
 * signed RS256 with the issuer and the private {@code kubernetes.io} claim, and legacy Secret tokens with the issuer
 * {@code kubernetes/serviceaccount}. Verification accepts the signing key and any extra keys (old keys during a
 * rotation, or the keys of other API servers).
 */
public final class ServiceAccountTokens {
    /** The issuer of legacy (Secret-based) service-account tokens. */
    public static final String LEGACY_ISSUER = "kubernetes/serviceaccount";
    /** The leeway on exp and nbf, as kube-apiserver's. */
    public static final Duration LEEWAY = Duration.ofSeconds(60);

    static final String CLAIM_KUBERNETES = "kubernetes.io";
    static final String LEGACY_NAMESPACE = "kubernetes.io/serviceaccount/namespace";
    static final String LEGACY_SECRET_NAME = "kubernetes.io/serviceaccount/secret.name";
    static final String LEGACY_SA_NAME = "kubernetes.io/serviceaccount/service-account.name";
    static final String LEGACY_SA_UID = "kubernetes.io/serviceaccount/service-account.uid";

    private static final Logger LOG = LoggerFactory.getLogger(ServiceAccountTokens.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Set<String> BOUND_KINDS = Set.of("Pod", "Secret", "Node");

    /** The object a bound token is bound to: its kind ({@code Pod}, {@code Secret} or {@code Node}), name and uid. */
    public record BoundObject(String kind, String name, String uid) {
        public BoundObject {
            if (kind == null || !BOUND_KINDS.contains(kind)) {
                throw new IllegalArgumentException("a token can be bound to a Pod, a Secret or a Node, not " + kind);
            }
            if (name == null || name.isEmpty()) {
                throw new IllegalArgumentException("the bound " + kind + " needs a name");
            }
        }
    }

    private final String issuer;
    private final Clock clock;
    private final JWSSigner signer;
    private final String signingKeyId;
    /** The verify keys by kid, the signing key's first. */
    private final Map<String, RSAPublicKey> verifyKeys;
    private final List<JWSVerifier> verifiers;

    public ServiceAccountTokens(KeyPair rsaSigningKey, List<PublicKey> extraVerifyKeys, String issuer, Clock clock) {
        Objects.requireNonNull(rsaSigningKey, "rsaSigningKey");
        if (!(rsaSigningKey.getPrivate() instanceof RSAPrivateKey priv)
                || !(rsaSigningKey.getPublic() instanceof RSAPublicKey pub)) {
            throw new IllegalArgumentException("the service-account signing key must be an RSA key pair");
        }
        if (issuer == null || issuer.isBlank()) {
            throw new IllegalArgumentException("the service-account issuer must not be empty");
        }
        if (issuer.equals(LEGACY_ISSUER)) {
            throw new IllegalArgumentException("the service-account issuer must not be " + LEGACY_ISSUER);
        }
        this.issuer = issuer;
        this.clock = Objects.requireNonNull(clock, "clock");
        this.signer = new RSASSASigner(priv);
        this.signingKeyId = keyId(pub);
        Map<String, RSAPublicKey> keys = new LinkedHashMap<>();
        keys.put(signingKeyId, pub);
        for (PublicKey key : extraVerifyKeys == null ? List.<PublicKey>of() : extraVerifyKeys) {
            if (!(key instanceof RSAPublicKey rsa)) {
                throw new IllegalArgumentException("service-account verify keys must be RSA public keys, not "
                        + (key == null ? "null" : key.getAlgorithm()));
            }
            keys.putIfAbsent(keyId(rsa), rsa);
        }
        this.verifyKeys = java.util.Collections.unmodifiableMap(keys);
        List<JWSVerifier> list = new ArrayList<>();
        keys.values().forEach(k -> list.add(new RSASSAVerifier(k)));
        this.verifiers = List.copyOf(list);
    }

    public String issuer() {
        return issuer;
    }

    /**
     * A bound token: RS256, header kid = {@link #keyId}; claims iss, sub, aud, exp, iat, nbf, jti and
     * {@code kubernetes.io} with the namespace, the service account and the object it is bound to, if any.
     */
    public String issueBound(String namespace, String saName, String saUid, List<String> audiences, Duration expiry,
            BoundObject boundTo) {
        requireName(namespace, "namespace");
        requireName(saName, "service account name");
        if (audiences == null || audiences.isEmpty() || audiences.stream().anyMatch(a -> a == null || a.isEmpty())) {
            throw new IllegalArgumentException("a bound token needs at least one audience, and no empty one");
        }
        if (expiry == null || expiry.isNegative() || expiry.isZero()) {
            throw new IllegalArgumentException("a bound token's expiry must be positive: " + expiry);
        }
        Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        Map<String, Object> k8s = new LinkedHashMap<>();
        k8s.put("namespace", namespace);
        k8s.put("serviceaccount", ref(saName, saUid));
        if (boundTo != null) {
            k8s.put(boundTo.kind().toLowerCase(java.util.Locale.ROOT), ref(boundTo.name(), boundTo.uid()));
        }
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .issuer(issuer)
                .subject(username(namespace, saName))
                .audience(List.copyOf(audiences))
                .expirationTime(Date.from(now.plus(expiry)))
                .issueTime(Date.from(now))
                .notBeforeTime(Date.from(now))
                .jwtID(UUID.randomUUID().toString())
                .claim(CLAIM_KUBERNETES, k8s)
                .build();
        return sign(claims);
    }

    /** A legacy Secret token: no exp, no aud, the {@code kubernetes.io/serviceaccount/*} claims. */
    public String issueLegacy(String namespace, String saName, String saUid, String secretName) {
        requireName(namespace, "namespace");
        requireName(saName, "service account name");
        requireName(secretName, "secret name");
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .issuer(LEGACY_ISSUER)
                .subject(username(namespace, saName))
                .claim(LEGACY_NAMESPACE, namespace)
                .claim(LEGACY_SECRET_NAME, secretName)
                .claim(LEGACY_SA_NAME, saName)
                .claim(LEGACY_SA_UID, saUid == null ? "" : saUid)
                .build();
        return sign(claims);
    }

    private String sign(JWTClaimsSet claims) {
        Map<String, Object> json = claims.toJSONObject();
        if (claims.getAudience() != null && !claims.getAudience().isEmpty()) {
            // nimbus writes a single audience as a string; kube-apiserver always writes an array
            json.put(JWTClaimNames.AUDIENCE, claims.getAudience());
        }
        JWSObject jws = new JWSObject(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(signingKeyId).build(),
                new Payload(JSONObjectUtils.toJSONString(json)));
        try {
            jws.sign(signer);
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign a service-account token: " + e.getMessage(), e);
        }
        return jws.serialize();
    }

    /**
     * Verifies a service-account token.
     *
     * <p>What this cannot check, the caller must: that a legacy token's Secret still exists and names the service
     * account's uid, and that a bound token's service account and bound object still exist with the uids in the
     * claims (kube-apiserver's lookup).
     *
     * @param acceptedAudiences the API server's audiences; a bound token must name one of them (so an empty list
     *     refuses every bound token)
     * @return empty when the string is not a JWT or not one of ours (another authenticator may take it), else the
     *     claims
     * @throws TokenException when it is ours but invalid: signature, times (bound tokens, 60 s leeway), audiences
     *     (bound tokens), missing claims
     */
    public Optional<ServiceAccountClaims> verify(String token, List<String> acceptedAudiences) throws TokenException {
        if (token == null || token.isEmpty()) {
            return Optional.empty();
        }
        SignedJWT jwt;
        JWTClaimsSet claims;
        try {
            jwt = SignedJWT.parse(token);
            claims = jwt.getJWTClaimsSet();
        } catch (ParseException | RuntimeException e) {
            return Optional.empty();
        }
        String iss = claims.getIssuer();
        boolean legacy = LEGACY_ISSUER.equals(iss);
        if (!legacy && !issuer.equals(iss)) {
            return Optional.empty();
        }
        if (!JWSAlgorithm.RS256.equals(jwt.getHeader().getAlgorithm()) || !signatureValid(jwt)) {
            throw new TokenException("invalid signature");
        }
        return Optional.of(legacy ? legacyClaims(claims) : boundClaims(claims, acceptedAudiences));
    }

    private boolean signatureValid(SignedJWT jwt) {
        for (JWSVerifier verifier : verifiers) {
            try {
                if (jwt.verify(verifier)) {
                    return true;
                }
            } catch (JOSEException | RuntimeException e) {
                LOG.debug("service-account token signature check failed: {}", e.toString());
            }
        }
        return false;
    }

    private ServiceAccountClaims boundClaims(JWTClaimsSet claims, List<String> acceptedAudiences)
            throws TokenException {
        Instant now = clock.instant();
        Date exp = claims.getExpirationTime();
        Date nbf = claims.getNotBeforeTime();
        Date iat = claims.getIssueTime();
        if (exp == null) {
            throw new TokenException("token has no expiration");
        }
        if (now.minus(LEEWAY).isAfter(exp.toInstant())) {
            throw new TokenException("token has expired");
        }
        if (nbf != null && now.plus(LEEWAY).isBefore(nbf.toInstant())) {
            throw new TokenException("token is not valid yet");
        }
        List<String> audiences = claims.getAudience() == null ? List.of() : claims.getAudience();
        List<String> accepted = acceptedAudiences == null ? List.of() : acceptedAudiences;
        if (audiences.stream().noneMatch(accepted::contains)) {
            throw new TokenException("token audiences [" + String.join(" ", audiences)
                    + "] is invalid for the target audiences [" + String.join(" ", accepted) + "]");
        }
        Map<String, Object> k8s;
        try {
            k8s = claims.getJSONObjectClaim(CLAIM_KUBERNETES);
        } catch (ParseException e) {
            k8s = null;
        }
        if (k8s == null) {
            throw new TokenException("token has no kubernetes.io claim");
        }
        String namespace = string(k8s.get("namespace"));
        Map<?, ?> sa = map(k8s.get("serviceaccount"));
        String saName = sa == null ? null : string(sa.get("name"));
        if (namespace == null || namespace.isEmpty() || saName == null || saName.isEmpty()) {
            throw new TokenException("token has no namespace or service account in its kubernetes.io claim");
        }
        if (!username(namespace, saName).equals(claims.getSubject())) {
            throw new TokenException("token's sub does not match its kubernetes.io claim");
        }
        Map<?, ?> pod = map(k8s.get("pod"));
        Map<?, ?> secret = map(k8s.get("secret"));
        Map<?, ?> node = map(k8s.get("node"));
        return new ServiceAccountClaims(namespace, saName, string(sa.get("uid")),
                field(pod, "name"), field(pod, "uid"), field(secret, "name"), field(secret, "uid"),
                field(node, "name"), field(node, "uid"), audiences,
                iat == null ? null : iat.toInstant(), nbf == null ? null : nbf.toInstant(), exp.toInstant(),
                false, claims.getJWTID());
    }

    private static ServiceAccountClaims legacyClaims(JWTClaimsSet claims) throws TokenException {
        String namespace = string(claims.getClaim(LEGACY_NAMESPACE));
        String saName = string(claims.getClaim(LEGACY_SA_NAME));
        String saUid = string(claims.getClaim(LEGACY_SA_UID));
        String secretName = string(claims.getClaim(LEGACY_SECRET_NAME));
        if (namespace == null || namespace.isEmpty() || saName == null || saName.isEmpty()
                || secretName == null || secretName.isEmpty()) {
            throw new TokenException("legacy token is missing its kubernetes.io/serviceaccount claims");
        }
        if (!username(namespace, saName).equals(claims.getSubject())) {
            throw new TokenException("token's sub does not match its kubernetes.io/serviceaccount claims");
        }
        return new ServiceAccountClaims(namespace, saName, saUid, null, null, secretName, null, null, null,
                List.of(), null, null, null, true, claims.getJWTID());
    }

    /** base64url (no padding) of the SHA-256 of {@code key.getEncoded()}: 43 characters. */
    public static String keyId(PublicKey key) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getEncoded());
            return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The JWKS (RFC 7517) of every verify key, as served at {@code /openid/v1/jwks}. */
    public String jwks() {
        List<JWK> keys = new ArrayList<>();
        verifyKeys.forEach((kid, key) -> keys.add(new RSAKey.Builder(key)
                .keyUse(KeyUse.SIGNATURE).algorithm(JWSAlgorithm.RS256).keyID(kid).build()));
        return new JWKSet(keys).toString(true);
    }

    /** The OIDC discovery document, as served at {@code /.well-known/openid-configuration}. */
    public String openidConfiguration() {
        ObjectNode doc = JSON.createObjectNode();
        doc.put("issuer", issuer);
        doc.put("jwks_uri", issuer + "/openid/v1/jwks");
        ArrayNode types = doc.putArray("response_types_supported");
        types.add("id_token");
        doc.putArray("subject_types_supported").add("public");
        doc.putArray("id_token_signing_alg_values_supported").add("RS256");
        return JSON.writeValueAsString(doc);
    }

    private static String username(String namespace, String saName) {
        return "system:serviceaccount:" + namespace + ":" + saName;
    }

    private static Map<String, Object> ref(String name, String uid) {
        Map<String, Object> ref = new LinkedHashMap<>();
        ref.put("name", name);
        ref.put("uid", uid == null ? "" : uid);
        return ref;
    }

    private static void requireName(String value, String what) {
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException("the " + what + " must not be empty");
        }
    }

    private static String string(Object value) {
        return value instanceof String s ? s : null;
    }

    private static Map<?, ?> map(Object value) {
        return value instanceof Map<?, ?> m ? m : null;
    }

    private static String field(Map<?, ?> map, String key) {
        if (map == null) {
            return null;
        }
        String value = string(map.get(key));
        return value == null || value.isEmpty() ? null : value;
    }
}
