package io.kubeha.apiserver.http;

import io.kubeha.apiserver.api.ApiException;
import io.kubeha.apiserver.api.Json;
import io.kubeha.security.auth.Attributes;
import io.kubeha.security.auth.AuthorizationResult;
import io.kubeha.security.auth.Decision;
import io.kubeha.security.auth.UserInfo;
import io.kubeha.security.rbac.PolicyRule;
import io.kubeha.security.rbac.RulesResult;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The create-only review APIs, answered from the request and never stored, as kube-apiserver does:
 * authorization.k8s.io SelfSubjectAccessReview, SubjectAccessReview, LocalSubjectAccessReview and
 * SelfSubjectRulesReview ({@code kubectl auth can-i [--list]}), authentication.k8s.io TokenReview and
 * SelfSubjectReview ({@code kubectl auth whoami}).
 */
final class Reviews {
    private final Gate gate;
    private final io.kubeha.security.rbac.RbacAuthorizer rbac;

    Reviews(Gate gate, io.kubeha.security.rbac.RbacAuthorizer rbac) {
        this.gate = gate;
        this.rbac = rbac;
    }

    /** True when the path is one of the reviews (and it was answered). */
    boolean handle(Request req, List<String> parts) throws IOException {
        if (parts.size() < 4 || !parts.get(0).equals("apis")) return false;
        String group = parts.get(1);
        String version = parts.get(2);
        List<String> rest = parts.subList(3, parts.size());
        String resource;
        String namespace = null;
        if (rest.size() == 1) {
            resource = rest.get(0);
        } else if (rest.size() == 3 && rest.get(0).equals("namespaces")) {
            namespace = rest.get(1);
            resource = rest.get(2);
        } else {
            return false;
        }
        String kind = switch (group + "/" + resource) {
            case "authorization.k8s.io/selfsubjectaccessreviews" -> "SelfSubjectAccessReview";
            case "authorization.k8s.io/subjectaccessreviews" -> "SubjectAccessReview";
            case "authorization.k8s.io/localsubjectaccessreviews" -> "LocalSubjectAccessReview";
            case "authorization.k8s.io/selfsubjectrulesreviews" -> "SelfSubjectRulesReview";
            case "authentication.k8s.io/tokenreviews" -> "TokenReview";
            case "authentication.k8s.io/selfsubjectreviews" -> "SelfSubjectReview";
            default -> null;
        };
        if (kind == null) return false;
        boolean versionServed = version.equals("v1") || (kind.equals("SelfSubjectReview") && (version.equals("v1beta1") || version.equals("v1alpha1")));
        if (!versionServed) return false;
        if ((namespace != null) != kind.equals("LocalSubjectAccessReview")) {
            throw new ApiException(404, "NotFound", "the server could not find the requested resource", null);
        }
        if (!req.method().equals("POST")) throw ApiException.methodNotSupported(group, resource, req.method().toLowerCase());
        req.describe("POST", resource + "." + group);
        ObjectNode in = body(req, kind);
        ObjectNode out = in.deepCopy();
        out.put("apiVersion", group + "/" + version);
        out.put("kind", kind);
        if (!out.has("metadata")) out.putObject("metadata");
        UserInfo me = req.user() != null ? req.user() : UserInfo.of("system:admin", "system:masters", "system:authenticated");
        switch (kind) {
            case "SelfSubjectAccessReview" -> out.set("status", access(me, in.path("spec"), null));
            case "SubjectAccessReview", "LocalSubjectAccessReview" -> {
                JsonNode spec = in.path("spec");
                if (namespace != null) {
                    String specNs = spec.path("resourceAttributes").path("namespace").asString("");
                    if (!specNs.isEmpty() && !specNs.equals(namespace)) {
                        throw invalid(kind, "spec.resourceAttributes.namespace", "must match metadata.namespace");
                    }
                }
                String user = spec.path("user").asString("");
                List<String> groups = strings(spec.path("groups"));
                if (user.isEmpty() && groups.isEmpty()) throw invalid(kind, "spec.user", "at least one of user or group must be specified");
                Map<String, List<String>> extra = new LinkedHashMap<>();
                spec.path("extra").properties().forEach(e -> extra.put(e.getKey(), strings(e.getValue())));
                out.set("status", access(new UserInfo(user, spec.path("uid").asString(""), groups, extra), spec, namespace));
            }
            case "SelfSubjectRulesReview" -> {
                String ns = in.path("spec").path("namespace").asString("");
                if (ns.isEmpty()) throw invalid(kind, "spec.namespace", "no namespace on request");
                out.set("status", rules(me, ns));
            }
            case "TokenReview" -> out.set("status", tokenReview(in.path("spec")));
            case "SelfSubjectReview" -> {
                ObjectNode status = out.putObject("status");
                status.set("userInfo", userInfo(me));
            }
            default -> throw new IllegalStateException(kind);
        }
        Response.object(req, 201, out);
        return true;
    }

    private ObjectNode access(UserInfo user, JsonNode spec, String forcedNamespace) {
        JsonNode ra = spec.path("resourceAttributes");
        JsonNode nra = spec.path("nonResourceAttributes");
        if (ra.isMissingNode() == nra.isMissingNode()) {
            throw invalid("SubjectAccessReview", "spec", "exactly one of nonResourceAttributes or resourceAttributes must be specified");
        }
        Attributes a;
        if (!ra.isMissingNode()) {
            String ns = forcedNamespace != null ? forcedNamespace : ra.path("namespace").asString("");
            String name = ra.path("name").asString("");
            String sub = ra.path("subresource").asString("");
            a = Attributes.resource(user, ra.path("verb").asString(""), ra.path("group").asString(""), ra.path("version").asString(""),
                    ra.path("resource").asString(""), sub.isEmpty() ? null : sub, ns.isEmpty() ? null : ns, name.isEmpty() ? null : name);
        } else {
            a = Attributes.nonResource(user, nra.path("verb").asString(""), nra.path("path").asString(""));
        }
        AuthorizationResult r = gate.authorizer().authorize(a);
        ObjectNode status = Json.object();
        status.put("allowed", r.decision() == Decision.ALLOW);
        if (r.decision() == Decision.DENY) status.put("denied", true);
        if (r.reason() != null && !r.reason().isEmpty()) status.put("reason", r.reason());
        return status;
    }

    private ObjectNode rules(UserInfo user, String namespace) {
        ObjectNode status = Json.object();
        ArrayNode resourceRules = status.putArray("resourceRules");
        ArrayNode nonResourceRules = status.putArray("nonResourceRules");
        if (user.groups().contains("system:masters")) {
            ObjectNode all = resourceRules.addObject();
            all.putArray("verbs").add("*");
            all.putArray("apiGroups").add("*");
            all.putArray("resources").add("*");
            ObjectNode allPaths = nonResourceRules.addObject();
            allPaths.putArray("verbs").add("*");
            allPaths.putArray("nonResourceURLs").add("*");
        }
        RulesResult rr = rbac.rulesFor(user, namespace);
        for (PolicyRule p : rr.rules()) {
            JsonNode j = p.toJson();
            ObjectNode o = Json.object();
            o.set("verbs", j.path("verbs"));
            if (!p.nonResourceURLs().isEmpty()) {
                o.set("nonResourceURLs", j.path("nonResourceURLs"));
                nonResourceRules.add(o);
            } else {
                o.set("apiGroups", j.path("apiGroups"));
                o.set("resources", j.path("resources"));
                if (!p.resourceNames().isEmpty()) o.set("resourceNames", j.path("resourceNames"));
                resourceRules.add(o);
            }
        }
        status.put("incomplete", rr.incomplete());
        if (rr.incomplete()) status.put("evaluationError", String.join(", ", rr.errors()));
        return status;
    }

    private ObjectNode tokenReview(JsonNode spec) {
        String token = spec.path("token").asString("");
        ObjectNode status = Json.object();
        List<String> wanted = strings(spec.path("audiences"));
        var user = token.isEmpty() ? java.util.Optional.<UserInfo>empty() : gate.authentication().token(token, wanted);
        status.put("authenticated", user.isPresent());
        if (user.isPresent()) {
            status.set("user", userInfo(io.kubeha.apiserver.auth.Authentication.withAuthenticated(user.get())));
            ArrayNode aud = status.putArray("audiences");
            (wanted.isEmpty() ? gate.authentication().audiences() : wanted).forEach(aud::add);
        } else {
            status.put("error", "[invalid bearer token, token lookup failed]");
        }
        return status;
    }

    static ObjectNode userInfo(UserInfo u) {
        ObjectNode o = Json.object();
        o.put("username", u.name());
        if (u.uid() != null && !u.uid().isEmpty()) o.put("uid", u.uid());
        ArrayNode g = o.putArray("groups");
        u.groups().forEach(g::add);
        if (u.extra() != null && !u.extra().isEmpty()) {
            ObjectNode extra = o.putObject("extra");
            u.extra().forEach((k, v) -> {
                ArrayNode vs = extra.putArray(k);
                v.forEach(vs::add);
            });
        }
        return o;
    }

    private static ObjectNode body(Request req, String kind) {
        if (req.body().length == 0) throw ApiException.badRequest("the request body is empty; send a " + kind + " object");
        ObjectNode o = object(req, kind);
        String k = o.path("kind").asString("");
        if (!k.isEmpty() && !k.equals(kind)) throw ApiException.badRequest("the body is a " + k + ", not a " + kind);
        return o;
    }

    /** A non-empty JSON, YAML or protobuf body as an object, or 400. */
    static ObjectNode object(Request req, String kind) {
        byte[] b = req.body();
        if (io.kubeha.apiserver.protobuf.Protobuf.MEDIA_TYPE.equals(req.contentType())) {
            ObjectNode o = io.kubeha.apiserver.protobuf.Protobuf.decodeAny(b);
            String k = o.path("kind").asString("");
            if (!k.equals(kind)) {
                throw ApiException.badRequest("the object provided is unrecognized (must be of type " + kind + "): the envelope holds a " + k);
            }
            return o;
        }
        try {
            JsonNode t = "application/yaml".equals(req.contentType()) ? Json.YAML.readTree(b) : Json.MAPPER.readTree(b);
            if (!(t instanceof ObjectNode o)) throw ApiException.badRequest("the request body is not a " + kind + " object");
            return o;
        } catch (JacksonException e) {
            throw ApiException.badRequest("the request body is not valid JSON: " + e.getOriginalMessage());
        }
    }

    private static List<String> strings(JsonNode arr) {
        List<String> out = new ArrayList<>();
        for (JsonNode n : arr) out.add(n.asString(""));
        return out;
    }

    private static ApiException invalid(String kind, String field, String message) {
        return ApiException.invalid("authorization.k8s.io", kind, "", List.of(io.kubeha.apiserver.api.FieldError.invalid(field, "", message)));
    }
}
