package io.kubeha.apiserver.rules;

import tools.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * A short account of how two JSON trees differ, one line per changed field ({@code - path: old} /
 * {@code + path: new}), for the "may not change" errors where kube appends a Go cmp.Diff of the structs. The
 * layout differs from Go's; the information (which fields, from what to what) is the same.
 */
final class Diff {
    private Diff() {}

    static String of(JsonNode before, JsonNode after, String root) {
        List<String> lines = new ArrayList<>();
        walk(before, after, root, lines);
        return String.join("\n", lines);
    }

    private static void walk(JsonNode a, JsonNode b, String path, List<String> out) {
        if (a != null && a.equals(b)) return;
        if (a != null && b != null && a.isObject() && b.isObject()) {
            Set<String> keys = new TreeSet<>(a.propertyNames());
            keys.addAll(b.propertyNames());
            for (String k : keys) walk(a.get(k), b.get(k), path + "." + k, out);
            return;
        }
        if (a != null && b != null && a.isArray() && b.isArray() && a.size() == b.size()) {
            for (int i = 0; i < a.size(); i++) walk(a.get(i), b.get(i), path + "[" + i + "]", out);
            return;
        }
        if (a != null) out.add("- " + path + ": " + a);
        if (b != null) out.add("+ " + path + ": " + b);
    }
}
