package io.kubeha.security.rbac;

import java.util.ArrayList;
import java.util.List;

import io.kubeha.security.auth.Attributes;
import io.kubeha.security.auth.GoStrings;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * One rule of a Role or ClusterRole (rbac.authorization.k8s.io/v1 PolicyRule). Lists are copied and unmodifiable;
 * {@code null} becomes empty.
 */
public record PolicyRule(List<String> verbs, List<String> apiGroups, List<String> resources,
        List<String> resourceNames, List<String> nonResourceURLs) {

    /** "*" in verbs, apiGroups, resources or nonResourceURLs: everything. */
    public static final String ALL = "*";

    public PolicyRule {
        verbs = copy(verbs);
        apiGroups = copy(apiGroups);
        resources = copy(resources);
        resourceNames = copy(resourceNames);
        nonResourceURLs = copy(nonResourceURLs);
    }

    private static List<String> copy(List<String> l) {
        return l == null ? List.of() : List.copyOf(l);
    }

    /** A rule from its JSON ({@code {"verbs":[...],"apiGroups":[...],"resources":[...]}}). */
    public static PolicyRule of(JsonNode rule) {
        return new PolicyRule(Json.strings(rule, "verbs"), Json.strings(rule, "apiGroups"),
                Json.strings(rule, "resources"), Json.strings(rule, "resourceNames"),
                Json.strings(rule, "nonResourceURLs"));
    }

    /** The rules of a Role or ClusterRole object ({@code .rules}). */
    public static List<PolicyRule> rulesOf(JsonNode role) {
        List<PolicyRule> out = new ArrayList<>();
        for (JsonNode r : Json.array(role, "rules")) {
            out.add(of(r));
        }
        return out;
    }

    /** A resource rule (no resourceNames). */
    public static PolicyRule resourceRule(List<String> verbs, List<String> apiGroups, List<String> resources) {
        return new PolicyRule(verbs, apiGroups, resources, List.of(), List.of());
    }

    /** A non-resource rule. */
    public static PolicyRule nonResourceRule(List<String> verbs, List<String> nonResourceURLs) {
        return new PolicyRule(verbs, List.of(), List.of(), List.of(), nonResourceURLs);
    }

    /** The rule as API JSON, empty lists left out as the API server's output does (apiGroups kept when resources). */
    public ObjectNode toJson() {
        ObjectNode o = Json.NODES.objectNode();
        o.set("verbs", Json.stringArray(verbs));
        if (!apiGroups.isEmpty() || !resources.isEmpty()) {
            o.set("apiGroups", Json.stringArray(apiGroups));
        }
        if (!resources.isEmpty()) {
            o.set("resources", Json.stringArray(resources));
        }
        if (!resourceNames.isEmpty()) {
            o.set("resourceNames", Json.stringArray(resourceNames));
        }
        if (!nonResourceURLs.isEmpty()) {
            o.set("nonResourceURLs", Json.stringArray(nonResourceURLs));
        }
        return o;
    }

    /**
     * kube's {@code RuleAllows}. For a resource request: the verb matches (or "*"), the API group matches (or "*"),
     * the resource matches — "*", the exact {@code resource} or {@code resource/subresource}, or <code>*&#47;subresource</code>
     * for a request with that subresource (kube has no {@code pods/*} form: it matches only a resource literally named
     * so) — and, when the rule lists resourceNames, the request's name is one of them (so a request without a name —
     * create, list, watch, deletecollection — never matches such a rule). For a non-resource request: the verb and one
     * of the URLs: "*", the exact path, or a prefix ending in "*".
     */
    public boolean allows(Attributes a) {
        if (a.resourceRequest()) {
            String combined = a.subresource().isEmpty() ? a.resource() : a.resource() + "/" + a.subresource();
            return verbMatches(a.verb()) && apiGroupMatches(a.apiGroup())
                    && resourceMatches(combined, a.subresource()) && resourceNameMatches(a.name());
        }
        return verbMatches(a.verb()) && nonResourceURLMatches(a.path());
    }

    public boolean verbMatches(String verb) {
        return verbs.contains(ALL) || verbs.contains(verb);
    }

    public boolean apiGroupMatches(String group) {
        return apiGroups.contains(ALL) || apiGroups.contains(group);
    }

    /** kube's ResourceMatches: {@code combined} is "resource" or "resource/subresource". */
    public boolean resourceMatches(String combined, String subresource) {
        for (String r : resources) {
            if (r.equals(ALL) || r.equals(combined)) {
                return true;
            }
            if (!subresource.isEmpty() && r.length() == subresource.length() + 2 && r.startsWith("*/")
                    && r.endsWith(subresource)) {
                return true;
            }
        }
        return false;
    }

    public boolean resourceNameMatches(String name) {
        return resourceNames.isEmpty() || resourceNames.contains(name);
    }

    public boolean nonResourceURLMatches(String path) {
        for (String u : nonResourceURLs) {
            if (u.equals(ALL) || u.equals(path)) {
                return true;
            }
            if (u.endsWith("*") && path.startsWith(stripTrailingStars(u))) {
                return true;
            }
        }
        return false;
    }

    static String stripTrailingStars(String s) {
        int end = s.length();
        while (end > 0 && s.charAt(end - 1) == '*') {
            end--;
        }
        return s.substring(0, end);
    }

    /**
     * kube's {@code CompactString}, used in escalation messages:
     * {@code {APIGroups:[""], Resources:["pods"], Verbs:["delete"]}}.
     */
    public String compactString() {
        List<String> parts = new ArrayList<>();
        if (!apiGroups.isEmpty()) {
            parts.add("APIGroups:" + GoStrings.quote(apiGroups));
        }
        if (!resources.isEmpty()) {
            parts.add("Resources:" + GoStrings.quote(resources));
        }
        if (!nonResourceURLs.isEmpty()) {
            parts.add("NonResourceURLs:" + GoStrings.quote(nonResourceURLs));
        }
        if (!resourceNames.isEmpty()) {
            parts.add("ResourceNames:" + GoStrings.quote(resourceNames));
        }
        if (!verbs.isEmpty()) {
            parts.add("Verbs:" + GoStrings.quote(verbs));
        }
        return "{" + String.join(", ", parts) + "}";
    }

    @Override
    public String toString() {
        return compactString();
    }
}
