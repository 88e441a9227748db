package io.kubeha.security.audit;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.TreeMap;
import java.util.UUID;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** An {@link AuditRecord} as kube's audit.k8s.io/v1 Event JSON, in kube's field order. */
final class AuditEvents {
    static final JsonMapper JSON = JsonMapper.builder().build();
    /** metav1.MicroTime: RFC 3339 with microseconds, in UTC. */
    private static final DateTimeFormatter MICRO_TIME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);

    private AuditEvents() {
    }

    static String microTime(Instant t) {
        return MICRO_TIME.format(t.truncatedTo(ChronoUnit.MICROS));
    }

    static ObjectNode toJson(AuditRecord r, AuditPolicy.Decision d) {
        ObjectNode e = JSON.createObjectNode();
        e.put("kind", "Event");
        e.put("apiVersion", "audit.k8s.io/v1");
        e.put("level", d.level().wireName());
        e.put("auditID", r.auditId() == null || r.auditId().isBlank() ? UUID.randomUUID().toString() : r.auditId());
        e.put("stage", "ResponseComplete");
        e.put("requestURI", r.requestUri() == null ? "" : r.requestUri());
        e.put("verb", r.verb() == null ? "" : r.verb());

        ObjectNode user = e.putObject("user");
        putIfSet(user, "username", r.username());
        putIfSet(user, "uid", r.uid());
        if (!r.groups().isEmpty()) {
            strings(user.putArray("groups"), r.groups());
        }
        if (!r.extra().isEmpty()) {
            ObjectNode extra = user.putObject("extra");
            new TreeMap<>(r.extra()).forEach((k, v) -> strings(extra.putArray(k), v == null ? List.of() : v));
        }
        if (r.impersonatedUser() != null) {
            ObjectNode imp = e.putObject("impersonatedUser");
            imp.put("username", r.impersonatedUser());
            if (!r.impersonatedGroups().isEmpty()) {
                strings(imp.putArray("groups"), r.impersonatedGroups());
            }
        }
        if (!r.sourceIps().isEmpty()) {
            strings(e.putArray("sourceIPs"), r.sourceIps());
        }
        putIfSet(e, "userAgent", r.userAgent());

        if (r.resourceRequest()) {
            ObjectNode ref = e.putObject("objectRef");
            putIfSet(ref, "resource", r.resource());
            putIfSet(ref, "namespace", r.namespace());
            putIfSet(ref, "name", r.name());
            putIfSet(ref, "apiGroup", r.apiGroup());
            putIfSet(ref, "apiVersion", r.apiVersion());
            putIfSet(ref, "subresource", r.subresource());
        }

        ObjectNode status = e.putObject("responseStatus");
        status.putObject("metadata");
        boolean failed = r.code() >= 400;
        if (failed || r.statusReason() != null || r.statusMessage() != null) {
            status.put("status", failed ? "Failure" : "Success");
            putIfSet(status, "message", r.statusMessage());
            putIfSet(status, "reason", r.statusReason());
        }
        status.put("code", r.code());

        if (d.level().compareTo(AuditPolicy.Level.REQUEST) >= 0 && r.requestObject() != null) {
            e.set("requestObject", object(r.requestObject(), d.omitManagedFields()));
        }
        if (d.level() == AuditPolicy.Level.REQUEST_RESPONSE && r.responseObject() != null) {
            e.set("responseObject", object(r.responseObject(), d.omitManagedFields()));
        }

        Instant received = r.received() != null ? r.received() : r.completed() != null ? r.completed() : Instant.now();
        Instant completed = r.completed() != null ? r.completed() : received;
        e.put("requestReceivedTimestamp", microTime(received));
        e.put("stageTimestamp", microTime(completed));

        if (r.decision() != null || r.reason() != null) {
            ObjectNode annotations = e.putObject("annotations");
            putIfSet(annotations, "authorization.k8s.io/decision", r.decision());
            if (r.reason() != null) {
                annotations.put("authorization.k8s.io/reason", r.reason());
            }
        }
        return e;
    }

    /** The object as given, or a copy without metadata.managedFields (of a list's items too). */
    private static JsonNode object(JsonNode o, boolean omitManagedFields) {
        if (!omitManagedFields || !o.isObject()) {
            return o;
        }
        ObjectNode copy = (ObjectNode) o.deepCopy();
        stripManagedFields(copy);
        if (copy.get("items") instanceof ArrayNode items) {
            for (JsonNode item : items) {
                if (item instanceof ObjectNode itemObject) {
                    stripManagedFields(itemObject);
                }
            }
        }
        return copy;
    }

    private static void stripManagedFields(ObjectNode o) {
        if (o.get("metadata") instanceof ObjectNode metadata) {
            metadata.remove("managedFields");
        }
    }

    private static void putIfSet(ObjectNode o, String field, String value) {
        if (value != null && !value.isEmpty()) {
            o.put(field, value);
        }
    }

    private static void strings(ArrayNode a, List<String> values) {
        values.forEach(a::add);
    }
}
