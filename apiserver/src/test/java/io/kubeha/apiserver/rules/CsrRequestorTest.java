package io.kubeha.apiserver.rules;

import io.kubeha.apiserver.api.Json;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.ObjectNode;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** A CSR names who asked for it as the server saw them, never as the client wrote it (kube's PrepareForCreate). */
class CsrRequestorTest {
    @Test
    void setRequestorReplacesWhatTheClientSent() {
        ObjectNode csr = (ObjectNode) Json.MAPPER.readTree("{\"spec\":{\"username\":\"forged\",\"groups\":[\"system:masters\"],\"request\":\"x\"}}");
        CsrRules.setRequestor(csr, "system:node:n1", "u-1", List.of("system:nodes", "system:authenticated"), Map.of("scopes", List.of("a")));
        assertThat(csr.path("spec").toString()).isEqualTo("{\"request\":\"x\",\"username\":\"system:node:n1\",\"uid\":\"u-1\","
                + "\"groups\":[\"system:nodes\",\"system:authenticated\"],\"extra\":{\"scopes\":[\"a\"]}}");
        CsrRules.setRequestor(csr, "anonymous", null, null, null);
        assertThat(csr.path("spec").toString()).isEqualTo("{\"request\":\"x\",\"username\":\"anonymous\"}");
    }
}
