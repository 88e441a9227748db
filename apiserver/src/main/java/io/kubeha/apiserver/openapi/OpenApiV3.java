package io.kubeha.apiserver.openapi;

import io.kubeha.apiserver.api.Json;
import io.kubeha.apiserver.openapi.Operations.Op;
import io.kubeha.apiserver.openapi.Operations.Param;
import io.kubeha.apiserver.openapi.Operations.PathItem;
import io.kubeha.apiserver.openapi.Operations.Response;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Renders one group-version's operations as an OpenAPI 3.0 document, kube-apiserver's
 * {@code /openapi/v3/apis/GROUP/VERSION}, with only the schemas its paths reach under {@code components.schemas}.
 */
final class OpenApiV3 {
    static final String PREFIX = "#/components/schemas/";

    private OpenApiV3() {}

    static ObjectNode document(Collection<PathItem> items, Definitions defs) {
        ObjectNode doc = Json.object().put("openapi", "3.0.0");
        doc.putObject("info").put("title", "Kubernetes").put("version", "unversioned");
        ObjectNode paths = doc.putObject("paths");
        SortedMap<String, PathItem> sorted = new TreeMap<>();
        for (PathItem p : items) sorted.put(p.path(), p);
        for (PathItem p : sorted.values()) paths.set(p.path(), pathItem(p));

        // the closure is computed on the v2-form paths, before their references are rewritten
        SortedMap<String, ObjectNode> used = defs.closure(paths);
        ObjectNode schemas = doc.putObject("components").putObject("schemas");
        for (Map.Entry<String, ObjectNode> d : used.entrySet()) schemas.set(d.getKey(), schema(d.getKey(), d.getValue()));
        rewrite(paths);
        return doc;
    }

    /**
     * A definition in 3.0 form. Quantity and IntOrString are what Kubernetes publishes for them in v3: a oneOf
     * of the JSON types they accept, which Swagger 2.0 cannot say.
     */
    private static ObjectNode schema(String name, ObjectNode v2) {
        if (name.equals(Definitions.QUANTITY)) return oneOf(v2, null, "string", "number");
        if (name.equals(Definitions.INT_OR_STRING)) return oneOf(v2, "int-or-string", "integer", "string");
        ObjectNode copy = v2.deepCopy();
        rewrite(copy);
        return copy;
    }

    private static ObjectNode oneOf(ObjectNode v2, String format, String... types) {
        ObjectNode s = Json.object();
        if (v2.has("description")) s.set("description", v2.get("description"));
        if (format != null) s.put("format", format);
        ArrayNode one = s.putArray("oneOf");
        for (String t : types) one.addObject().put("type", t);
        return s;
    }

    /**
     * Points references at components/schemas and wraps a reference that has siblings (a description, patch
     * tags) in allOf: in OpenAPI 3.0 the siblings of a $ref are ignored, which is why Kubernetes does the same.
     */
    private static void rewrite(JsonNode node) {
        if (node instanceof ObjectNode o) {
            for (Map.Entry<String, JsonNode> e : o.properties()) {
                JsonNode v = e.getValue();
                if (v instanceof ObjectNode child && child.get("$ref") != null && child.size() > 1) {
                    ObjectNode wrapped = Json.object();
                    wrapped.putArray("allOf").addObject().put("$ref", v3Ref(child.get("$ref").asString()));
                    for (Map.Entry<String, JsonNode> s : child.properties()) {
                        if (!s.getKey().equals("$ref")) wrapped.set(s.getKey(), s.getValue());
                    }
                    o.set(e.getKey(), wrapped);
                } else if (e.getKey().equals("$ref") && v.isString()) {
                    o.put("$ref", v3Ref(v.asString()));
                } else {
                    rewrite(v);
                }
            }
        } else if (node instanceof ArrayNode a) {
            for (JsonNode e : a) rewrite(e);
        }
    }

    private static String v3Ref(String v2) {
        return v2.startsWith(Definitions.PREFIX) ? PREFIX + v2.substring(Definitions.PREFIX.length()) : v2;
    }

    private static ObjectNode pathItem(PathItem p) {
        ObjectNode item = Json.object();
        for (String method : Operations.METHOD_ORDER) {
            for (Op op : p.ops()) if (op.method().equals(method)) item.set(method, operation(op));
        }
        item.set("parameters", params(p.params()));
        return item;
    }

    private static ObjectNode operation(Op op) {
        ObjectNode o = Json.object();
        o.putArray("tags").add(op.tag());
        o.put("description", op.description());
        o.put("operationId", op.id());
        ArrayNode params = params(op.params());
        if (!params.isEmpty()) o.set("parameters", params);
        if (op.body() != null) {
            ObjectNode body = o.putObject("requestBody");
            ObjectNode content = body.putObject("content");
            for (String type : op.consumes()) content.putObject(type).set("schema", op.body().deepCopy());
            if (op.bodyRequired()) body.put("required", true);
        }
        ObjectNode responses = o.putObject("responses");
        for (Response r : op.responses()) {
            ObjectNode resp = responses.putObject(r.code()).put("description", r.description());
            if (r.schema() != null) {
                ObjectNode content = resp.putObject("content");
                for (String type : op.produces()) content.putObject(type).set("schema", r.schema().deepCopy());
            }
        }
        o.put("x-kubernetes-action", op.action());
        o.set(KubeFacts.GVK, op.gvk().json());
        return o;
    }

    private static ArrayNode params(List<Param> params) {
        ArrayNode out = Json.MAPPER.createArrayNode();
        for (Param p : params) {
            ObjectNode n = out.addObject();
            n.put("name", p.name()).put("in", p.in()).put("description", p.description());
            if (p.required()) n.put("required", true);
            ObjectNode schema = n.putObject("schema").put("type", p.type());
            if (!p.in().equals("path")) schema.put("uniqueItems", true);
        }
        return out;
    }
}
