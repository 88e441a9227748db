package io.kubeha.apiserver.http;

import io.kubeha.apiserver.api.ApiException;
import io.kubeha.apiserver.registry.ResourceType;
import io.kubeha.security.auth.UserInfo;
import io.kubeha.security.rbac.Escalation;
import tools.jackson.databind.node.ObjectNode;

import java.util.Optional;

/**
 * What a user may write beyond RBAC's verbs, checked on the object about to be stored (so PATCH and apply are
 * checked as much as POST and PUT): kube's RBAC escalation prevention (no one grants or binds what they do not
 * hold, unless allowed escalate or bind) and NodeRestriction (a node creates only its own Node and Lease); a new
 * CertificateSigningRequest gets its requestor (spec.username, uid, groups, extra) from the authenticated user.
 */
final class WriteChecks implements Admission.WriteChecks {
    private static final String RBAC = "rbac.authorization.k8s.io";
    private final Gate gate;

    WriteChecks(Gate gate) {
        this.gate = gate;
    }

    @Override
    public void check(ResourceType type, ObjectNode next, ObjectNode old, Request req) {
        UserInfo user = req == null ? null : req.user();
        if (user == null) return;
        if (old == null && type.group().equals("certificates.k8s.io") && type.resource().equals("certificatesigningrequests")) {
            // who asked is who the server authenticated, whatever the body says
            io.kubeha.apiserver.rules.CsrRules.setRequestor(next, user.name(), user.uid(), user.groups(), user.extra());
        }
        if (user.groups().contains("system:masters")) return;
        String name = next.path("metadata").path("name").asString("");
        if (type.group().equals(RBAC)) {
            Optional<String> refusal = switch (type.resource()) {
                case "roles", "clusterroles" -> Escalation.checkRole(gate.authorizer(), gate.rbac(), user, withKind(next, type), old);
                case "rolebindings", "clusterrolebindings" -> Escalation.checkBinding(gate.authorizer(), gate.rbac(), user, withKind(next, type));
                default -> Optional.empty();
            };
            if (refusal.isPresent()) {
                throw new ApiException(403, "Forbidden", refusal.get(), null);
            }
            return;
        }
        String node = io.kubeha.apiserver.auth.Authorization.nodeName(user);
        if (node == null || old != null) return;
        boolean own = name.equals(node);
        if (type.group().isEmpty() && type.resource().equals("nodes") && !own) {
            throw ApiException.forbidden("", "nodes", name, "node \"" + node + "\" is not allowed to modify node \"" + name + "\"");
        }
        if (type.group().equals("coordination.k8s.io") && type.resource().equals("leases") && !own) {
            throw ApiException.forbidden("coordination.k8s.io", "leases", name, "can only access node lease with the same name as the requesting node");
        }
    }

    private static ObjectNode withKind(ObjectNode obj, ResourceType type) {
        if (obj.path("kind").asString("").isEmpty()) obj.put("kind", type.kind());
        return obj;
    }
}
