package io.kubeha.security.audit;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * What the API server knows of one request once it is answered: who (the authenticated user, and whom they
 * impersonated), what (verb, URI, and for a resource request the resource's group, version, name...), the answer (code,
 * and reason and message for a failure, and the objects when the policy asks for them) and the authorizer's decision.
 * Nullable: {@code auditId} (one is drawn), {@code impersonatedUser}, {@code uid}, {@code userAgent}, the resource
 * fields, {@code statusReason}, {@code statusMessage}, the objects, {@code decision}, {@code reason}; null lists and
 * maps read as empty.
 *
 * <p>The objects are serialized later, on the audit log's writer thread: the caller must not change them after
 * {@link AuditLog#record}.
 *
 * @param verb kube's verb: get, list, watch, create, update, patch, delete, deletecollection; for a non-resource
 *     request the lowercase HTTP method
 * @param requestUri the path and query as requested
 * @param namespace "" or null for a cluster-scoped resource
 * @param resourceRequest false for /healthz, /version, /apis discovery and other non-resource URLs
 * @param decision the authorizer's: "allow" or "forbid"
 */
public record AuditRecord(String auditId, String verb, String requestUri, String username, String uid,
        List<String> groups, Map<String, List<String>> extra, String impersonatedUser, List<String> impersonatedGroups,
        List<String> sourceIps, String userAgent, String apiGroup, String apiVersion, String resource,
        String subresource, String namespace, String name, boolean resourceRequest, int code, String statusReason,
        String statusMessage, JsonNode requestObject, JsonNode responseObject, Instant received, Instant completed,
        String decision, String reason) {

    public AuditRecord {
        groups = groups == null ? List.of() : List.copyOf(groups);
        extra = extra == null ? Map.of() : Map.copyOf(extra);
        impersonatedGroups = impersonatedGroups == null ? List.of() : List.copyOf(impersonatedGroups);
        sourceIps = sourceIps == null ? List.of() : List.copyOf(sourceIps);
    }

    /** The URL path without the query, what nonResourceURLs rules match. */
    String path() {
        if (requestUri == null) {
            return "";
        }
        int q = requestUri.indexOf('?');
        return q < 0 ? requestUri : requestUri.substring(0, q);
    }
}
