package io.kubeha.apiserver.table;

import tools.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Label maps and label selectors written as Kubernetes writes them in tables: {@code labels.FormatLabels}
 * ("app=web,tier=fe", "&lt;none&gt;"), {@code metav1.FormatLabelSelector} and {@code Selector.String()}
 * ("app=web,env in (prod,qa),!canary").
 */
final class Labels {
    private Labels() {}

    /** {@code labels.FormatLabels}: keys sorted, "&lt;none&gt;" for an empty map. */
    static String formatLabels(JsonNode map) {
        TreeMap<String, String> sorted = new TreeMap<>();
        if (map != null && map.isObject()) {
            for (Map.Entry<String, JsonNode> e : map.properties()) {
                sorted.put(e.getKey(), Fields.str(e.getValue()));
            }
        }
        if (sorted.isEmpty()) {
            return "<none>";
        }
        List<String> parts = new ArrayList<>(sorted.size());
        sorted.forEach((k, v) -> parts.add(k + "=" + v));
        return String.join(",", parts);
    }

    /** {@code metav1.FormatLabelSelector}, used by the replica set and daemon set SELECTOR columns. */
    static String formatLabelSelector(JsonNode selector) {
        return selectorString(selector).map(s -> s.isEmpty() ? "<none>" : s).orElse("<error>");
    }

    /**
     * {@code metav1.LabelSelectorAsSelector(selector).String()}: "" for a nil or empty selector (nothing and
     * everything both print as ""), empty when the selector is invalid.
     */
    static Optional<String> selectorString(JsonNode selector) {
        if (selector == null || !selector.isObject()) {
            return Optional.of("");
        }
        record Requirement(String key, String text) {}
        List<Requirement> requirements = new ArrayList<>();
        JsonNode matchLabels = selector.path("matchLabels");
        if (matchLabels.isObject()) {
            for (Map.Entry<String, JsonNode> e : matchLabels.properties()) {
                requirements.add(new Requirement(e.getKey(), e.getKey() + "=" + Fields.str(e.getValue())));
            }
        }
        for (JsonNode expr : Fields.list(selector, "matchExpressions")) {
            String key = Fields.str(expr, "key");
            List<String> values = new ArrayList<>();
            Fields.list(expr, "values").forEach(v -> values.add(Fields.str(v)));
            // Values print sorted (Requirement.String sorts a copy).
            values.sort(Comparator.naturalOrder());
            String text = switch (Fields.str(expr, "operator")) {
                case "In" -> values.isEmpty() ? null : key + " in (" + String.join(",", values) + ")";
                case "NotIn" -> values.isEmpty() ? null : key + " notin (" + String.join(",", values) + ")";
                case "Exists" -> values.isEmpty() ? key : null;
                case "DoesNotExist" -> values.isEmpty() ? "!" + key : null;
                default -> null;
            };
            if (text == null) {
                return Optional.empty();
            }
            requirements.add(new Requirement(key, text));
        }
        // A selector keeps its requirements sorted by key.
        requirements.sort(Comparator.comparing(Requirement::key));
        return Optional.of(String.join(",", requirements.stream().map(Requirement::text).toList()));
    }
}
