package io.kubeha.apiserver.openapi;

import io.kubeha.apiserver.api.Json;
import tools.jackson.databind.JsonNode;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Encodes the Swagger 2.0 document as the protobuf message {@code openapi.v2.Document} of
 * github.com/google/gnostic (OpenAPIv2.proto), which is what kubectl asks {@code /openapi/v2} for
 * ({@code Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf}) and can only parse: it feeds the
 * body to proto.Unmarshal whatever the response's content type, so JSON fails with "cannot parse invalid
 * wire-format data". kubectl downloads it for client-side validation, for {@code apply}'s patch computation
 * when OpenAPI v3 is missing, and for {@code explain --output plaintext-openapiv2}.
 *
 * <p>Only the parts of Swagger 2.0 that {@link SwaggerV2} writes are mapped; anything else fails loudly (a test
 * encodes the whole document), so a new keyword cannot be dropped in silence. Field numbers are those of
 * OpenAPIv2.proto. Vendor extensions are gnostic {@code Any} messages holding the value as YAML text; JSON text
 * is YAML, which is what kube-openapi's reader unmarshals.
 */
final class SwaggerProto {
    private SwaggerProto() {}

    static byte[] encode(JsonNode doc) {
        Msg m = new Msg();
        for (Map.Entry<String, JsonNode> e : doc.properties()) {
            JsonNode v = e.getValue();
            switch (e.getKey()) {
                case "swagger" -> m.string(1, v.asString());
                case "info" -> m.message(2, info(v));
                case "paths" -> m.message(8, paths(v));
                case "definitions" -> {
                    Msg defs = new Msg();
                    for (Map.Entry<String, JsonNode> d : v.properties()) defs.message(1, named(d.getKey(), schema(d.getValue())));
                    m.message(9, defs);
                }
                default -> unknown("Document", e.getKey());
            }
        }
        return m.bytes();
    }

    private static Msg info(JsonNode info) {
        Msg m = new Msg();
        for (Map.Entry<String, JsonNode> e : info.properties()) {
            switch (e.getKey()) {
                case "title" -> m.string(1, e.getValue().asString());
                case "version" -> m.string(2, e.getValue().asString());
                case "description" -> m.string(3, e.getValue().asString());
                default -> unknown("Info", e.getKey());
            }
        }
        return m;
    }

    private static Msg paths(JsonNode paths) {
        Msg m = new Msg();
        for (Map.Entry<String, JsonNode> p : paths.properties()) m.message(2, named(p.getKey(), pathItem(p.getValue())));
        return m;
    }

    private static Msg pathItem(JsonNode item) {
        Msg m = new Msg();
        for (Map.Entry<String, JsonNode> e : item.properties()) {
            switch (e.getKey()) {
                case "get" -> m.message(2, operation(e.getValue()));
                case "put" -> m.message(3, operation(e.getValue()));
                case "post" -> m.message(4, operation(e.getValue()));
                case "delete" -> m.message(5, operation(e.getValue()));
                case "patch" -> m.message(8, operation(e.getValue()));
                case "parameters" -> {
                    for (JsonNode p : e.getValue()) m.message(9, parametersItem(p));
                }
                default -> unknown("PathItem", e.getKey());
            }
        }
        return m;
    }

    private static Msg operation(JsonNode op) {
        Msg m = new Msg();
        for (Map.Entry<String, JsonNode> e : op.properties()) {
            JsonNode v = e.getValue();
            String k = e.getKey();
            switch (k) {
                case "tags" -> strings(m, 1, v);
                case "summary" -> m.string(2, v.asString());
                case "description" -> m.string(3, v.asString());
                case "operationId" -> m.string(5, v.asString());
                case "produces" -> strings(m, 6, v);
                case "consumes" -> strings(m, 7, v);
                case "parameters" -> {
                    for (JsonNode p : v) m.message(8, parametersItem(p));
                }
                case "responses" -> m.message(9, responses(v));
                case "schemes" -> strings(m, 10, v);
                case "deprecated" -> m.bool(11, v.asBoolean());
                default -> {
                    if (!k.startsWith("x-")) unknown("Operation", k);
                    m.message(13, extension(k, v));
                }
            }
        }
        return m;
    }

    /** ParametersItem{parameter = 1} -> Parameter{body_parameter = 1 | non_body_parameter = 2}. */
    private static Msg parametersItem(JsonNode p) {
        String in = p.path("in").asString();
        Msg parameter = new Msg();
        if (in.equals("body")) {
            Msg body = new Msg();
            for (Map.Entry<String, JsonNode> e : p.properties()) {
                switch (e.getKey()) {
                    case "description" -> body.string(1, e.getValue().asString());
                    case "name" -> body.string(2, e.getValue().asString());
                    case "in" -> body.string(3, e.getValue().asString());
                    case "required" -> body.bool(4, e.getValue().asBoolean());
                    case "schema" -> body.message(5, schema(e.getValue()));
                    default -> unknown("BodyParameter", e.getKey());
                }
            }
            parameter.message(1, body);
        } else {
            // QueryParameterSubSchema and PathParameterSubSchema number their common fields differently
            boolean query = in.equals("query");
            if (!query && !in.equals("path")) unknown("NonBodyParameter", "in: " + in);
            Msg sub = new Msg();
            for (Map.Entry<String, JsonNode> e : p.properties()) {
                JsonNode v = e.getValue();
                switch (e.getKey()) {
                    case "required" -> sub.bool(1, v.asBoolean());
                    case "in" -> sub.string(2, v.asString());
                    case "description" -> sub.string(3, v.asString());
                    case "name" -> sub.string(4, v.asString());
                    case "type" -> sub.string(query ? 6 : 5, v.asString());
                    case "format" -> sub.string(query ? 7 : 6, v.asString());
                    case "uniqueItems" -> sub.bool(query ? 20 : 19, v.asBoolean());
                    default -> unknown("NonBodyParameter", e.getKey());
                }
            }
            parameter.message(2, new Msg().message(query ? 3 : 4, sub));
        }
        return new Msg().message(1, parameter);
    }

    private static Msg responses(JsonNode responses) {
        Msg m = new Msg();
        for (Map.Entry<String, JsonNode> r : responses.properties()) {
            Msg response = new Msg();
            for (Map.Entry<String, JsonNode> e : r.getValue().properties()) {
                switch (e.getKey()) {
                    case "description" -> response.string(1, e.getValue().asString());
                    case "schema" -> response.message(2, new Msg().message(1, schema(e.getValue()))); // SchemaItem{schema = 1}
                    default -> unknown("Response", e.getKey());
                }
            }
            // NamedResponseValue{name = 1, value = ResponseValue{response = 1}}
            m.message(1, named(r.getKey(), new Msg().message(1, response)));
        }
        return m;
    }

    private static Msg schema(JsonNode s) {
        Msg m = new Msg();
        for (Map.Entry<String, JsonNode> e : s.properties()) {
            JsonNode v = e.getValue();
            String k = e.getKey();
            switch (k) {
                case "$ref" -> m.string(1, v.asString());
                case "format" -> m.string(2, v.asString());
                case "title" -> m.string(3, v.asString());
                case "description" -> m.string(4, v.asString());
                case "uniqueItems" -> m.bool(16, v.asBoolean());
                case "required" -> strings(m, 19, v);
                case "additionalProperties" -> {
                    Msg item = new Msg(); // AdditionalPropertiesItem{schema = 1 | boolean = 2}
                    if (v.isBoolean()) item.bool(2, v.asBoolean()); else item.message(1, schema(v));
                    m.message(21, item);
                }
                case "type" -> {
                    Msg type = new Msg(); // TypeItem{repeated value = 1}
                    if (v.isArray()) strings(type, 1, v); else type.string(1, v.asString());
                    m.message(22, type);
                }
                case "items" -> m.message(23, new Msg().message(1, schema(v))); // ItemsItem{repeated schema = 1}
                case "allOf" -> {
                    for (JsonNode a : v) m.message(24, schema(a));
                }
                case "properties" -> {
                    Msg props = new Msg(); // Properties{repeated NamedSchema additional_properties = 1}
                    for (Map.Entry<String, JsonNode> p : v.properties()) props.message(1, named(p.getKey(), schema(p.getValue())));
                    m.message(25, props);
                }
                case "readOnly" -> m.bool(27, v.asBoolean());
                default -> {
                    if (!k.startsWith("x-")) unknown("Schema", k);
                    m.message(31, extension(k, v));
                }
            }
        }
        return m;
    }

    /** NamedAny{name = 1, value = Any{yaml = 2}}. */
    private static Msg extension(String name, JsonNode value) {
        return new Msg().string(1, name).message(2, new Msg().string(2, Json.string(value)));
    }

    /** The Named* messages of gnostic all have name = 1 and value = 2. */
    private static Msg named(String name, Msg value) {
        return new Msg().string(1, name).message(2, value);
    }

    private static void strings(Msg m, int field, JsonNode array) {
        for (JsonNode s : array) m.string(field, s.asString());
    }

    private static void unknown(String message, String key) {
        throw new IllegalArgumentException("cannot encode '" + key + "' of a Swagger " + message + " as gnostic protobuf");
    }

    /** A protobuf message being written: the three wire types these messages need (varint, length-delimited). */
    static final class Msg {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Msg string(int field, String value) {
            return bytes(field, value.getBytes(StandardCharsets.UTF_8));
        }

        Msg bool(int field, boolean value) {
            if (!value) return this; // proto3 leaves defaults out
            varint((long) field << 3);
            varint(1);
            return this;
        }

        Msg message(int field, Msg value) {
            return bytes(field, value.bytes());
        }

        private Msg bytes(int field, byte[] value) {
            varint((long) field << 3 | 2);
            varint(value.length);
            out.writeBytes(value);
            return this;
        }

        private void varint(long v) {
            while ((v & ~0x7FL) != 0) {
                out.write((int) ((v & 0x7F) | 0x80));
                v >>>= 7;
            }
            out.write((int) v);
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }
}
