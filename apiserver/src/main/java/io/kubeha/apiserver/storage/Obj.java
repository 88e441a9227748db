package io.kubeha.apiserver.storage;

import io.kubeha.apiserver.api.ApiException;
import io.kubeha.apiserver.api.Json;
import io.kubeha.store.KeyValue;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

import java.util.LinkedHashMap;
import java.util.Map;

/** Small helpers on objects as JSON trees: metadata access, and the codec between trees and stored bytes. */
public final class Obj {
    private Obj() {}

    public static ObjectNode metadata(ObjectNode obj) {
        JsonNode m = obj.get("metadata");
        if (m instanceof ObjectNode o) return o;
        ObjectNode created = obj.putObject("metadata");
        return created;
    }

    public static String name(JsonNode obj) {
        return text(obj.path("metadata").get("name"));
    }

    public static String namespace(JsonNode obj) {
        return text(obj.path("metadata").get("namespace"));
    }

    public static String uid(JsonNode obj) {
        return text(obj.path("metadata").get("uid"));
    }

    public static String resourceVersion(JsonNode obj) {
        return text(obj.path("metadata").get("resourceVersion"));
    }

    public static String text(JsonNode n) {
        return n == null || n.isNull() || n.isMissingNode() ? null : n.asString();
    }

    public static Map<String, String> labels(JsonNode obj) {
        JsonNode l = obj.path("metadata").get("labels");
        if (l == null || !l.isObject()) return Map.of();
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : l.properties()) out.put(e.getKey(), e.getValue().asString());
        return out;
    }

    /** Stored form: the object without its resourceVersion (the store's modRevision is the version). */
    static byte[] encode(ObjectNode obj) {
        ObjectNode copy = obj.deepCopy();
        JsonNode m = copy.get("metadata");
        if (m instanceof ObjectNode meta) meta.remove("resourceVersion");
        return Json.bytes(copy);
    }

    /** A stored object with its resourceVersion set from the store's modRevision. */
    static ObjectNode decode(KeyValue kv) {
        return decode(kv.value(), kv.modRevision());
    }

    static ObjectNode decode(byte[] bytes, long revision) {
        try {
            ObjectNode obj = (ObjectNode) Json.MAPPER.readTree(bytes);
            metadata(obj).put("resourceVersion", Long.toString(revision));
            return obj;
        } catch (JacksonException | ClassCastException e) {
            throw ApiException.internal("stored object is not valid JSON: " + e.getMessage());
        }
    }

    /** Parses a resourceVersion parameter or field: "" and null are 0; anything not a number is a 400. */
    public static long parseResourceVersion(String rv) {
        if (rv == null || rv.isEmpty()) return 0;
        try {
            long v = Long.parseLong(rv);
            if (v < 0) throw new NumberFormatException();
            return v;
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("invalid resource version \"" + rv + "\"");
        }
    }
}
