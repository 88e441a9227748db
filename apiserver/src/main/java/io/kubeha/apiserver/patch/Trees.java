package io.kubeha.apiserver.patch;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Small operations on Jackson trees that the patch code needs in several places. */
final class Trees {
    static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private Trees() {}

    static ObjectNode object() {
        return NODES.objectNode();
    }

    static ArrayNode array() {
        return NODES.arrayNode();
    }

    /**
     * JSON value equality as Go sees two decoded values: numbers compare by value, so {@code 80} read from a
     * patch equals the {@code 80} a fabric8 {@code Long} field serialised (Jackson would call IntNode and
     * LongNode different).
     */
    static boolean same(JsonNode a, JsonNode b) {
        if (a == b) return true;
        if (a == null || b == null) return false;
        if (a.isNumber() && b.isNumber()) return a.decimalValue().compareTo(b.decimalValue()) == 0;
        if (a.isObject() && b.isObject()) {
            if (a.size() != b.size()) return false;
            for (Map.Entry<String, JsonNode> e : a.properties()) {
                if (!same(e.getValue(), b.get(e.getKey()))) return false;
            }
            return true;
        }
        if (a.isArray() && b.isArray()) {
            if (a.size() != b.size()) return false;
            for (int i = 0; i < a.size(); i++) {
                if (!same(a.get(i), b.get(i))) return false;
            }
            return true;
        }
        return a.equals(b);
    }

    /** The same JSON kind (object, array, string, number, boolean, null): Go replaces a value of another kind. */
    static boolean sameKind(JsonNode a, JsonNode b) {
        return a.getNodeType() == b.getNodeType();
    }

    /** Compact JSON with object keys sorted and numbers written by value: equal values give equal strings. */
    static String canonical(JsonNode n) {
        StringBuilder sb = new StringBuilder();
        canonical(n, sb);
        return sb.toString();
    }

    private static void canonical(JsonNode n, StringBuilder sb) {
        if (n == null || n.isNull() || n.isMissingNode()) {
            sb.append("null");
        } else if (n.isObject()) {
            List<String> keys = new ArrayList<>(n.propertyNames());
            keys.sort(null);
            sb.append('{');
            for (int i = 0; i < keys.size(); i++) {
                if (i > 0) sb.append(',');
                sb.append(NODES.stringNode(keys.get(i)).toString()).append(':');
                canonical(n.get(keys.get(i)), sb);
            }
            sb.append('}');
        } else if (n.isArray()) {
            sb.append('[');
            for (int i = 0; i < n.size(); i++) {
                if (i > 0) sb.append(',');
                canonical(n.get(i), sb);
            }
            sb.append(']');
        } else if (n.isNumber()) {
            sb.append(number(n));
        } else {
            sb.append(n.toString());
        }
    }

    private static String number(JsonNode n) {
        if (n.isIntegralNumber()) return n.bigIntegerValue().toString();
        BigDecimal d = n.decimalValue().stripTrailingZeros();
        return d.scale() <= 0 ? d.toBigIntegerExact().toString() : d.toPlainString();
    }

    /**
     * A value as Go's {@code %v} prints a decoded JSON value, for error messages that quote the patch the way
     * kube-apiserver does: {@code map[image:x name:a]}, {@code [a b]}, {@code <nil>}.
     */
    static String go(JsonNode n) {
        if (n == null || n.isNull() || n.isMissingNode()) return "<nil>";
        if (n.isObject()) {
            List<String> keys = new ArrayList<>(n.propertyNames());
            keys.sort(null);
            StringBuilder sb = new StringBuilder("map[");
            for (int i = 0; i < keys.size(); i++) {
                if (i > 0) sb.append(' ');
                sb.append(keys.get(i)).append(':').append(go(n.get(keys.get(i))));
            }
            return sb.append(']').toString();
        }
        if (n.isArray()) {
            StringBuilder sb = new StringBuilder("[");
            for (int i = 0; i < n.size(); i++) {
                if (i > 0) sb.append(' ');
                sb.append(go(n.get(i)));
            }
            return sb.append(']').toString();
        }
        if (n.isString()) return n.stringValue();
        if (n.isNumber()) return number(n);
        return n.toString();
    }

    /**
     * A copy without null members, at any depth: what a new value from a patch means, since a null can only
     * delete something that exists (Go's {@code discardNullValuesFromPatch}; typed decoding drops the rest).
     */
    static JsonNode withoutNulls(JsonNode n) {
        if (n.isObject()) {
            ObjectNode out = object();
            for (Map.Entry<String, JsonNode> e : n.properties()) {
                if (!e.getValue().isNull()) out.set(e.getKey(), withoutNulls(e.getValue()));
            }
            return out;
        }
        if (n.isArray()) {
            ArrayNode out = array();
            for (JsonNode item : n) out.add(withoutNulls(item));
            return out;
        }
        return n.deepCopy();
    }

    /** Kinds as Go's reflection names them in its decoding errors. */
    static String goKind(JsonNode n) {
        if (n.isObject()) return "object";
        if (n.isArray()) return "array";
        if (n.isString()) return "string";
        if (n.isNumber()) return "number";
        if (n.isBoolean()) return "bool";
        return "null";
    }
}
