package io.kubeha.apiserver.http;

import io.kubeha.apiserver.api.ApiException;
import io.kubeha.apiserver.auth.Authentication;
import io.kubeha.security.auth.Attributes;
import io.kubeha.security.auth.AuthorizationResult;
import io.kubeha.security.auth.Authorizer;
import io.kubeha.security.auth.Decision;
import io.kubeha.security.auth.ForbiddenMessages;
import io.kubeha.security.auth.UserInfo;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What stands in front of every handler, in kube-apiserver's order: authenticate, impersonate (if asked and
 * allowed), authorize. A request that fails leaves with 401 or 403 and kube's words, before any handler has read
 * its body or written anything.
 */
public final class Gate {
    private final Authentication authentication;
    private final Authorizer authorizer;
    private final io.kubeha.security.rbac.RbacAuthorizer rbac;

    private final io.kubeha.security.tokens.ServiceAccountTokens tokens;

    Gate(Authentication authentication, io.kubeha.apiserver.auth.Authorization authorizer, io.kubeha.security.tokens.ServiceAccountTokens tokens) {
        this.tokens = tokens;
        this.authentication = authentication;
        this.authorizer = authorizer;
        this.rbac = authorizer.rbac();
    }

    io.kubeha.security.tokens.ServiceAccountTokens tokens() {
        return tokens;
    }

    io.kubeha.security.rbac.RbacAuthorizer rbac() {
        return rbac;
    }

    Authentication authentication() {
        return authentication;
    }

    Authorizer authorizer() {
        return authorizer;
    }

    /** The user the request acts as, once allowed; throws 401/403 otherwise. */
    UserInfo admit(Request req) {
        UserInfo user = authentication.authenticate(req.peerCertificates(), req.header("Authorization"));
        req.authenticatedAs(user);
        UserInfo acting = impersonate(req, user);
        req.actAs(acting);
        Attributes a = attributes(req, acting);
        req.authorizedAs(a);
        check(a);
        return acting;
    }

    boolean allowed(Attributes a) {
        return authorizer.authorize(a).decision() == Decision.ALLOW;
    }

    static ApiException forbidden(Attributes a, String reason) {
        String message = ForbiddenMessages.of(a, reason);
        io.fabric8.kubernetes.api.model.StatusDetails details = null;
        if (a.resourceRequest()) {
            details = new io.fabric8.kubernetes.api.model.StatusDetails();
            details.setGroup(a.apiGroup());
            details.setKind(a.resource());
            if (a.name() != null) details.setName(a.name());
        }
        return new ApiException(403, "Forbidden", message, details);
    }

    /**
     * kube's impersonation filter: Impersonate-User (a user or system:serviceaccount:NS:NAME), Impersonate-Group
     * (repeatable), Impersonate-Uid and Impersonate-Extra-KEY, each allowed by the verb "impersonate" on users,
     * serviceaccounts, groups, uids and userextras/KEY.
     */
    private UserInfo impersonate(Request req, UserInfo user) {
        String asUser = req.header("Impersonate-User");
        List<String> asGroups = req.headers("Impersonate-Group");
        String asUid = req.header("Impersonate-Uid");
        Map<String, List<String>> extra = new LinkedHashMap<>();
        for (Map.Entry<String, String> h : req.headersStartingWith("Impersonate-Extra-")) {
            String key = java.net.URLDecoder.decode(h.getKey().substring("Impersonate-Extra-".length()), java.nio.charset.StandardCharsets.UTF_8)
                    .toLowerCase();
            extra.computeIfAbsent(key, k -> new ArrayList<>()).add(h.getValue());
        }
        if (asUser == null || asUser.isEmpty()) {
            if (!asGroups.isEmpty() || asUid != null || !extra.isEmpty()) {
                throw ApiException.badRequest("requested impersonation of groups, uid or extra without impersonating a user");
            }
            return user;
        }
        String saPrefix = "system:serviceaccount:";
        List<String> groups = new ArrayList<>();
        if (asUser.startsWith(saPrefix) && asUser.split(":").length == 4) {
            String[] p = asUser.split(":");
            check(Attributes.resource(user, "impersonate", "", "v1", "serviceaccounts", null, p[2], p[3]));
            groups.add("system:serviceaccounts");
            groups.add("system:serviceaccounts:" + p[2]);
        } else {
            check(Attributes.resource(user, "impersonate", "", "v1", "users", null, null, asUser));
        }
        for (String g : asGroups) {
            check(Attributes.resource(user, "impersonate", "", "v1", "groups", null, null, g));
            if (!groups.contains(g)) groups.add(g);
        }
        if (asUid != null) check(Attributes.resource(user, "impersonate", "authentication.k8s.io", "v1", "uids", null, null, asUid));
        for (Map.Entry<String, List<String>> e : extra.entrySet()) {
            for (String v : e.getValue()) {
                check(Attributes.resource(user, "impersonate", "authentication.k8s.io", "v1", "userextras", e.getKey(), null, v));
            }
        }
        UserInfo as = new UserInfo(asUser, asUid == null ? "" : asUid, groups, extra);
        return asUser.equals("system:anonymous") ? as : Authentication.withAuthenticated(as);
    }

    private void check(Attributes a) {
        AuthorizationResult r = authorizer.authorize(a);
        if (r.decision() != Decision.ALLOW) throw forbidden(a, r.reason());
    }

    /**
     * The request as RBAC sees it (kube's RequestInfoFactory): a resource request under /api/v1 or /apis/G/V with
     * its verb (get, list, watch, create, update, patch, delete, deletecollection), anything else a non-resource
     * request with the HTTP method as verb.
     */
    static Attributes attributes(Request req, UserInfo user) {
        String path = req.path();
        String method = req.method();
        List<String> parts = Arrays.stream(path.split("/")).filter(s -> !s.isEmpty()).toList();
        String group = null;
        String version = null;
        List<String> rest = null;
        if (parts.size() >= 3 && parts.get(0).equals("api")) {
            group = "";
            version = parts.get(1);
            rest = parts.subList(2, parts.size());
        } else if (parts.size() >= 4 && parts.get(0).equals("apis")) {
            group = parts.get(1);
            version = parts.get(2);
            rest = parts.subList(3, parts.size());
        }
        RequestInfo info = rest == null ? null : RequestInfo.parse(group, version, rest);
        if (info == null) return Attributes.nonResource(user, method.toLowerCase(), path);
        String name = info.name();
        String namespace = info.namespace();
        if (info.resource().equals("namespaces") && name != null) namespace = name; // kube's rule for namespace objects
        String verb = switch (method) {
            case "GET", "HEAD" -> name != null ? "get" : req.flag("watch") ? "watch" : "list";
            case "POST" -> "create";
            case "PUT" -> "update";
            case "PATCH" -> "patch";
            case "DELETE" -> name != null ? "delete" : "deletecollection";
            default -> method.toLowerCase();
        };
        if (name == null && (verb.equals("list") || verb.equals("watch"))) {
            // a list or watch of one object by name (fieldSelector=metadata.name=X) is authorized as that object
            String fs = req.query("fieldSelector");
            if (fs != null && fs.startsWith("metadata.name=") && !fs.contains(",")) name = fs.substring("metadata.name=".length());
        }
        if (info.subresource() != null && name != null && (info.subresource().equals("exec") || info.subresource().equals("attach")
                || info.subresource().equals("portforward")) && verb.equals("get")) {
            verb = "create"; // a websocket upgrade is a GET; kube authorizes it as create (1.30+ also checks get)
        }
        return Attributes.resource(user, verb, info.group(), info.version(), info.resource(), info.subresource(), namespace, name);
    }
}
