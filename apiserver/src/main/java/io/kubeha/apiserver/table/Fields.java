package io.kubeha.apiserver.table;

import tools.jackson.databind.JsonNode;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * Reading JSON trees with Go's zero values: kube's printers work on typed structs, where an absent string
 * is "", an absent number 0, an absent pointer nil. Reading the tree the same way keeps every printer a
 * line-by-line match of its Go original, and makes it tolerant of sparse objects.
 */
final class Fields {
    /** Go's zero time.Time, which kube treats as "no timestamp" ({@code IsZero}). */
    private static final Instant GO_ZERO_TIME = Instant.parse("0001-01-01T00:00:00Z");

    private Fields() {}

    static JsonNode at(JsonNode node, String... path) {
        JsonNode n = node;
        for (String p : path) {
            if (n == null) {
                break;
            }
            n = n.path(p);
        }
        return n;
    }

    /** The string at path, or "" (also for null and for non-scalar values). */
    static String str(JsonNode node, String... path) {
        JsonNode n = at(node, path);
        if (n == null || n.isMissingNode() || n.isNull() || n.isContainer()) {
            return "";
        }
        return n.asString();
    }

    /** The integer at path, or 0. */
    static long num(JsonNode node, String... path) {
        JsonNode n = at(node, path);
        return n != null && n.isNumber() ? n.asLong() : 0L;
    }

    static boolean bool(JsonNode node, String... path) {
        JsonNode n = at(node, path);
        return n != null && n.isBoolean() && n.asBoolean();
    }

    /** True where a Go pointer to a struct would be non-nil: the field holds an object, even an empty one. */
    static boolean present(JsonNode node, String... path) {
        JsonNode n = at(node, path);
        return n != null && n.isObject();
    }

    /** Whether the field is set at all (not absent, not null). */
    static boolean isSet(JsonNode node, String... path) {
        JsonNode n = at(node, path);
        return n != null && !n.isMissingNode() && !n.isNull();
    }

    static List<JsonNode> list(JsonNode node, String... path) {
        JsonNode n = at(node, path);
        if (n == null || !n.isArray()) {
            return List.of();
        }
        List<JsonNode> out = new ArrayList<>(n.size());
        n.values().forEach(out::add);
        return out;
    }

    /** Number of entries of a list or a map (len() of a Go slice or map). */
    static int size(JsonNode node, String... path) {
        JsonNode n = at(node, path);
        return n != null && n.isContainer() ? n.size() : 0;
    }

    /** A metav1.Time or MicroTime (RFC 3339), or null where Go would hold the zero time. */
    static Instant time(JsonNode node, String... path) {
        String s = str(node, path);
        if (s.isEmpty()) {
            return null;
        }
        try {
            Instant t = Instant.parse(s);
            return t.equals(GO_ZERO_TIME) ? null : t;
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /** Kube's {@code translateTimestampSince}: the HumanDuration since t, "<unknown>" without a t. */
    static String since(Instant t, Instant now) {
        return t == null ? "<unknown>" : HumanDuration.format(Duration.between(t, now));
    }

    /** The AGE cell. */
    static String age(JsonNode object, Instant now) {
        return since(time(object, "metadata", "creationTimestamp"), now);
    }

    static String name(JsonNode object) {
        return str(object, "metadata", "name");
    }

    static String orElse(String s, String ifEmpty) {
        return s.isEmpty() ? ifEmpty : s;
    }
}
