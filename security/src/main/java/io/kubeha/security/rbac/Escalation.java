package io.kubeha.security.rbac;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import io.kubeha.security.auth.Attributes;
import io.kubeha.security.auth.Authorizer;
import io.kubeha.security.auth.GoStrings;
import io.kubeha.security.auth.UserInfo;
import tools.jackson.databind.JsonNode;

/**
 * kube's RBAC escalation prevention (pkg/registry/rbac/validation ConfirmNoEscalation and Covers, and the policy-based
 * storage of roles and bindings): a user may create or update a Role or ClusterRole only if every rule in it is
 * covered by the rules the user holds (in the role's namespace, or cluster-wide for a ClusterRole), unless allowed
 * the verb {@code escalate} on it; may create or update a binding only if they hold the referenced role's rules (in
 * the binding's namespace), unless allowed {@code bind} on that role (resourceNames honoured). Members of
 * {@code system:masters} skip both checks, as in kube.
 */
public final class Escalation {

    /** kube's fullAuthority: what setting an aggregationRule on a ClusterRole requires. */
    public static final List<PolicyRule> FULL_AUTHORITY = List.of(
            PolicyRule.resourceRule(List.of("*"), List.of("*"), List.of("*")),
            PolicyRule.nonResourceRule(List.of("*"), List.of("*")));

    private Escalation() {
    }

    /** Whether the owner's rules cover every rule requested (kube's Covers). */
    public static boolean covers(List<PolicyRule> owner, List<PolicyRule> requested) {
        return uncovered(owner, requested).isEmpty();
    }

    /**
     * The parts of {@code requested} that {@code owner} does not cover, broken down to one group, resource, verb (and
     * resourceName) or one URL and verb each, in the requested order (kube's Covers' second result).
     */
    public static List<PolicyRule> uncovered(List<PolicyRule> owner, List<PolicyRule> requested) {
        List<PolicyRule> missing = new ArrayList<>();
        for (PolicyRule r : requested) {
            for (PolicyRule sub : breakdown(r)) {
                if (owner.stream().noneMatch(o -> ruleCovers(o, sub))) {
                    missing.add(sub);
                }
            }
        }
        return missing;
    }

    /** kube's BreakdownRule: a rule as its atomic rules. */
    public static List<PolicyRule> breakdown(PolicyRule rule) {
        List<PolicyRule> out = new ArrayList<>();
        for (String group : rule.apiGroups()) {
            for (String resource : rule.resources()) {
                for (String verb : rule.verbs()) {
                    if (rule.resourceNames().isEmpty()) {
                        out.add(new PolicyRule(List.of(verb), List.of(group), List.of(resource), List.of(), List.of()));
                    } else {
                        for (String n : rule.resourceNames()) {
                            out.add(new PolicyRule(List.of(verb), List.of(group), List.of(resource), List.of(n),
                                    List.of()));
                        }
                    }
                }
            }
        }
        for (String url : rule.nonResourceURLs()) {
            for (String verb : rule.verbs()) {
                out.add(PolicyRule.nonResourceRule(List.of(verb), List.of(url)));
            }
        }
        return out;
    }

    /** kube's ruleCovers: whether {@code owner} covers an atomic {@code sub} rule. */
    static boolean ruleCovers(PolicyRule owner, PolicyRule sub) {
        boolean verbs = owner.verbs().contains(PolicyRule.ALL) || owner.verbs().containsAll(sub.verbs());
        boolean groups = owner.apiGroups().contains(PolicyRule.ALL) || owner.apiGroups().containsAll(sub.apiGroups());
        boolean resources = resourceCoversAll(owner.resources(), sub.resources());
        boolean urls = sub.nonResourceURLs().stream()
                .allMatch(p -> owner.nonResourceURLs().stream().anyMatch(o -> urlCovers(o, p)));
        boolean names = sub.resourceNames().isEmpty()
                ? owner.resourceNames().isEmpty()
                : owner.resourceNames().isEmpty() || owner.resourceNames().containsAll(sub.resourceNames());
        return verbs && groups && resources && names && urls;
    }

    private static boolean resourceCoversAll(List<String> set, List<String> covers) {
        if (set.contains(PolicyRule.ALL) || set.containsAll(covers)) {
            return true;
        }
        for (String path : covers) {
            if (set.contains(path)) {
                continue;
            }
            int slash = path.indexOf('/');
            if (slash < 0 || !set.contains("*/" + path.substring(slash + 1))) {
                return false;
            }
        }
        return true;
    }

    private static boolean urlCovers(String owner, String path) {
        return owner.equals(path)
                || owner.endsWith("*") && path.startsWith(PolicyRule.stripTrailingStars(owner));
    }

    /**
     * kube's CompactRules: atomic resource rules differing only in verbs become one rule per group, resource (and
     * resourceName), verbs in first-seen order; other rules are kept as they are, first.
     */
    public static List<PolicyRule> compact(List<PolicyRule> rules) {
        List<PolicyRule> out = new ArrayList<>();
        Map<List<String>, List<String>> simple = new LinkedHashMap<>();
        Map<List<String>, PolicyRule> firsts = new LinkedHashMap<>();
        for (PolicyRule r : rules) {
            boolean isSimple = r.resourceNames().size() <= 1 && r.nonResourceURLs().isEmpty()
                    && r.apiGroups().size() == 1 && r.resources().size() == 1;
            if (!isSimple) {
                out.add(r);
                continue;
            }
            List<String> key = List.of(r.apiGroups().getFirst(), r.resources().getFirst(),
                    r.resourceNames().isEmpty() ? "" : "name:" + r.resourceNames().getFirst());
            firsts.putIfAbsent(key, r);
            List<String> verbs = simple.computeIfAbsent(key, k -> new ArrayList<>());
            for (String v : r.verbs()) {
                if (!verbs.contains(v)) {
                    verbs.add(v);
                }
            }
        }
        simple.forEach((key, verbs) -> {
            PolicyRule f = firsts.get(key);
            out.add(new PolicyRule(verbs, f.apiGroups(), f.resources(), f.resourceNames(), List.of()));
        });
        return out;
    }

    /**
     * kube's escalation error: {@code clusterroles.rbac.authorization.k8s.io "x" is forbidden: user "bob"
     * (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""],
     * Resources:["pods"], Verbs:["delete"]}} — the missing rules compacted, one per line, sorted.
     *
     * @param resource the plural, e.g. {@code clusterroles}; qualified with rbac.authorization.k8s.io when it has no
     *                 group (no dot)
     */
    public static String message(String resource, String name, UserInfo user, List<PolicyRule> missing) {
        return message(resource, name, user, missing, List.of());
    }

    /** {@link #message(String, String, UserInfo, List)} with the rule-resolution errors kube appends. */
    public static String message(String resource, String name, UserInfo user, List<PolicyRule> missing,
            List<String> resolutionErrors) {
        return forbidden(resource, name, detail(user, missing, resolutionErrors));
    }

    static String detail(UserInfo user, List<PolicyRule> missing, List<String> resolutionErrors) {
        Set<String> lines = new TreeSet<>();
        compact(missing).forEach(r -> lines.add(r.compactString()));
        String msg = "user " + GoStrings.quote(user.name()) + " (groups=" + GoStrings.quote(user.groups())
                + ") is attempting to grant RBAC permissions not currently held:\n" + String.join("\n", lines);
        if (!resolutionErrors.isEmpty()) {
            msg += "; resolution errors: [" + String.join(" ", resolutionErrors) + "]";
        }
        return msg;
    }

    static String forbidden(String resource, String name, String detail) {
        String qualified = resource.contains(".") ? resource : resource + "." + RbacAuthorizer.GROUP;
        return name == null || name.isEmpty()
                ? qualified + " is forbidden: " + detail
                : qualified + " " + GoStrings.quote(name) + " is forbidden: " + detail;
    }

    /**
     * kube's ConfirmNoEscalation: empty when the rules {@code user} holds in {@code namespace} ("" for cluster-wide)
     * cover {@code rules}, else the reason (without the "... is forbidden: " head).
     */
    public static Optional<String> confirmNoEscalation(RbacAuthorizer resolver, UserInfo user, String namespace,
            List<PolicyRule> rules) {
        RulesResult held = resolver.rulesFor(user, namespace);
        List<PolicyRule> missing = uncovered(held.rules(), rules);
        return missing.isEmpty() ? Optional.empty() : Optional.of(detail(user, missing, held.errors()));
    }

    /**
     * The check kube's role storage makes on a create ({@code old} null) or update of a Role or ClusterRole: empty
     * when allowed, else the Forbidden message. {@code authorizer} answers the {@code escalate} check (the API
     * server's whole chain); {@code resolver} lists the rules the user holds.
     */
    public static Optional<String> checkRole(Authorizer authorizer, RbacAuthorizer resolver, UserInfo user,
            JsonNode role, JsonNode old) {
        if (user.inGroup(UserInfo.SYSTEM_MASTERS)) {
            return Optional.empty();
        }
        boolean cluster = Json.text(role, "kind").equals("ClusterRole");
        String resource = cluster ? "clusterroles" : "roles";
        String name = Json.name(role);
        String namespace = cluster ? "" : Json.namespace(role);
        Attributes escalate = Attributes.resource(user, "escalate", RbacAuthorizer.GROUP, "*", resource, "",
                namespace, name);
        if (authorizer.authorize(escalate).allowed()) {
            return Optional.empty();
        }
        Optional<String> escalation = confirmNoEscalation(resolver, user, namespace, PolicyRule.rulesOf(role));
        if (escalation.isPresent()) {
            return Optional.of(forbidden(resource, name, escalation.get()));
        }
        if (cluster && (hasAggregationRule(role) || hasAggregationRule(old))
                && confirmNoEscalation(resolver, user, "", FULL_AUTHORITY).isPresent()) {
            return Optional.of(forbidden(resource, name, "must have cluster-admin privileges to use the aggregationRule"));
        }
        return Optional.empty();
    }

    private static boolean hasAggregationRule(JsonNode role) {
        return role != null && role.get("aggregationRule") != null && !role.get("aggregationRule").isNull();
    }

    /**
     * The check kube's binding storage makes on a create or update of a RoleBinding or ClusterRoleBinding: empty when
     * allowed, else the error message (a referenced role that does not exist gives kube's NotFound message).
     */
    public static Optional<String> checkBinding(Authorizer authorizer, RbacAuthorizer resolver, UserInfo user,
            JsonNode binding) {
        if (user.inGroup(UserInfo.SYSTEM_MASTERS)) {
            return Optional.empty();
        }
        boolean cluster = Json.text(binding, "kind").equals("ClusterRoleBinding");
        String namespace = cluster ? "" : Json.namespace(binding);
        JsonNode roleRef = binding.get("roleRef");
        String kind = Json.text(roleRef, "kind");
        String refResource = switch (kind) {
            case "ClusterRole" -> "clusterroles";
            case "Role" -> "roles";
            default -> null;
        };
        if (refResource != null) {
            Attributes bind = Attributes.resource(user, "bind", Json.text(roleRef, "apiGroup"), "*", refResource, "",
                    namespace, Json.text(roleRef, "name"));
            if (authorizer.authorize(bind).allowed()) {
                return Optional.empty();
            }
        }
        List<PolicyRule> rules;
        try {
            rules = resolver.roleReferenceRules(roleRef, namespace);
        } catch (RbacAuthorizer.RoleNotFound e) {
            return Optional.of(e.getMessage());
        }
        return confirmNoEscalation(resolver, user, namespace, rules)
                .map(d -> forbidden(cluster ? "clusterrolebindings" : "rolebindings", Json.name(binding), d));
    }
}
