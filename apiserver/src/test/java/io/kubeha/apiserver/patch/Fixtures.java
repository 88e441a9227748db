package io.kubeha.apiserver.patch;

import io.kubeha.apiserver.api.Json;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** Objects written as YAML or JSON text, and a comparison of trees that says what differs. */
final class Fixtures {
    static final Instant T0 = Instant.parse("2025-01-01T10:00:00Z");
    static final Instant T1 = Instant.parse("2025-01-01T11:00:00Z");
    static final Instant T2 = Instant.parse("2025-01-01T12:00:00Z");

    private Fixtures() {}

    static ObjectNode yaml(String text) {
        return (ObjectNode) Json.YAML.readTree(text);
    }

    static ObjectNode json(String text) {
        return (ObjectNode) Json.MAPPER.readTree(text);
    }

    static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** Equal as JSON values (numbers by value, object keys in any order), showing both trees when not. */
    static void assertSameJson(JsonNode actual, JsonNode expected) {
        assertThat(Trees.same(actual, expected))
                .as("expected:%n%s%nactual:%n%s", Json.YAML.writeValueAsString(expected),
                        Json.YAML.writeValueAsString(actual))
                .isTrue();
    }
}
