package io.kubeha.security.audit;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/**
 * kube-apiserver's {@code --audit-policy-file}: an {@code audit.k8s.io/v1} {@code Policy}, in YAML or JSON. The first
 * rule that matches a request gives its level; a request no rule matches is not audited (level None), as in kube.
 *
 * <p>A rule matches when each of its non-empty lists does: {@code users} the username, {@code userGroups} any of
 * the user's groups, {@code verbs} the verb; then, if it has {@code resources} or {@code namespaces}, only a resource
 * request matches, in one of the namespaces ("" for cluster-scoped resources) and one of the {@code resources}
 * entries (the group, one of the resources, where {@code *}, {@code pods/log}, <code>&#42;/log</code> and <code>pods/&#42;</code>
 * work as in kube, and one of the {@code resourceNames} if given); else if it has {@code nonResourceURLs}, only a
 * non-resource request whose path is one of them ({@code *} for all, a trailing {@code *} for a prefix). The user is
 * the authenticated one, not whom they impersonate, as kube's policy checker sees it.
 *
 * <p>{@code omitStages} (the policy's and the rule's) and {@code omitManagedFields} (the rule's, else the policy's)
 * are honoured; as kubeha writes only the ResponseComplete stage, omitting it drops the request.
 */
public final class AuditPolicy {

    /** An audit level, each including the one before. */
    public enum Level {
        /** Not audited. */
        NONE("None"),
        /** Who did what to which object, and the answer's code: no bodies. */
        METADATA("Metadata"),
        /** Metadata and the request's object. */
        REQUEST("Request"),
        /** Request and the response's object. */
        REQUEST_RESPONSE("RequestResponse");

        private final String wireName;

        Level(String wireName) {
            this.wireName = wireName;
        }

        /** The name in policies and events: None, Metadata, Request, RequestResponse. */
        public String wireName() {
            return wireName;
        }

        static Level parse(String s) {
            for (Level l : values()) {
                if (l.wireName.equals(s)) {
                    return l;
                }
            }
            return null;
        }
    }

    /** What to write for one request: the level (NONE when the policy says nothing or omits ResponseComplete). */
    record Decision(Level level, boolean omitManagedFields) {
        static final Decision NONE = new Decision(Level.NONE, false);
    }

    private record GroupResources(String group, List<String> resources, List<String> resourceNames) {
    }

    private record Rule(Level level, List<String> users, List<String> userGroups, List<String> verbs,
            List<GroupResources> resources, List<String> namespaces, List<String> nonResourceUrls,
            Set<String> omitStages, Boolean omitManagedFields) {

        boolean matches(AuditRecord r) {
            if (!users.isEmpty() && !has(users, r.username())) {
                return false;
            }
            if (!userGroups.isEmpty() && r.groups().stream().noneMatch(g -> has(userGroups, g))) {
                return false;
            }
            if (!verbs.isEmpty() && !has(verbs, r.verb())) {
                return false;
            }
            if (!namespaces.isEmpty() || !resources.isEmpty()) {
                return matchesResource(r);
            }
            if (!nonResourceUrls.isEmpty()) {
                return !r.resourceRequest() && nonResourceUrls.stream().anyMatch(spec -> pathMatches(r.path(), spec));
            }
            return true;
        }

        private boolean matchesResource(AuditRecord r) {
            if (!r.resourceRequest()) {
                return false;
            }
            if (!namespaces.isEmpty() && !has(namespaces, r.namespace())) {
                return false;
            }
            if (resources.isEmpty()) {
                return true;
            }
            String group = r.apiGroup() == null ? "" : r.apiGroup();
            String resource = r.resource() == null ? "" : r.resource();
            String sub = r.subresource() == null ? "" : r.subresource();
            String combined = sub.isEmpty() ? resource : resource + "/" + sub;
            for (GroupResources gr : resources) {
                if (!gr.group().equals(group)) {
                    continue;
                }
                if (gr.resources().isEmpty()) {
                    return true;
                }
                if (!gr.resourceNames().isEmpty() && !has(gr.resourceNames(), r.name())) {
                    continue;
                }
                for (String res : gr.resources()) {
                    if (res.equals(combined) || res.equals("*")) {
                        return true;
                    }
                    if (!sub.isEmpty() && res.startsWith("*/") && sub.equals(res.substring(2))) {
                        return true;
                    }
                    if (res.endsWith("/*") && resource.equals(res.substring(0, res.length() - 2))) {
                        return true;
                    }
                }
            }
            return false;
        }

        /** Whether the list holds the value, null read as "" (a list has no name, a cluster-scoped object no namespace). */
        private static boolean has(List<String> list, String value) {
            return list.contains(value == null ? "" : value);
        }

        private static boolean pathMatches(String path, String spec) {
            return spec.equals("*") || spec.equals(path)
                    || (spec.endsWith("*") && path.startsWith(spec.substring(0, spec.length() - 1)));
        }
    }

    private static final Set<String> STAGES = Set.of("RequestReceived", "ResponseStarted", "ResponseComplete", "Panic");
    private static final String WRITTEN_STAGE = "ResponseComplete";

    private final List<Rule> rules;
    private final Set<String> omitStages;
    private final boolean omitManagedFields;

    private AuditPolicy(List<Rule> rules, Set<String> omitStages, boolean omitManagedFields) {
        this.rules = List.copyOf(rules);
        this.omitStages = Set.copyOf(omitStages);
        this.omitManagedFields = omitManagedFields;
    }

    /** kubeha's default with no policy file: every request at Metadata. */
    public static AuditPolicy metadataForAll() {
        return new AuditPolicy(List.of(new Rule(Level.METADATA, List.of(), List.of(), List.of(), List.of(), List.of(),
                List.of(), Set.of(), null)), Set.of(), false);
    }

    /** The level of the first rule matching the request, NONE if none matches. */
    public Level levelFor(AuditRecord r) {
        Rule rule = ruleFor(r);
        return rule == null ? Level.NONE : rule.level();
    }

    Decision decide(AuditRecord r) {
        Rule rule = ruleFor(r);
        if (rule == null || rule.level() == Level.NONE || omitStages.contains(WRITTEN_STAGE)
                || rule.omitStages().contains(WRITTEN_STAGE)) {
            return Decision.NONE;
        }
        return new Decision(rule.level(), rule.omitManagedFields() != null ? rule.omitManagedFields() : omitManagedFields);
    }

    private Rule ruleFor(AuditRecord r) {
        for (Rule rule : rules) {
            if (rule.matches(r)) {
                return rule;
            }
        }
        return null;
    }

    /**
     * Reads and checks the file.
     *
     * @throws IllegalArgumentException a one-line message naming the file and the field, for the first mistake
     */
    public static AuditPolicy load(Path file) {
        return new Parser(file).parse(io.kubeha.security.ConfigFiles.read(file, "the audit policy"));
    }

    private static final class Parser {
        private final Path file;

        Parser(Path file) {
            this.file = file;
        }

        private IllegalArgumentException fail(String field, String message) {
            return io.kubeha.security.ConfigFiles.error(file, field, message);
        }

        AuditPolicy parse(JsonNode doc) {
            io.kubeha.security.ConfigFiles.object(file, doc, "an audit.k8s.io/v1 Policy");
            String apiVersion = string(doc, "apiVersion", "apiVersion");
            String kind = string(doc, "kind", "kind");
            if (apiVersion == null || !apiVersion.equals("audit.k8s.io/v1")) {
                throw fail("apiVersion", "must be audit.k8s.io/v1, got " + (apiVersion == null ? "nothing" : "'" + apiVersion + "'"));
            }
            if (kind == null || !kind.equals("Policy")) {
                throw fail("kind", "must be Policy, got " + (kind == null ? "nothing" : "'" + kind + "'"));
            }
            onlyFields(doc, "", Set.of("apiVersion", "kind", "metadata", "rules", "omitStages", "omitManagedFields"));
            Set<String> omit = stages(doc.get("omitStages"), "omitStages");
            Boolean omitManaged = bool(doc, "omitManagedFields", "omitManagedFields");
            JsonNode list = doc.get("rules");
            if (list == null || list.isNull() || (list.isArray() && list.isEmpty())) {
                throw fail("rules", "a policy needs at least one rule (no rule matching audits nothing)");
            }
            if (!list.isArray()) {
                throw fail("rules", "must be a list");
            }
            List<Rule> rules = new ArrayList<>();
            for (int i = 0; i < list.size(); i++) {
                rules.add(rule(list.get(i), "rules[" + i + "]"));
            }
            return new AuditPolicy(rules, omit, omitManaged != null && omitManaged);
        }

        private Rule rule(JsonNode n, String at) {
            if (!n.isObject()) {
                throw fail(at, "must be an object with a level");
            }
            onlyFields(n, at, Set.of("level", "users", "userGroups", "verbs", "resources", "namespaces",
                    "nonResourceURLs", "omitStages", "omitManagedFields"));
            String levelName = string(n, "level", at + ".level");
            if (levelName == null || levelName.isEmpty()) {
                throw fail(at + ".level", "is required: None, Metadata, Request or RequestResponse");
            }
            Level level = Level.parse(levelName);
            if (level == null) {
                throw fail(at + ".level", "unknown level '" + levelName + "'; use None, Metadata, Request or RequestResponse");
            }
            List<String> users = strings(n.get("users"), at + ".users");
            List<String> groups = strings(n.get("userGroups"), at + ".userGroups");
            List<String> verbs = strings(n.get("verbs"), at + ".verbs");
            List<String> namespaces = strings(n.get("namespaces"), at + ".namespaces");
            List<String> urls = strings(n.get("nonResourceURLs"), at + ".nonResourceURLs");
            List<GroupResources> resources = new ArrayList<>();
            JsonNode res = n.get("resources");
            if (res != null && !res.isNull()) {
                if (!res.isArray()) {
                    throw fail(at + ".resources", "must be a list of {group, resources, resourceNames}");
                }
                for (int j = 0; j < res.size(); j++) {
                    resources.add(groupResources(res.get(j), at + ".resources[" + j + "]"));
                }
            }
            if (!urls.isEmpty() && (!resources.isEmpty() || !namespaces.isEmpty())) {
                throw fail(at, "rules cannot apply to both regular resources and non-resource URLs");
            }
            for (int j = 0; j < urls.size(); j++) {
                String url = urls.get(j);
                if (url.equals("*")) {
                    continue;
                }
                if (!url.startsWith("/")) {
                    throw fail(at + ".nonResourceURLs[" + j + "]", "non-resource URL '" + url + "' must begin with a '/'");
                }
                int star = url.indexOf('*');
                if (star >= 0 && star != url.length() - 1) {
                    throw fail(at + ".nonResourceURLs[" + j + "]", "non-resource URL '" + url
                            + "': a wildcard '*' must be the final character");
                }
            }
            return new Rule(level, users, groups, verbs, resources, namespaces, urls,
                    stages(n.get("omitStages"), at + ".omitStages"), bool(n, "omitManagedFields", at + ".omitManagedFields"));
        }

        private GroupResources groupResources(JsonNode n, String at) {
            if (!n.isObject()) {
                throw fail(at, "must be an object with group, resources, resourceNames");
            }
            onlyFields(n, at, Set.of("group", "resources", "resourceNames"));
            String group = string(n, "group", at + ".group");
            group = group == null ? "" : group;
            if (!group.equals(group.toLowerCase(java.util.Locale.ROOT))) {
                throw fail(at + ".group", "group '" + group + "' must be lowercase");
            }
            List<String> resources = strings(n.get("resources"), at + ".resources");
            List<String> names = strings(n.get("resourceNames"), at + ".resourceNames");
            if (!names.isEmpty() && resources.isEmpty()) {
                throw fail(at + ".resourceNames", "using resourceNames requires at least one resource");
            }
            return new GroupResources(group, resources, names);
        }

        private Set<String> stages(JsonNode n, String at) {
            List<String> names = strings(n, at);
            for (int j = 0; j < names.size(); j++) {
                if (!STAGES.contains(names.get(j))) {
                    throw fail(at + "[" + j + "]", "unknown stage '" + names.get(j)
                            + "'; use RequestReceived, ResponseStarted, ResponseComplete or Panic");
                }
            }
            return Set.copyOf(names);
        }

        private List<String> strings(JsonNode n, String at) {
            if (n == null || n.isNull()) {
                return List.of();
            }
            if (!n.isArray()) {
                throw fail(at, "must be a list of strings");
            }
            List<String> out = new ArrayList<>();
            for (int j = 0; j < n.size(); j++) {
                if (!n.get(j).isString()) {
                    throw fail(at + "[" + j + "]", "must be a string");
                }
                out.add(n.get(j).asString());
            }
            return List.copyOf(out);
        }

        private String string(JsonNode node, String name, String at) {
            JsonNode n = node.get(name);
            if (n == null || n.isNull()) {
                return null;
            }
            if (!n.isString()) {
                throw fail(at, "must be a string");
            }
            return n.asString();
        }

        private Boolean bool(JsonNode node, String name, String at) {
            JsonNode n = node.get(name);
            if (n == null || n.isNull()) {
                return null;
            }
            if (!n.isBoolean()) {
                throw fail(at, "must be true or false");
            }
            return n.booleanValue();
        }

        private void onlyFields(JsonNode node, String at, Set<String> allowed) {
            for (String name : node.propertyNames()) {
                if (!allowed.contains(name)) {
                    throw fail(at.isEmpty() ? name : at + "." + name, "unknown field; expected one of "
                            + allowed.stream().sorted().toList());
                }
            }
        }
    }

    @Override
    public String toString() {
        return "AuditPolicy" + rules.stream().map(r -> r.level().wireName()).toList();
    }
}
