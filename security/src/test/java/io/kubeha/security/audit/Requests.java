package io.kubeha.security.audit;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/** AuditRecords for tests: a builder with a create of a pod by alice as the default. */
final class Requests {
    String auditId = "4b3c7d4e-0000-4000-8000-000000000001";
    String verb = "create";
    String uri = "/api/v1/namespaces/default/pods";
    String user = "alice";
    String uid = "u-1";
    List<String> groups = List.of("dev", "system:authenticated");
    Map<String, List<String>> extra = Map.of();
    String impersonated;
    List<String> impersonatedGroups = List.of();
    String group = "";
    String version = "v1";
    String resource = "pods";
    String sub;
    String namespace = "default";
    String name = "web";
    boolean resourceRequest = true;
    int code = 201;
    String statusReason;
    String statusMessage;
    JsonNode requestObject;
    JsonNode responseObject;
    Instant received = Instant.parse("2025-03-01T10:15:30.123456789Z");
    Instant completed = Instant.parse("2025-03-01T10:15:30.200001Z");

    static Requests create() {
        return new Requests();
    }

    Requests user(String u, String... g) {
        user = u;
        groups = List.of(g);
        return this;
    }

    Requests verb(String v) {
        verb = v;
        return this;
    }

    Requests resource(String g, String r, String ns, String n) {
        group = g;
        resource = r;
        namespace = ns;
        name = n;
        return this;
    }

    Requests sub(String s) {
        sub = s;
        return this;
    }

    Requests nonResource(String path) {
        resourceRequest = false;
        uri = path;
        verb = "get";
        group = null;
        version = null;
        resource = null;
        namespace = null;
        name = null;
        code = 200;
        return this;
    }

    Requests objects(JsonNode request, JsonNode response) {
        requestObject = request;
        responseObject = response;
        return this;
    }

    AuditRecord build() {
        return new AuditRecord(auditId, verb, uri, user, uid, groups, extra, impersonated, impersonatedGroups,
                List.of("10.0.0.7"), "kubectl/v1.33.0 (linux/amd64)", group, version, resource, sub, namespace, name,
                resourceRequest, code, statusReason, statusMessage, requestObject, responseObject, received, completed,
                "allow", "RBAC: allowed by ClusterRoleBinding \"dev\" of ClusterRole \"edit\" to Group \"dev\"");
    }
}
