package io.kubeha.apiserver.openapi;

import io.kubeha.apiserver.api.Json;
import io.kubeha.apiserver.openapi.Operations.Op;
import io.kubeha.apiserver.openapi.Operations.Param;
import io.kubeha.apiserver.openapi.Operations.PathItem;
import io.kubeha.apiserver.openapi.Operations.Response;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/** Renders the operations and definitions as one Swagger 2.0 document, kube-apiserver's {@code /openapi/v2}. */
final class SwaggerV2 {
    private SwaggerV2() {}

    static ObjectNode document(Collection<PathItem> items, SortedMap<String, ObjectNode> definitions) {
        ObjectNode doc = Json.object().put("swagger", "2.0");
        doc.putObject("info").put("title", "Kubernetes").put("version", "unversioned");
        ObjectNode paths = doc.putObject("paths");
        SortedMap<String, PathItem> sorted = new TreeMap<>();
        for (PathItem p : items) {
            if (sorted.putIfAbsent(p.path(), p) != null) throw new IllegalStateException("two path items for " + p.path());
        }
        for (PathItem p : sorted.values()) paths.set(p.path(), pathItem(p));
        ObjectNode defs = doc.putObject("definitions");
        for (Map.Entry<String, ObjectNode> d : definitions.entrySet()) defs.set(d.getKey(), d.getValue());
        return doc;
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
        o.put("description", op.description());
        strings(o.putArray("consumes"), op.consumes());
        strings(o.putArray("produces"), op.produces());
        o.putArray("schemes").add("https");
        o.putArray("tags").add(op.tag());
        o.put("operationId", op.id());
        ArrayNode params = params(op.params());
        if (op.body() != null) {
            ObjectNode body = Json.object().put("name", "body").put("in", "body");
            if (op.bodyRequired()) body.put("required", true);
            body.set("schema", op.body());
            params.insert(0, body);
        }
        if (!params.isEmpty()) o.set("parameters", params);
        ObjectNode responses = o.putObject("responses");
        for (Response r : op.responses()) {
            ObjectNode resp = responses.putObject(r.code()).put("description", r.description());
            if (r.schema() != null) resp.set("schema", r.schema());
        }
        o.put("x-kubernetes-action", op.action());
        o.set(KubeFacts.GVK, op.gvk().json());
        return o;
    }

    private static ArrayNode params(List<Param> params) {
        ArrayNode out = Json.MAPPER.createArrayNode();
        for (Param p : params) {
            ObjectNode n = out.addObject();
            n.put("name", p.name()).put("in", p.in()).put("type", p.type()).put("description", p.description());
            if (p.required()) n.put("required", true);
            // Kubernetes marks every query parameter so; gnostic and kubectl accept either
            if (!p.in().equals("path")) n.put("uniqueItems", true);
        }
        return out;
    }

    private static void strings(ArrayNode into, List<String> values) {
        for (String v : values) into.add(v);
    }
}
