package io.kubeha.security.rbac;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import io.kubeha.security.auth.Attributes;
import io.kubeha.security.auth.AuthorizationResult;
import io.kubeha.security.auth.Authorizer;
import io.kubeha.security.auth.GoStrings;
import io.kubeha.security.auth.UserInfo;
import tools.jackson.databind.JsonNode;

/**
 * kube's RBAC authorizer (plugin/pkg/auth/authorizer/rbac) and rule resolver (pkg/registry/rbac/validation
 * DefaultRuleResolver) on the API's JSON objects.
 *
 * <p>The rules visited for a request are those of every ClusterRoleBinding naming the user, then — when the request
 * has a namespace — those of every RoleBinding in that namespace naming the user; a RoleBinding's roleRef may name a
 * ClusterRole, whose rules then apply in the binding's namespace only. A subject names the user when it is a User
 * of that name, a Group the user is in, or a ServiceAccount whose {@code system:serviceaccount:NS:NAME} is the user
 * (NS defaults to the RoleBinding's namespace). Like kube, the subject's apiGroup is not looked at here (validation
 * of the binding checks it: rbac.authorization.k8s.io for User and Group, "" for ServiceAccount).
 *
 * <p>RBAC never denies: the answer is ALLOW with the reason {@code RBAC: allowed by ClusterRoleBinding "x" of
 * ClusterRole "y" to Group "z"}, else NO_OPINION, whose reason lists the roles that could not be read
 * ({@code RBAC: clusterrole.rbac.authorization.k8s.io "x" not found}) or is empty.
 */
public final class RbacAuthorizer implements Authorizer {

    static final String GROUP = "rbac.authorization.k8s.io";
    private static final String SA_PREFIX = "system:serviceaccount:";

    private final RbacObjects objects;

    public RbacAuthorizer(RbacObjects objects) {
        this.objects = objects;
    }

    /** Sees each rule that applies, with where it came from, or an error; returns false to stop. */
    @FunctionalInterface
    public interface RuleVisitor {
        /**
         * @param source the binding and subject the rule comes from ({@code null} with an error)
         * @param rule   the rule ({@code null} with an error)
         * @param error  why rules could not be read ({@code null} with a rule)
         */
        boolean visit(Source source, PolicyRule rule, String error);
    }

    /** The binding (and its subject naming the user) a rule came from. */
    public record Source(JsonNode binding, boolean clusterBinding, JsonNode subject) {

        /** kube's describer: {@code ClusterRoleBinding "n" of ClusterRole "r" to Group "g"},
         *  {@code RoleBinding "n/ns" of Role "r" to ServiceAccount "sa/ns"}. */
        public String describe() {
            String name = Json.name(binding);
            String ns = Json.namespace(binding);
            JsonNode roleRef = binding.get("roleRef");
            String head = clusterBinding
                    ? "ClusterRoleBinding " + GoStrings.quote(name)
                    : "RoleBinding " + GoStrings.quote(name + "/" + ns);
            return head + " of " + Json.text(roleRef, "kind") + " " + GoStrings.quote(Json.text(roleRef, "name"))
                    + " to " + describeSubject(subject, clusterBinding ? "" : ns);
        }

        @Override
        public String toString() {
            return describe();
        }
    }

    static String describeSubject(JsonNode s, String bindingNamespace) {
        String kind = Json.text(s, "kind");
        String name = Json.text(s, "name");
        if (kind.equals("ServiceAccount")) {
            String ns = Json.text(s, "namespace");
            return kind + " " + GoStrings.quote(name + "/" + (ns.isEmpty() ? bindingNamespace : ns));
        }
        return kind + " " + GoStrings.quote(name);
    }

    @Override
    public AuthorizationResult authorize(Attributes a) {
        String[] allowedBy = new String[1];
        List<String> errors = new ArrayList<>();
        visitRulesFor(a.user(), a.namespace(), (source, rule, error) -> {
            if (rule != null && rule.allows(a)) {
                allowedBy[0] = source.describe();
                return false;
            }
            if (error != null) {
                errors.add(error);
            }
            return true;
        });
        if (allowedBy[0] != null) {
            return AuthorizationResult.allow("RBAC: allowed by " + allowedBy[0]);
        }
        return AuthorizationResult.noOpinion(errors.isEmpty() ? "" : "RBAC: " + aggregate(errors));
    }

    /**
     * Every rule that applies to {@code user} in {@code namespace} (cluster-wide rules plus, for a non-empty
     * namespace, that namespace's), for SelfSubjectRulesReview and escalation checks, with the errors met.
     */
    public RulesResult rulesFor(UserInfo user, String namespace) {
        List<PolicyRule> rules = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        visitRulesFor(user, namespace, (source, rule, error) -> {
            if (rule != null) {
                rules.add(rule);
            }
            if (error != null) {
                errors.add(error);
            }
            return true;
        });
        return new RulesResult(rules, errors);
    }

    /** kube's VisitRulesFor: ClusterRoleBindings first, then the namespace's RoleBindings. */
    public void visitRulesFor(UserInfo user, String namespace, RuleVisitor visitor) {
        List<JsonNode> clusterBindings;
        try {
            clusterBindings = objects.clusterRoleBindings();
        } catch (RuntimeException e) {
            clusterBindings = null;
            if (!visitor.visit(null, null, String.valueOf(e.getMessage()))) {
                return;
            }
        }
        if (clusterBindings != null && !visitBindings(clusterBindings, true, user, "", visitor)) {
            return;
        }
        if (namespace == null || namespace.isEmpty()) {
            return;
        }
        List<JsonNode> bindings;
        try {
            bindings = objects.roleBindings(namespace);
        } catch (RuntimeException e) {
            visitor.visit(null, null, String.valueOf(e.getMessage()));
            return;
        }
        visitBindings(bindings, false, user, namespace, visitor);
    }

    private boolean visitBindings(List<JsonNode> bindings, boolean cluster, UserInfo user, String namespace,
            RuleVisitor visitor) {
        for (JsonNode binding : bindings) {
            JsonNode subject = subjectFor(user, binding, namespace);
            if (subject == null) {
                continue;
            }
            List<PolicyRule> rules;
            try {
                rules = roleReferenceRules(binding.get("roleRef"), namespace);
            } catch (RoleNotFound e) {
                if (!visitor.visit(null, null, e.getMessage())) {
                    return false;
                }
                continue;
            }
            Source source = new Source(binding, cluster, subject);
            for (PolicyRule rule : rules) {
                if (!visitor.visit(source, rule, null)) {
                    return false;
                }
            }
        }
        return true;
    }

    /** The first subject of {@code binding} that names the user, or {@code null} (kube's appliesTo). */
    static JsonNode subjectFor(UserInfo user, JsonNode binding, String namespace) {
        for (JsonNode s : Json.array(binding, "subjects")) {
            if (appliesTo(user, s, namespace)) {
                return s;
            }
        }
        return null;
    }

    static boolean appliesTo(UserInfo user, JsonNode subject, String namespace) {
        String name = Json.text(subject, "name");
        return switch (Json.text(subject, "kind")) {
            case "User" -> user.name().equals(name);
            case "Group" -> user.inGroup(name);
            case "ServiceAccount" -> {
                String ns = Json.text(subject, "namespace");
                if (ns.isEmpty()) {
                    ns = namespace;
                }
                yield !ns.isEmpty() && user.name().equals(SA_PREFIX + ns + ":" + name);
            }
            default -> false;
        };
    }

    /** The rules of the role a binding refers to (kube's GetRoleReferenceRules). */
    List<PolicyRule> roleReferenceRules(JsonNode roleRef, String bindingNamespace) throws RoleNotFound {
        String kind = Json.text(roleRef, "kind");
        String name = Json.text(roleRef, "name");
        Optional<JsonNode> role;
        switch (kind) {
            case "Role" -> {
                role = bindingNamespace.isEmpty() ? Optional.empty() : read(() -> objects.role(bindingNamespace, name));
                if (role.isEmpty()) {
                    throw new RoleNotFound("role." + GROUP + " " + GoStrings.quote(name) + " not found");
                }
            }
            case "ClusterRole" -> {
                role = read(() -> objects.clusterRole(name));
                if (role.isEmpty()) {
                    throw new RoleNotFound("clusterrole." + GROUP + " " + GoStrings.quote(name) + " not found");
                }
            }
            default -> throw new RoleNotFound("unsupported role reference kind: " + GoStrings.quote(kind));
        }
        return PolicyRule.rulesOf(role.get());
    }

    /** The rules of a roleRef for a binding in {@code bindingNamespace} ("" for a ClusterRoleBinding). */
    public Optional<List<PolicyRule>> roleRules(JsonNode roleRef, String bindingNamespace) {
        try {
            return Optional.of(roleReferenceRules(roleRef, bindingNamespace == null ? "" : bindingNamespace));
        } catch (RoleNotFound e) {
            return Optional.empty();
        }
    }

    private static Optional<JsonNode> read(java.util.function.Supplier<Optional<JsonNode>> s) throws RoleNotFound {
        try {
            Optional<JsonNode> r = s.get();
            return r == null ? Optional.empty() : r;
        } catch (RuntimeException e) {
            throw new RoleNotFound(String.valueOf(e.getMessage()));
        }
    }

    /** k8s.io/apimachinery's utilerrors aggregate message: one error as is, several deduplicated in [a, b]. */
    static String aggregate(List<String> errors) {
        if (errors.size() == 1) {
            return errors.getFirst();
        }
        Set<String> seen = new LinkedHashSet<>(errors);
        if (seen.size() == 1) {
            return seen.iterator().next();
        }
        return "[" + String.join(", ", seen) + "]";
    }

    static final class RoleNotFound extends Exception {
        RoleNotFound(String message) {
            super(message, null, false, false);
        }
    }
}
