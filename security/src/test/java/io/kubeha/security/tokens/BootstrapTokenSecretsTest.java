package io.kubeha.security.tokens;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kubeha.security.tokens.BootstrapTokenSecrets.Authenticated;
import io.kubeha.security.tokens.BootstrapTokenSecrets.Refused;
import io.kubeha.security.tokens.BootstrapTokenSecrets.TokenInfo;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.node.ObjectNode;

class BootstrapTokenSecretsTest {
    private static final Instant T0 = Instant.parse("2025-06-01T10:00:00Z");
    private static final BootstrapToken TOKEN = BootstrapToken.parse("abcdef.0123456789abcdef");
    private static final List<String> BOTH = List.of("authentication", "signing");

    private final MutableClock clock = new MutableClock(T0);

    private static ObjectNode secret() {
        return BootstrapTokenSecrets.secret(TOKEN, T0.plus(Duration.ofHours(24)), BOTH,
                List.of("system:bootstrappers:kubeadm:default-node-token"), "for joining");
    }

    private static String data(ObjectNode secret, String key) {
        return new String(Base64.getDecoder().decode(secret.path("data").get(key).asString()), StandardCharsets.UTF_8);
    }

    private Object reason(String presented, ObjectNode secret) {
        return BootstrapTokenSecrets.authenticate(presented, secret, clock);
    }

    @Test
    void secretLayout() {
        ObjectNode s = secret();
        assertThat(s.get("apiVersion").asString()).isEqualTo("v1");
        assertThat(s.get("kind").asString()).isEqualTo("Secret");
        assertThat(s.at("/metadata/name").asString()).isEqualTo("bootstrap-token-abcdef");
        assertThat(s.at("/metadata/namespace").asString()).isEqualTo("kube-system");
        assertThat(s.get("type").asString()).isEqualTo("bootstrap.kubernetes.io/token");
        assertThat(data(s, "token-id")).isEqualTo("abcdef");
        assertThat(data(s, "token-secret")).isEqualTo("0123456789abcdef");
        assertThat(data(s, "expiration")).isEqualTo("2025-06-02T10:00:00Z");
        assertThat(data(s, "usage-bootstrap-authentication")).isEqualTo("true");
        assertThat(data(s, "usage-bootstrap-signing")).isEqualTo("true");
        assertThat(data(s, "auth-extra-groups")).isEqualTo("system:bootstrappers:kubeadm:default-node-token");
        assertThat(data(s, "description")).isEqualTo("for joining");
        ObjectNode bare = BootstrapTokenSecrets.secret(TOKEN, null, List.of("signing"), List.of(), null);
        assertThat(bare.path("data").has("expiration")).isFalse();
        assertThat(bare.path("data").has("usage-bootstrap-authentication")).isFalse();
        assertThat(bare.path("data").has("auth-extra-groups")).isFalse();
    }

    @Test
    void secretRefusesBadGroupsAndUsages() {
        assertThatThrownBy(() -> BootstrapTokenSecrets.secret(TOKEN, null, BOTH, List.of("system:masters"), null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> BootstrapTokenSecrets.secret(TOKEN, null, List.of("everything"), List.of(), null))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void authenticatesWithExtraGroups() {
        assertThat(BootstrapTokenSecrets.authenticate("abcdef.0123456789abcdef", secret(), clock))
                .isEqualTo(new Authenticated("system:bootstrap:abcdef",
                        List.of("system:bootstrappers", "system:bootstrappers:kubeadm:default-node-token")));
    }

    @Test
    void refusals() {
        String t = "abcdef.0123456789abcdef";
        assertThat(reason("nope", secret())).isEqualTo(new Refused(BootstrapTokenSecrets.REFUSED_MALFORMED));
        assertThat(reason(t, null)).isEqualTo(new Refused("no such token"));

        ObjectNode wrongType = secret();
        wrongType.put("type", "Opaque");
        assertThat(reason(t, wrongType)).isEqualTo(new Refused("wrong type"));

        ObjectNode deleting = secret();
        ((ObjectNode) deleting.get("metadata")).put("deletionTimestamp", "2025-06-01T09:00:00Z");
        assertThat(reason(t, deleting)).isEqualTo(new Refused("being deleted"));

        ObjectNode otherId = BootstrapTokenSecrets.secret(BootstrapToken.parse("zzzzzz.0123456789abcdef"), null, BOTH,
                List.of(), null);
        assertThat(reason(t, otherId)).isEqualTo(new Refused("token-id mismatch"));

        assertThat(reason("abcdef.0123456789abcdee", secret())).isEqualTo(new Refused("secret mismatch"));

        clock.advance(Duration.ofHours(24));
        assertThat(reason(t, secret())).isEqualTo(new Refused("expired"));
        clock.advance(Duration.ofHours(-24));

        ObjectNode signingOnly = BootstrapTokenSecrets.secret(TOKEN, null, List.of("signing"), List.of(), null);
        assertThat(reason(t, signingOnly))
                .isEqualTo(new Refused(BootstrapTokenSecrets.REFUSED_NOT_FOR_AUTHENTICATION));
    }

    @Test
    void unreadableExpirationCountsAsExpired() {
        ObjectNode s = secret();
        ((ObjectNode) s.get("data")).put("expiration",
                Base64.getEncoder().encodeToString("tomorrow".getBytes(StandardCharsets.UTF_8)));
        assertThat(reason("abcdef.0123456789abcdef", s)).isEqualTo(new Refused("expired"));
        assertThat(BootstrapTokenSecrets.canSign(s, clock)).isFalse();
    }

    @Test
    void describe() {
        clock.advance(Duration.ofHours(1));
        TokenInfo info = BootstrapTokenSecrets.describe(secret(), clock);
        assertThat(info).isEqualTo(new TokenInfo("abcdef", "abcdef.0123456789abcdef",
                T0.plus(Duration.ofHours(24)), Duration.ofHours(23), BOTH,
                List.of("system:bootstrappers:kubeadm:default-node-token"), "for joining"));
        TokenInfo forever = BootstrapTokenSecrets.describe(
                BootstrapTokenSecrets.secret(TOKEN, null, List.of("signing"), List.of(), null), clock);
        assertThat(forever.expiration()).isNull();
        assertThat(forever.ttlLeft()).isNull();
        assertThat(forever.usages()).containsExactly("signing");
        assertThat(forever.description()).isNull();
    }

    @Test
    void canSign() {
        assertThat(BootstrapTokenSecrets.canSign(secret(), clock)).isTrue();
        assertThat(BootstrapTokenSecrets.canSign(
                BootstrapTokenSecrets.secret(TOKEN, null, List.of("authentication"), List.of(), null), clock)).isFalse();
        clock.advance(Duration.ofHours(24));
        assertThat(BootstrapTokenSecrets.canSign(secret(), clock)).isFalse();
    }

    @Test
    void token() {
        assertThat(BootstrapTokenSecrets.token(secret())).isEqualTo(TOKEN);
    }

    @ParameterizedTest
    @CsvSource({"24h,PT24H", "30m,PT30M", "1h30m,PT1H30M", "90s,PT1M30S", "0,PT0S", "1h30m15s,PT1H30M15S"})
    void parseTtl(String ttl, String expected) {
        assertThat(BootstrapTokenSecrets.parseTtl(ttl)).isEqualTo(Duration.parse(expected));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "1d", "h", "30", "-1h", "1m1h", "1 h", "forever"})
    void parseTtlRefuses(String ttl) {
        assertThatThrownBy(() -> BootstrapTokenSecrets.parseTtl(ttl)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--ttl: '" + ttl + "' is not a duration like 24h, 30m or 1h30m");
    }
}
