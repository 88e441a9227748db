package io.kubeha.security.tokens;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.SecureRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class BootstrapTokenTest {
    @Test
    void parse() {
        BootstrapToken t = BootstrapToken.parse("abcdef.0123456789abcdef");
        assertThat(t.id()).isEqualTo("abcdef");
        assertThat(t.secret()).isEqualTo("0123456789abcdef");
        assertThat(t.secretName()).isEqualTo("bootstrap-token-abcdef");
        assertThat(t).hasToString("abcdef.0123456789abcdef");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "abcdef", "abcdef.0123456789abcde", "ABCDEF.0123456789abcdef",
            "abcdef:0123456789abcdef", "abcdefg.0123456789abcdef", " abcdef.0123456789abcdef"})
    void malformed(String token) {
        assertThatThrownBy(() -> BootstrapToken.parse(token)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("a bootstrap token looks like abcdef.0123456789abcdef ([a-z0-9]{6}.[a-z0-9]{16})");
    }

    @Test
    void generate() {
        SecureRandom r = new SecureRandom();
        BootstrapToken t = BootstrapToken.generate(r);
        assertThat(t.toString()).matches(BootstrapToken.FORMAT);
        assertThat(BootstrapToken.parse(t.toString())).isEqualTo(t);
        assertThat(BootstrapToken.generate(r)).isNotEqualTo(t);
    }
}
