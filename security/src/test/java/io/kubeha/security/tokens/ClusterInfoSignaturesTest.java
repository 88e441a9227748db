package io.kubeha.security.tokens;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class ClusterInfoSignaturesTest {
    private static final BootstrapToken TOKEN = BootstrapToken.parse("abcdef.0123456789abcdef");
    private static final String KUBECONFIG = """
            apiVersion: v1
            kind: Config
            clusters:
            - cluster:
                certificate-authority-data: LS0tLS1CRUdJTi...
                server: https://10.0.0.1:6443
              name: ""
            """;

    @Test
    void signAndVerify() {
        String jws = ClusterInfoSignatures.sign(KUBECONFIG, TOKEN);
        assertThat(ClusterInfoSignatures.verify(KUBECONFIG, jws, TOKEN)).isTrue();
    }

    @Test
    void detachedFormWithTheHeaderKubernetesExpects() {
        String jws = ClusterInfoSignatures.sign(KUBECONFIG, TOKEN);
        String[] parts = jws.split("\\.", -1);
        assertThat(parts).hasSize(3);
        assertThat(parts[1]).isEmpty();
        assertThat(new String(Base64.getUrlDecoder().decode(parts[0]), StandardCharsets.UTF_8))
                .isEqualTo("{\"alg\":\"HS256\",\"kid\":\"abcdef\"}");
        assertThat(parts[2]).hasSize(43);
    }

    @Test
    void tamperedContentOrWrongTokenFails() {
        String jws = ClusterInfoSignatures.sign(KUBECONFIG, TOKEN);
        assertThat(ClusterInfoSignatures.verify(KUBECONFIG.replace("10.0.0.1", "10.6.6.6"), jws, TOKEN)).isFalse();
        assertThat(ClusterInfoSignatures.verify(KUBECONFIG, jws,
                BootstrapToken.parse("abcdef.0123456789abcdee"))).isFalse();
        assertThat(ClusterInfoSignatures.verify(KUBECONFIG, jws,
                BootstrapToken.parse("zzzzzz.0123456789abcdef"))).isFalse();
    }

    @Test
    void malformedIsFalseNeverThrows() {
        String jws = ClusterInfoSignatures.sign(KUBECONFIG, TOKEN);
        String[] parts = jws.split("\\.", -1);
        String attached = parts[0] + "."
                + Base64.getUrlEncoder().withoutPadding().encodeToString(KUBECONFIG.getBytes(StandardCharsets.UTF_8))
                + "." + parts[2];
        assertThat(ClusterInfoSignatures.verify(KUBECONFIG, attached, TOKEN)).isFalse();
        assertThat(ClusterInfoSignatures.verify(KUBECONFIG, "", TOKEN)).isFalse();
        assertThat(ClusterInfoSignatures.verify(KUBECONFIG, "..", TOKEN)).isFalse();
        assertThat(ClusterInfoSignatures.verify(KUBECONFIG, "!!!..###", TOKEN)).isFalse();
        assertThat(ClusterInfoSignatures.verify(KUBECONFIG, "e30..AAAA", TOKEN)).isFalse();
        assertThat(ClusterInfoSignatures.verify(KUBECONFIG, null, TOKEN)).isFalse();
        assertThat(ClusterInfoSignatures.verify(null, jws, TOKEN)).isFalse();
        assertThat(ClusterInfoSignatures.verify(KUBECONFIG, jws, null)).isFalse();
    }
}
