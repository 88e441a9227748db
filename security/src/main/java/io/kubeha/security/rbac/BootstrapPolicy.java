package io.kubeha.security.rbac;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.MappingIterator;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * kube-apiserver's bootstrap RBAC policy (plugin/pkg/auth/authorizer/rbac/bootstrappolicy) as JSON objects ready to
 * be written to the store, read from {@code bootstrap-policy.yaml} next to this class (readable policy; see its
 * comments for what kubeha adds or changes), and kube's reconcile rule (pkg/registry/rbac/reconciliation, in its
 * "union" mode the API server uses at start).
 *
 * <p>Every object carries the label {@code kubernetes.io/bootstrapping=rbac-defaults} and the annotation
 * {@code rbac.authorization.kubernetes.io/autoupdate=true}. The lists are fresh copies the caller may change.
 */
public final class BootstrapPolicy {

    public static final String RESOURCE = "bootstrap-policy.yaml";
    public static final String BOOTSTRAPPING_LABEL = "kubernetes.io/bootstrapping";
    public static final String BOOTSTRAPPING_VALUE = "rbac-defaults";
    public static final String AUTOUPDATE_ANNOTATION = "rbac.authorization.kubernetes.io/autoupdate";

    private static final List<ObjectNode> ALL = load();

    private BootstrapPolicy() {
    }

    public static List<ObjectNode> clusterRoles() {
        return of("ClusterRole");
    }

    public static List<ObjectNode> clusterRoleBindings() {
        return of("ClusterRoleBinding");
    }

    /** The Roles, each with metadata.namespace (kube-system, kube-public). */
    public static List<ObjectNode> namespacedRoles() {
        return of("Role");
    }

    /** The RoleBindings, each with metadata.namespace. */
    public static List<ObjectNode> namespacedRoleBindings() {
        return of("RoleBinding");
    }

    private static List<ObjectNode> of(String kind) {
        List<ObjectNode> out = new ArrayList<>();
        for (ObjectNode o : ALL) {
            if (Json.text(o, "kind").equals(kind)) {
                out.add(o.deepCopy());
            }
        }
        return out;
    }

    private static List<ObjectNode> load() {
        try (InputStream in = BootstrapPolicy.class.getResourceAsStream(RESOURCE)) {
            Objects.requireNonNull(in, RESOURCE + " missing from the classpath");
            List<ObjectNode> out = new ArrayList<>();
            try (MappingIterator<JsonNode> docs = new YAMLMapper().readerFor(JsonNode.class).readValues(in)) {
                while (docs.hasNext()) {
                    JsonNode doc = docs.next();
                    if (doc == null || !doc.isObject() || doc.isEmpty()) {
                        continue;
                    }
                    ObjectNode o = (ObjectNode) doc;
                    ObjectNode meta = o.withObjectProperty("metadata");
                    meta.withObjectProperty("labels").put(BOOTSTRAPPING_LABEL, BOOTSTRAPPING_VALUE);
                    meta.withObjectProperty("annotations").put(AUTOUPDATE_ANNOTATION, "true");
                    out.add(o);
                }
            }
            return List.copyOf(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * kube's role reconcile (union mode): the object to write so that {@code existing} (a Role or ClusterRole read
     * from the store, {@code null} or missing when there is none) has what {@code wanted} has, or empty when it
     * already has. A missing object is created as wanted; one annotated {@code autoupdate: "false"} is left alone;
     * otherwise wanted's labels and annotations the existing object lacks are added (its own values kept), rules of
     * wanted that the existing rules do not cover are appended (broken down to one verb, group and resource each, as
     * kube does), the aggregationRule's missing selectors are appended — and the aggregationRule is dropped when
     * wanted has none. Rules and selectors the user added are kept.
     */
    public static Optional<ObjectNode> reconcileRole(JsonNode existing, ObjectNode wanted) {
        if (existing == null || existing.isMissingNode() || existing.isNull()) {
            return Optional.of(wanted.deepCopy());
        }
        if (protectedObject(existing)) {
            return Optional.empty();
        }
        ObjectNode result = (ObjectNode) existing.deepCopy();
        boolean changed = mergeMetadata(result, wanted);

        List<PolicyRule> missing = Escalation.uncovered(PolicyRule.rulesOf(existing), PolicyRule.rulesOf(wanted));
        if (!missing.isEmpty()) {
            ArrayNode rules = result.has("rules") && result.get("rules").isArray()
                    ? (ArrayNode) result.get("rules") : result.putArray("rules");
            missing.forEach(r -> rules.add(r.toJson()));
            changed = true;
        }

        boolean wantedAggregated = Aggregation.isAggregated(wanted);
        if (!wantedAggregated && Aggregation.isAggregated(existing)) {
            result.remove("aggregationRule");
            changed = true;
        } else if (wantedAggregated) {
            List<JsonNode> have = Json.array(existing.get("aggregationRule"), "clusterRoleSelectors");
            List<JsonNode> add = new ArrayList<>();
            for (JsonNode s : Json.array(wanted.get("aggregationRule"), "clusterRoleSelectors")) {
                if (!have.contains(s)) {
                    add.add(s);
                }
            }
            if (!add.isEmpty()) {
                ObjectNode agg = result.withObjectProperty("aggregationRule");
                ArrayNode selectors = agg.has("clusterRoleSelectors") && agg.get("clusterRoleSelectors").isArray()
                        ? (ArrayNode) agg.get("clusterRoleSelectors") : agg.putArray("clusterRoleSelectors");
                add.forEach(s -> selectors.add(s.deepCopy()));
                changed = true;
            }
        }
        return changed ? Optional.of(result) : Optional.empty();
    }

    /**
     * kube's binding reconcile (union mode): a missing binding is created as wanted; one annotated
     * {@code autoupdate: "false"} is left alone; when the roleRef differs, wanted is returned whole — roleRef is
     * immutable, so the caller must delete the existing binding and create this one (see {@link #roleRefDiffers});
     * otherwise wanted's missing labels, annotations and subjects are added and the user's subjects kept.
     */
    public static Optional<ObjectNode> reconcileBinding(JsonNode existing, ObjectNode wanted) {
        if (existing == null || existing.isMissingNode() || existing.isNull()) {
            return Optional.of(wanted.deepCopy());
        }
        if (protectedObject(existing)) {
            return Optional.empty();
        }
        if (roleRefDiffers(existing, wanted)) {
            return Optional.of(wanted.deepCopy());
        }
        ObjectNode result = (ObjectNode) existing.deepCopy();
        boolean changed = mergeMetadata(result, wanted);
        List<JsonNode> have = Json.array(existing, "subjects");
        List<JsonNode> add = new ArrayList<>();
        for (JsonNode s : Json.array(wanted, "subjects")) {
            if (have.stream().noneMatch(h -> sameSubject(h, s)) && add.stream().noneMatch(h -> sameSubject(h, s))) {
                add.add(s);
            }
        }
        if (!add.isEmpty()) {
            ArrayNode subjects = result.has("subjects") && result.get("subjects").isArray()
                    ? (ArrayNode) result.get("subjects") : result.putArray("subjects");
            add.forEach(s -> subjects.add(s.deepCopy()));
            changed = true;
        }
        return changed ? Optional.of(result) : Optional.empty();
    }

    /** Whether the bindings' roleRefs differ (apiGroup, kind or name): the existing one must be deleted first. */
    public static boolean roleRefDiffers(JsonNode existing, JsonNode wanted) {
        JsonNode a = existing.get("roleRef");
        JsonNode b = wanted.get("roleRef");
        return !(Json.text(a, "apiGroup").equals(Json.text(b, "apiGroup"))
                && Json.text(a, "kind").equals(Json.text(b, "kind"))
                && Json.text(a, "name").equals(Json.text(b, "name")));
    }

    private static boolean sameSubject(JsonNode a, JsonNode b) {
        for (String f : List.of("kind", "apiGroup", "name", "namespace")) {
            if (!Json.text(a, f).equals(Json.text(b, f))) {
                return false;
            }
        }
        return true;
    }

    private static boolean protectedObject(JsonNode existing) {
        return "false".equals(Json.annotations(existing).get(AUTOUPDATE_ANNOTATION));
    }

    /** Adds wanted's labels and annotations that {@code result} lacks; the existing values win (kube's merge). */
    private static boolean mergeMetadata(ObjectNode result, JsonNode wanted) {
        boolean changed = false;
        for (String field : List.of("labels", "annotations")) {
            Map<String, String> have = Json.stringMap(result.path("metadata").get(field));
            Map<String, String> merged = new LinkedHashMap<>(have);
            Json.stringMap(wanted.path("metadata").get(field)).forEach(merged::putIfAbsent);
            if (!merged.equals(have)) {
                result.withObjectProperty("metadata").set(field, Json.objectOf(merged));
                changed = true;
            }
        }
        return changed;
    }
}
