package io.kubeha.security.rbac;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/** Small, lenient readers of API JSON: a missing, null or mistyped field reads as empty. */
final class Json {

    static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private Json() {
    }

    static String text(JsonNode node, String field) {
        if (node == null) {
            return "";
        }
        JsonNode v = node.get(field);
        if (v == null || v.isNull() || !v.isValueNode()) {
            return "";
        }
        return v.asString();
    }

    static List<String> strings(JsonNode node, String field) {
        if (node == null) {
            return List.of();
        }
        JsonNode v = node.get(field);
        if (v == null || !v.isArray()) {
            return List.of();
        }
        List<String> out = new ArrayList<>(v.size());
        for (JsonNode e : v) {
            if (e != null && e.isValueNode() && !e.isNull()) {
                out.add(e.asString());
            }
        }
        return out;
    }

    static List<JsonNode> array(JsonNode node, String field) {
        if (node == null) {
            return List.of();
        }
        JsonNode v = node.get(field);
        if (v == null || !v.isArray()) {
            return List.of();
        }
        List<JsonNode> out = new ArrayList<>(v.size());
        v.forEach(out::add);
        return out;
    }

    /** {@code metadata.labels} or {@code metadata.annotations} as a map. */
    static Map<String, String> stringMap(JsonNode node) {
        Map<String, String> out = new LinkedHashMap<>();
        if (node != null && node.isObject()) {
            for (Map.Entry<String, JsonNode> e : node.properties()) {
                if (e.getValue() != null && e.getValue().isValueNode() && !e.getValue().isNull()) {
                    out.put(e.getKey(), e.getValue().asString());
                }
            }
        }
        return out;
    }

    static Map<String, String> labels(JsonNode object) {
        return stringMap(object == null ? null : object.path("metadata").get("labels"));
    }

    static Map<String, String> annotations(JsonNode object) {
        return stringMap(object == null ? null : object.path("metadata").get("annotations"));
    }

    static String name(JsonNode object) {
        return text(object == null ? null : object.get("metadata"), "name");
    }

    static String namespace(JsonNode object) {
        return text(object == null ? null : object.get("metadata"), "namespace");
    }

    static ArrayNode stringArray(List<String> values) {
        ArrayNode a = NODES.arrayNode();
        values.forEach(a::add);
        return a;
    }

    static ObjectNode objectOf(Map<String, String> map) {
        ObjectNode o = NODES.objectNode();
        map.forEach(o::put);
        return o;
    }
}
