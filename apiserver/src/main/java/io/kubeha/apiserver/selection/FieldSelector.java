package io.kubeha.apiserver.selection;

import io.kubeha.apiserver.api.ApiException;
import tools.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A parsed {@code fieldSelector}: comma-separated {@code field=value}, {@code field==value} or
 * {@code field!=value}, on the fields each resource supports (as kube-apiserver: metadata.name and
 * metadata.namespace everywhere, plus per-resource fields such as a pod's spec.nodeName and status.phase).
 */
public record FieldSelector(List<Term> terms) {
    public static final FieldSelector EVERYTHING = new FieldSelector(List.of());

    public record Term(String field, boolean equals, String value) {}

    /** The fields kube-apiserver lets each resource be selected by, beyond metadata.name and metadata.namespace. */
    private static final Map<String, Set<String>> FIELDS = Map.of(
            "pods", Set.of("spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
                    "spec.hostNetwork", "status.phase", "status.podIP", "status.podIPs", "status.nominatedNodeName"),
            "events", Set.of("involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
                    "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason",
                    "reportingComponent", "source", "type"),
            "events.events.k8s.io", Set.of("regarding.kind", "regarding.namespace", "regarding.name", "regarding.uid",
                    "regarding.apiVersion", "regarding.resourceVersion", "regarding.fieldPath", "reason", "reportingController", "type"),
            "nodes", Set.of("spec.unschedulable"),
            "secrets", Set.of("type"),
            "namespaces", Set.of("status.phase"),
            "replicasets.apps", Set.of("status.replicas"),
            "certificatesigningrequests.certificates.k8s.io", Set.of("spec.signerName"));

    public boolean isEmpty() {
        return terms.isEmpty();
    }

    /** Parses a selector for {@code qualifiedResource} ({@code pods}, {@code replicasets.apps}); 400 on a field it does not support. */
    public static FieldSelector parse(String text, String qualifiedResource) {
        if (text == null || text.isBlank()) return EVERYTHING;
        Set<String> allowed = FIELDS.getOrDefault(qualifiedResource, Set.of());
        List<Term> terms = new ArrayList<>();
        for (String part : text.split(",")) {
            String s = part.strip();
            if (s.isEmpty()) continue;
            Term t;
            int i;
            if ((i = s.indexOf("!=")) > 0) t = new Term(s.substring(0, i).strip(), false, s.substring(i + 2).strip());
            else if ((i = s.indexOf("==")) > 0) t = new Term(s.substring(0, i).strip(), true, s.substring(i + 2).strip());
            else if ((i = s.indexOf('=')) > 0) t = new Term(s.substring(0, i).strip(), true, s.substring(i + 1).strip());
            else throw ApiException.badRequest("invalid selector: '" + text + "'; can't understand '" + s + "'");
            if (!t.field().equals("metadata.name") && !t.field().equals("metadata.namespace") && !allowed.contains(t.field())) {
                throw ApiException.badRequest("field label not supported: " + t.field());
            }
            terms.add(t);
        }
        return new FieldSelector(List.copyOf(terms));
    }

    public boolean matches(JsonNode object) {
        for (Term t : terms) {
            String v = value(object, t.field());
            if (t.equals() != v.equals(t.value())) return false;
        }
        return true;
    }

    /** The field's value as a selector compares it: missing is "", booleans "true"/"false". */
    static String value(JsonNode object, String field) {
        if (field.equals("status.podIPs")) field = "status.podIP";
        JsonNode n = object;
        for (String part : field.split("\\.")) {
            if (n == null) break;
            n = n.get(part);
        }
        if (field.equals("spec.unschedulable") || field.equals("spec.hostNetwork")) {
            return n != null && n.asBoolean() ? "true" : "false";
        }
        if (field.equals("source") && n != null && n.isObject()) {
            JsonNode c = n.get("component");
            return c == null ? "" : c.asString();
        }
        return n == null || n.isNull() ? "" : n.asString();
    }
}
