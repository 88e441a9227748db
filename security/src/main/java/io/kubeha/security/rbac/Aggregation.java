package io.kubeha.security.rbac;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * ClusterRole aggregation as kube's clusterroleaggregation controller does it: a ClusterRole with
 * {@code aggregationRule.clusterRoleSelectors} gets the union of the rules of every other ClusterRole matching any
 * selector — selectors in order, the matching roles of each by name, a rule added unless an equal one is already
 * there.
 */
public final class Aggregation {

    private Aggregation() {
    }

    /** Whether {@code clusterRole} has an aggregationRule. */
    public static boolean isAggregated(JsonNode clusterRole) {
        JsonNode a = clusterRole == null ? null : clusterRole.get("aggregationRule");
        return a != null && a.isObject();
    }

    /** The rules {@code aggregatingRole} should have, from the current rules of {@code allClusterRoles}. */
    public static List<PolicyRule> aggregate(JsonNode aggregatingRole, Collection<JsonNode> allClusterRoles) {
        String self = Json.name(aggregatingRole);
        List<JsonNode> sorted = new ArrayList<>(allClusterRoles);
        sorted.sort(Comparator.comparing(Json::name));
        List<PolicyRule> out = new ArrayList<>();
        for (JsonNode selector : Json.array(aggregatingRole.path("aggregationRule"), "clusterRoleSelectors")) {
            for (JsonNode role : sorted) {
                if (Json.name(role).equals(self) || !matches(selector, Json.labels(role))) {
                    continue;
                }
                for (PolicyRule r : PolicyRule.rulesOf(role)) {
                    if (!out.contains(r)) {
                        out.add(r);
                    }
                }
            }
        }
        return out;
    }

    /**
     * The rules of every aggregated ClusterRole among {@code allClusterRoles}, by name, once aggregation has settled:
     * an aggregated role that itself is picked up by another (view into edit, edit into admin) counts with its
     * aggregated rules, as the controller reaches after its re-syncs.
     */
    public static Map<String, List<PolicyRule>> aggregateAll(Collection<JsonNode> allClusterRoles) {
        Map<String, JsonNode> current = new LinkedHashMap<>();
        allClusterRoles.forEach(r -> current.put(Json.name(r), r));
        Map<String, List<PolicyRule>> result = new LinkedHashMap<>();
        for (int round = 0; round <= current.size(); round++) {
            boolean changed = false;
            for (JsonNode role : List.copyOf(current.values())) {
                if (!isAggregated(role)) {
                    continue;
                }
                List<PolicyRule> rules = aggregate(role, current.values());
                result.put(Json.name(role), rules);
                if (!rules.equals(PolicyRule.rulesOf(role))) {
                    current.put(Json.name(role), withRules(role, rules));
                    changed = true;
                }
            }
            if (!changed) {
                break;
            }
        }
        return result;
    }

    /** A copy of {@code role} with its rules replaced. */
    public static ObjectNode withRules(JsonNode role, List<PolicyRule> rules) {
        ObjectNode copy = (ObjectNode) role.deepCopy();
        ArrayNode array = copy.putArray("rules");
        rules.forEach(r -> array.add(r.toJson()));
        return copy;
    }

    /**
     * Whether a metav1.LabelSelector matches the labels: every matchLabels pair is there and every matchExpression
     * holds (In, NotIn, Exists, DoesNotExist). An empty selector matches everything; an invalid one (unknown
     * operator, In/NotIn without values, Exists/DoesNotExist with values) matches nothing, as kube's
     * LabelSelectorAsSelector then fails.
     */
    public static boolean matches(JsonNode selector, Map<String, String> labels) {
        if (selector == null || !selector.isObject()) {
            return false;
        }
        for (Map.Entry<String, String> e : Json.stringMap(selector.get("matchLabels")).entrySet()) {
            if (!e.getValue().equals(labels.get(e.getKey()))) {
                return false;
            }
        }
        for (JsonNode expr : Json.array(selector, "matchExpressions")) {
            String key = Json.text(expr, "key");
            List<String> values = Json.strings(expr, "values");
            boolean has = labels.containsKey(key);
            boolean ok = switch (Json.text(expr, "operator")) {
                case "In" -> !values.isEmpty() && has && values.contains(labels.get(key));
                case "NotIn" -> !values.isEmpty() && (!has || !values.contains(labels.get(key)));
                case "Exists" -> values.isEmpty() && has;
                case "DoesNotExist" -> values.isEmpty() && !has;
                default -> false;
            };
            if (!ok) {
                return false;
            }
        }
        return true;
    }
}
