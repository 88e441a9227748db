package io.kubeha.apiserver.openapi;

import io.kubeha.apiserver.api.Json;
import io.kubeha.apiserver.registry.Resources;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Reads the protobuf back with a minimal decoder and the field numbers of gnostic's OpenAPIv2.proto. (That
 * kubectl itself parses it is {@link KubectlIT}'s job.)
 */
class SwaggerProtoTest {
    private static final OpenApi OPEN_API = new OpenApi(Resources.builtIn());
    private static final JsonNode V2 = Json.MAPPER.readTree(OPEN_API.v2());
    private static final byte[] DOC = OPEN_API.v2Protobuf();

    @Test
    void documentHoldsEveryDefinitionAndPathOfTheJson() {
        assertThat(string(DOC, 1)).contains("2.0");
        List<String> definitions = new ArrayList<>();
        for (byte[] named : messages(single(DOC, 9), 1)) definitions.add(string(named, 1).orElseThrow());
        assertThat(definitions).containsExactlyElementsOf(V2.get("definitions").propertyNames());
        List<String> paths = new ArrayList<>();
        for (byte[] named : messages(single(DOC, 8), 2)) paths.add(string(named, 1).orElseThrow());
        assertThat(paths).containsExactlyElementsOf(V2.get("paths").propertyNames());
    }

    @Test
    void containersCarryTheirMergeKeyAsAVendorExtension() {
        byte[] podSpec = definition("io.k8s.api.core.v1.PodSpec");
        byte[] containers = property(podSpec, "containers");
        List<String> extensions = new ArrayList<>();
        for (byte[] namedAny : messages(containers, 31)) {
            extensions.add(string(namedAny, 1).orElseThrow() + "=" + string(single(namedAny, 2), 2).orElseThrow());
        }
        assertThat(extensions).containsExactlyInAnyOrder("x-kubernetes-patch-merge-key=\"name\"", "x-kubernetes-patch-strategy=\"merge\"");
        // type "array" (TypeItem = 22) with items (ItemsItem = 23) referring to Container ($ref = 1)
        assertThat(string(single(containers, 22), 1)).contains("array");
        assertThat(string(single(single(containers, 23), 1), 1)).contains("#/definitions/io.k8s.api.core.v1.Container");
    }

    @Test
    void podPatchOperationHasTheFieldValidationQueryParameter() {
        byte[] item = null;
        for (byte[] named : messages(single(DOC, 8), 2)) {
            if (string(named, 1).orElseThrow().equals("/api/v1/namespaces/{namespace}/pods/{name}")) item = single(named, 2);
        }
        assertThat(item).isNotNull();
        byte[] patch = single(item, 8);
        assertThat(string(patch, 5)).contains("patchCoreV1NamespacedPod");
        List<String> query = new ArrayList<>();
        for (byte[] parametersItem : messages(patch, 8)) {
            byte[] parameter = single(parametersItem, 1);
            List<byte[]> nonBody = messages(parameter, 2);
            if (!nonBody.isEmpty()) query.add(string(single(nonBody.getFirst(), 3), 4).orElseThrow());
        }
        assertThat(query).contains("fieldValidation", "dryRun", "fieldManager", "force");
        List<String> extensions = new ArrayList<>();
        for (byte[] namedAny : messages(patch, 13)) extensions.add(string(namedAny, 1).orElseThrow());
        assertThat(extensions).containsExactly("x-kubernetes-action", "x-kubernetes-group-version-kind");
    }

    @Test
    void unknownKeywordsFailInsteadOfVanishing() {
        JsonNode doc = Json.MAPPER.readTree("{\"swagger\":\"2.0\",\"definitions\":{\"a\":{\"type\":\"object\",\"minProperties\":1}}}");
        assertThatThrownBy(() -> SwaggerProto.encode(doc)).hasMessageContaining("minProperties");
    }

    // ---- a protobuf reader for the test: length-delimited and varint fields only ----

    private static byte[] definition(String name) {
        for (byte[] named : messages(single(DOC, 9), 1)) if (string(named, 1).orElseThrow().equals(name)) return single(named, 2);
        throw new AssertionError("no definition " + name);
    }

    private static byte[] property(byte[] schema, String name) {
        for (byte[] named : messages(single(schema, 25), 1)) if (string(named, 1).orElseThrow().equals(name)) return single(named, 2);
        throw new AssertionError("no property " + name);
    }

    private static Optional<String> string(byte[] message, int field) {
        List<byte[]> values = messages(message, field);
        return values.isEmpty() ? Optional.empty() : Optional.of(new String(values.getFirst(), StandardCharsets.UTF_8));
    }

    private static byte[] single(byte[] message, int field) {
        List<byte[]> values = messages(message, field);
        assertThat(values).as("field " + field).hasSize(1);
        return values.getFirst();
    }

    /** The values of one length-delimited field, in order. */
    private static List<byte[]> messages(byte[] message, int field) {
        List<byte[]> out = new ArrayList<>();
        int[] pos = {0};
        while (pos[0] < message.length) {
            long key = varint(message, pos);
            int wire = (int) (key & 7);
            switch (wire) {
                case 0 -> varint(message, pos);
                case 2 -> {
                    int length = (int) varint(message, pos);
                    if (key >>> 3 == field) out.add(java.util.Arrays.copyOfRange(message, pos[0], pos[0] + length));
                    pos[0] += length;
                }
                default -> throw new AssertionError("unexpected wire type " + wire);
            }
        }
        return out;
    }

    private static long varint(byte[] b, int[] pos) {
        long v = 0;
        for (int shift = 0; ; shift += 7) {
            byte x = b[pos[0]++];
            v |= (long) (x & 0x7F) << shift;
            if ((x & 0x80) == 0) return v;
        }
    }
}
