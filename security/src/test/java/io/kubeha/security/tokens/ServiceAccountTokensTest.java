package io.kubeha.security.tokens;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class ServiceAccountTokensTest {
    private static final String ISSUER = "https://kubernetes.default.svc.cluster.local";
    private static final Instant T0 = Instant.parse("2025-06-01T10:00:00Z");
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static KeyPair key;
    private static KeyPair otherKey;

    private MutableClock clock;
    private ServiceAccountTokens tokens;

    @BeforeAll
    static void keys() throws NoSuchAlgorithmException {
        KeyPairGenerator gen = KeyPairGenerator.getInstance("RSA");
        gen.initialize(2048);
        key = gen.generateKeyPair();
        otherKey = gen.generateKeyPair();
    }

    @BeforeEach
    void setUp() {
        clock = new MutableClock(T0);
        tokens = new ServiceAccountTokens(key, List.of(), ISSUER, clock);
    }

    @Test
    void boundRoundTrip() throws Exception {
        String jwt = tokens.issueBound("default", "builder", "sa-uid", List.of("api", "vault"), Duration.ofHours(1),
                new ServiceAccountTokens.BoundObject("Pod", "web-0", "pod-uid"));
        ServiceAccountClaims c = tokens.verify(jwt, List.of("api")).orElseThrow();
        assertThat(c.legacy()).isFalse();
        assertThat(c.username()).isEqualTo("system:serviceaccount:default:builder");
        assertThat(c.serviceAccountUid()).isEqualTo("sa-uid");
        assertThat(c.podName()).isEqualTo("web-0");
        assertThat(c.podUid()).isEqualTo("pod-uid");
        assertThat(c.secretName()).isNull();
        assertThat(c.audiences()).containsExactly("api", "vault");
        assertThat(c.issuedAt()).isEqualTo(T0);
        assertThat(c.notBefore()).isEqualTo(T0);
        assertThat(c.expiry()).isEqualTo(T0.plus(Duration.ofHours(1)));
        assertThat(c.tokenId()).hasSize(36);
        assertThat(c.groups()).containsExactly("system:serviceaccounts", "system:serviceaccounts:default");
        assertThat(c.extra()).containsOnly(
                Map.entry("authentication.kubernetes.io/pod-name", List.of("web-0")),
                Map.entry("authentication.kubernetes.io/pod-uid", List.of("pod-uid")),
                Map.entry("authentication.kubernetes.io/credential-id", List.of("JTI=" + c.tokenId())));
    }

    @Test
    void boundTokenClaimsAreKubernetesOnes() throws Exception {
        String jwt = tokens.issueBound("ns", "sa", "u1", List.of("api"), Duration.ofMinutes(10),
                new ServiceAccountTokens.BoundObject("Secret", "s", "su"));
        String[] parts = jwt.split("\\.");
        JsonNode header = JSON.readTree(Base64.getUrlDecoder().decode(parts[0]));
        JsonNode payload = JSON.readTree(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8));
        assertThat(header.get("alg").asString()).isEqualTo("RS256");
        assertThat(header.get("kid").asString()).isEqualTo(ServiceAccountTokens.keyId(key.getPublic()));
        assertThat(payload.get("aud").isArray()).isTrue();
        assertThat(payload.get("sub").asString()).isEqualTo("system:serviceaccount:ns:sa");
        assertThat(payload.get("exp").asLong()).isEqualTo(T0.getEpochSecond() + 600);
        assertThat(payload.at("/kubernetes.io/namespace").asString()).isEqualTo("ns");
        assertThat(payload.at("/kubernetes.io/serviceaccount/uid").asString()).isEqualTo("u1");
        assertThat(payload.at("/kubernetes.io/secret/name").asString()).isEqualTo("s");
        assertThat(payload.path("kubernetes.io").has("pod")).isFalse();
        ServiceAccountClaims c = tokens.verify(jwt, List.of("api")).orElseThrow();
        assertThat(c.secretName()).isEqualTo("s");
        assertThat(c.secretUid()).isEqualTo("su");
    }

    @Test
    void nodeBoundTokenHasNodeExtra() throws Exception {
        String jwt = tokens.issueBound("ns", "sa", "u1", List.of("api"), Duration.ofMinutes(10),
                new ServiceAccountTokens.BoundObject("Node", "n1", "nu"));
        ServiceAccountClaims c = tokens.verify(jwt, List.of("api")).orElseThrow();
        assertThat(c.extra()).containsKeys("authentication.kubernetes.io/node-name",
                "authentication.kubernetes.io/node-uid").doesNotContainKey("authentication.kubernetes.io/pod-name");
    }

    @Test
    void legacyRoundTrip() throws Exception {
        String jwt = tokens.issueLegacy("kube-system", "deployer", "sa-uid", "deployer-token-abcde");
        ServiceAccountClaims c = tokens.verify(jwt, List.of("api")).orElseThrow();
        assertThat(c.legacy()).isTrue();
        assertThat(c.username()).isEqualTo("system:serviceaccount:kube-system:deployer");
        assertThat(c.serviceAccountUid()).isEqualTo("sa-uid");
        assertThat(c.secretName()).isEqualTo("deployer-token-abcde");
        assertThat(c.expiry()).isNull();
        assertThat(c.audiences()).isEmpty();
        assertThat(c.groups()).containsExactly("system:serviceaccounts", "system:serviceaccounts:kube-system");
        assertThat(c.extra()).isEmpty();
        JsonNode payload = JSON.readTree(Base64.getUrlDecoder().decode(jwt.split("\\.")[1]));
        assertThat(payload.get("iss").asString()).isEqualTo("kubernetes/serviceaccount");
        assertThat(payload.has("exp")).isFalse();
        assertThat(payload.has("aud")).isFalse();
        // no time check: a year later, any audience
        clock.advance(Duration.ofDays(365));
        assertThat(tokens.verify(jwt, List.of("other"))).isPresent();
    }

    @Test
    void expiredAfterLeeway() throws Exception {
        String jwt = tokens.issueBound("ns", "sa", "u", List.of("api"), Duration.ofMinutes(10), null);
        clock.advance(Duration.ofMinutes(10).plusSeconds(60));
        assertThat(tokens.verify(jwt, List.of("api"))).isPresent();
        clock.advance(Duration.ofSeconds(1));
        assertThatThrownBy(() -> tokens.verify(jwt, List.of("api")))
                .isInstanceOf(TokenException.class).hasMessage("token has expired");
    }

    @Test
    void notValidYet() throws Exception {
        String jwt = tokens.issueBound("ns", "sa", "u", List.of("api"), Duration.ofMinutes(10), null);
        clock.advance(Duration.ofSeconds(-60));
        assertThat(tokens.verify(jwt, List.of("api"))).isPresent();
        clock.advance(Duration.ofSeconds(-1));
        assertThatThrownBy(() -> tokens.verify(jwt, List.of("api")))
                .isInstanceOf(TokenException.class).hasMessage("token is not valid yet");
    }

    @Test
    void wrongAudience() {
        String jwt = tokens.issueBound("ns", "sa", "u", List.of("a", "b"), Duration.ofMinutes(10), null);
        assertThatThrownBy(() -> tokens.verify(jwt, List.of("c")))
                .isInstanceOf(TokenException.class)
                .hasMessage("token audiences [a b] is invalid for the target audiences [c]");
    }

    @Test
    void anotherKeysSignatureIsInvalid() {
        ServiceAccountTokens other = new ServiceAccountTokens(otherKey, List.of(), ISSUER, clock);
        String jwt = other.issueBound("ns", "sa", "u", List.of("api"), Duration.ofMinutes(10), null);
        assertThatThrownBy(() -> tokens.verify(jwt, List.of("api")))
                .isInstanceOf(TokenException.class).hasMessage("invalid signature");
    }

    @Test
    void tamperedPayloadIsInvalid() {
        String jwt = tokens.issueBound("ns", "sa", "u", List.of("api"), Duration.ofMinutes(10), null);
        String[] parts = jwt.split("\\.");
        String payload = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8)
                .replace("system:serviceaccount:ns:sa", "system:serviceaccount:ns:admin")
                .replace("\"name\":\"sa\"", "\"name\":\"admin\"");
        String forged = parts[0] + "."
                + Base64.getUrlEncoder().withoutPadding().encodeToString(payload.getBytes(StandardCharsets.UTF_8))
                + "." + parts[2];
        assertThatThrownBy(() -> tokens.verify(forged, List.of("api")))
                .isInstanceOf(TokenException.class).hasMessage("invalid signature");
    }

    @Test
    void legacyVerifiedThroughExtraKey() throws Exception {
        ServiceAccountTokens old = new ServiceAccountTokens(otherKey, List.of(), ISSUER, clock);
        String jwt = old.issueLegacy("ns", "sa", "u", "sa-token-x");
        ServiceAccountTokens rotated = new ServiceAccountTokens(key, List.of(otherKey.getPublic()), ISSUER, clock);
        assertThat(rotated.verify(jwt, List.of("api"))).get()
                .extracting(ServiceAccountClaims::secretName).isEqualTo("sa-token-x");
        assertThatThrownBy(() -> tokens.verify(jwt, List.of("api"))).hasMessage("invalid signature");
    }

    @Test
    void keyIdIs43CharsOfBase64Url() {
        String kid = ServiceAccountTokens.keyId(key.getPublic());
        assertThat(kid).hasSize(43).matches("[A-Za-z0-9_-]{43}");
        assertThat(ServiceAccountTokens.keyId(otherKey.getPublic())).isNotEqualTo(kid);
    }

    @Test
    void jwksHasEveryVerifyKey() {
        ServiceAccountTokens both = new ServiceAccountTokens(key, List.of(otherKey.getPublic(), key.getPublic()),
                ISSUER, clock);
        JsonNode jwks = JSON.readTree(both.jwks());
        assertThat(jwks.get("keys")).hasSize(2);
        JsonNode first = jwks.get("keys").get(0);
        assertThat(first.get("kid").asString()).isEqualTo(ServiceAccountTokens.keyId(key.getPublic()));
        assertThat(first.get("kty").asString()).isEqualTo("RSA");
        assertThat(first.get("use").asString()).isEqualTo("sig");
        assertThat(first.get("alg").asString()).isEqualTo("RS256");
        assertThat(first.has("n")).isTrue();
        assertThat(first.has("e")).isTrue();
        assertThat(first.has("d")).isFalse();
        assertThat(jwks.get("keys").get(1).get("kid").asString())
                .isEqualTo(ServiceAccountTokens.keyId(otherKey.getPublic()));
    }

    @Test
    void openidConfiguration() {
        JsonNode doc = JSON.readTree(tokens.openidConfiguration());
        assertThat(doc.get("issuer").asString()).isEqualTo(ISSUER);
        assertThat(doc.get("jwks_uri").asString()).isEqualTo(ISSUER + "/openid/v1/jwks");
        assertThat(doc.get("response_types_supported").get(0).asString()).isEqualTo("id_token");
        assertThat(doc.get("subject_types_supported").get(0).asString()).isEqualTo("public");
        assertThat(doc.get("id_token_signing_alg_values_supported").get(0).asString()).isEqualTo("RS256");
    }

    @Test
    void notAJwtOrNotOursIsEmpty() throws Exception {
        assertThat(tokens.verify("abcdef.0123456789abcdef", List.of("api"))).isEmpty();
        assertThat(tokens.verify("not-a-token", List.of("api"))).isEmpty();
        assertThat(tokens.verify("a.b.c", List.of("api"))).isEmpty();
        assertThat(tokens.verify("", List.of("api"))).isEmpty();
        assertThat(tokens.verify(null, List.of("api"))).isEmpty();
        ServiceAccountTokens foreign = new ServiceAccountTokens(otherKey, List.of(), "https://elsewhere", clock);
        String jwt = foreign.issueBound("ns", "sa", "u", List.of("api"), Duration.ofMinutes(10), null);
        assertThat(tokens.verify(jwt, List.of("api"))).isEmpty();
    }

    @Test
    void hs256WithOurIssuerIsInvalidSignature() throws Exception {
        // the alg-confusion attack: HMAC keyed with the (public) verify key
        com.nimbusds.jwt.JWTClaimsSet claims = new com.nimbusds.jwt.JWTClaimsSet.Builder().issuer(ISSUER)
                .subject("system:serviceaccount:ns:sa").audience("api")
                .expirationTime(java.util.Date.from(T0.plusSeconds(600))).build();
        com.nimbusds.jwt.SignedJWT jwt = new com.nimbusds.jwt.SignedJWT(
                new com.nimbusds.jose.JWSHeader(com.nimbusds.jose.JWSAlgorithm.HS256), claims);
        jwt.sign(new com.nimbusds.jose.crypto.MACSigner(key.getPublic().getEncoded()));
        assertThatThrownBy(() -> tokens.verify(jwt.serialize(), List.of("api"))).hasMessage("invalid signature");
    }

    @Test
    void noAcceptedAudienceRefusesBoundButNotLegacy() throws Exception {
        String bound = tokens.issueBound("ns", "sa", "u", List.of("api"), Duration.ofMinutes(10), null);
        assertThatThrownBy(() -> tokens.verify(bound, List.of()))
                .hasMessage("token audiences [api] is invalid for the target audiences []");
        assertThat(tokens.verify(tokens.issueLegacy("ns", "sa", "u", "s"), List.of())).isPresent();
    }
}
