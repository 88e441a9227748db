package io.kubeha.apiserver.auth;

import io.kubeha.security.auth.Attributes;
import io.kubeha.security.auth.AuthorizationResult;
import io.kubeha.security.auth.Authorizer;
import io.kubeha.security.auth.Decision;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

import java.util.Set;

/**
 * The idea of kube's Node authorizer and NodeRestriction admission for node agents (user {@code system:node:NAME}
 * in group {@code system:nodes}): a node writes its own Node, its own Lease and the status of the pods bound to it,
 * and reads only the Secrets, ConfigMaps and ServiceAccounts those pods use. What it refuses here is DENY, so no
 * RBAC binding can widen it; what it has no view on is left to RBAC (the system:node role).
 *
 * <p>kube builds a graph of pods, nodes and what they reference; this reads the pods bound to the node from the
 * API server's pod cache at each decision, which is the same answer at the price of a scan of that node's pods.
 */
final class NodeAuthorizer implements Authorizer {
    static final String NODES_GROUP = "system:nodes";
    private static final String PREFIX = "system:node:";
    private static final Set<String> READ = Set.of("get", "list", "watch");

    private final Lookup lookup;

    NodeAuthorizer(Lookup lookup) {
        this.lookup = lookup;
    }

    /** The node a user is, or null when it is not a node's identity. */
    static String nodeName(io.kubeha.security.auth.UserInfo user) {
        if (!user.name().startsWith(PREFIX) || !user.groups().contains(NODES_GROUP)) return null;
        String n = user.name().substring(PREFIX.length());
        return n.isEmpty() ? null : n;
    }

    @Override
    public AuthorizationResult authorize(Attributes a) {
        String node = nodeName(a.user());
        if (node == null || !a.resourceRequest()) return noOpinion();
        String group = a.apiGroup() == null ? "" : a.apiGroup();
        String sub = a.subresource() == null ? "" : a.subresource();
        if (group.isEmpty()) {
            switch (a.resource()) {
                case "secrets", "configmaps", "persistentvolumeclaims" -> {
                    return referenced(a, node);
                }
                case "serviceaccounts" -> {
                    if (sub.equals("token")) return a.verb().equals("create") ? podServiceAccount(a, node) : deny(a, node);
                    return referenced(a, node);
                }
                case "nodes" -> {
                    if (READ.contains(a.verb()) || a.verb().equals("create")) return noOpinion();
                    return node.equals(a.name()) ? allow() : deny(a, node);
                }
                case "pods" -> {
                    if (sub.isEmpty() && READ.contains(a.verb())) return noOpinion();
                    if ((sub.equals("status") && Set.of("update", "patch").contains(a.verb())) || (sub.isEmpty() && a.verb().equals("delete"))) {
                        return boundHere(a.namespace(), a.name(), node) ? allow() : deny(a, node);
                    }
                    if (sub.equals("eviction") && a.verb().equals("create")) {
                        return boundHere(a.namespace(), a.name(), node) ? allow() : deny(a, node);
                    }
                    if (sub.isEmpty() && a.verb().equals("create")) return deny(a, node); // no mirror pods in kubeha
                    return noOpinion();
                }
                default -> {
                    return noOpinion();
                }
            }
        }
        if (group.equals("coordination.k8s.io") && a.resource().equals("leases")) {
            if (!"kube-node-lease".equals(a.namespace())) return deny(a, node);
            if (a.verb().equals("create")) return noOpinion(); // the name is checked at admission
            if (Set.of("list", "watch").contains(a.verb()) && a.name() == null) return deny(a, node);
            return node.equals(a.name()) ? allow() : deny(a, node);
        }
        return noOpinion();
    }

    /** A Secret, ConfigMap, claim or ServiceAccount a pod bound to this node uses; nothing else, and never a list. */
    private AuthorizationResult referenced(Attributes a, String node) {
        if (!READ.contains(a.verb()) || a.name() == null || a.namespace() == null) return deny(a, node);
        for (ObjectNode pod : lookup.list("", "pods", a.namespace())) {
            if (!node.equals(pod.path("spec").path("nodeName").asString(""))) continue;
            if (uses(pod, a.resource(), a.name())) return allow();
        }
        return deny(a, node);
    }

    /** A token for a ServiceAccount that a pod on this node runs as (the agent refreshes projected tokens). */
    private AuthorizationResult podServiceAccount(Attributes a, String node) {
        if (a.name() == null || a.namespace() == null) return deny(a, node);
        for (ObjectNode pod : lookup.list("", "pods", a.namespace())) {
            if (node.equals(pod.path("spec").path("nodeName").asString(""))
                    && a.name().equals(pod.path("spec").path("serviceAccountName").asString("default"))) {
                return allow();
            }
        }
        return deny(a, node);
    }

    private boolean boundHere(String namespace, String name, String node) {
        if (name == null || namespace == null) return false;
        return lookup.get("", "pods", namespace, name).map(p -> node.equals(p.path("spec").path("nodeName").asString(""))).orElse(false);
    }

    static boolean uses(JsonNode pod, String resource, String name) {
        JsonNode spec = pod.path("spec");
        switch (resource) {
            case "serviceaccounts" -> {
                return name.equals(spec.path("serviceAccountName").asString("default"));
            }
            case "persistentvolumeclaims" -> {
                for (JsonNode v : spec.path("volumes")) {
                    if (name.equals(v.path("persistentVolumeClaim").path("claimName").asString(null))) return true;
                }
                return false;
            }
            default -> { }
        }
        boolean secret = resource.equals("secrets");
        if (secret) {
            for (JsonNode s : spec.path("imagePullSecrets")) if (name.equals(s.path("name").asString(null))) return true;
        }
        for (JsonNode v : spec.path("volumes")) {
            if (secret && name.equals(v.path("secret").path("secretName").asString(null))) return true;
            if (!secret && name.equals(v.path("configMap").path("name").asString(null))) return true;
            for (JsonNode src : v.path("projected").path("sources")) {
                if (secret && name.equals(src.path("secret").path("name").asString(null))) return true;
                if (!secret && name.equals(src.path("configMap").path("name").asString(null))) return true;
            }
        }
        for (String list : new String[] {"containers", "initContainers", "ephemeralContainers"}) {
            for (JsonNode c : spec.path(list)) {
                for (JsonNode from : c.path("envFrom")) {
                    if (name.equals(from.path(secret ? "secretRef" : "configMapRef").path("name").asString(null))) return true;
                }
                for (JsonNode env : c.path("env")) {
                    if (name.equals(env.path("valueFrom").path(secret ? "secretKeyRef" : "configMapKeyRef").path("name").asString(null))) return true;
                }
            }
        }
        return false;
    }

    private static AuthorizationResult allow() {
        return new AuthorizationResult(Decision.ALLOW, "");
    }

    private static AuthorizationResult noOpinion() {
        return new AuthorizationResult(Decision.NO_OPINION, "");
    }

    private static AuthorizationResult deny(Attributes a, String node) {
        return new AuthorizationResult(Decision.DENY, "no relationship found between node '" + node + "' and this object");
    }
}
