package io.kubeha.apiserver.patch;

import io.kubeha.apiserver.api.ApiException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeType;
import tools.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Strategic merge patch, as k8s.io/apimachinery's strategicpatch applies one on the server
 * ({@code StrategicMergeMapPatch}: parallel lists merged, nulls without a match ignored).
 *
 * <p>Like a JSON merge patch, except that a list whose field is tagged {@code patchStrategy:"merge"} is merged:
 * items that are objects by their merge key (a patch item updates the live item with the same key, new items
 * are added), scalars as a set. The directives kubectl writes are obeyed:
 * <ul>
 *   <li>{@code $patch: replace} in a map replaces the map; in a list item, replaces the whole list with the
 *       patch's other items;</li>
 *   <li>{@code $patch: delete} in a map empties it; in a list item, deletes the live items with its key;</li>
 *   <li>{@code $retainKeys: [...]} drops every live key not listed (kubectl's way to clear the other
 *       members of a union, e.g. {@code rollingUpdate} when the strategy becomes {@code Recreate});</li>
 *   <li>{@code $setElementOrder/<field>: [...]} gives the order of the items the client knows about; items only
 *       the server knows keep their place relative to them;</li>
 *   <li>{@code $deleteFromPrimitiveList/<field>: [...]} deletes those values from a merged list of scalars.</li>
 * </ul>
 * New list items go first unless an order is given ({@code kubectl patch} adding a container puts it before
 * the others), exactly as Kubernetes orders them.
 */
final class StrategicMerge {
    static final String PATCH = "$patch";
    static final String RETAIN_KEYS = "$retainKeys";
    static final String SET_ORDER = "$setElementOrder";
    static final String DELETE_PRIMITIVE = "$deleteFromPrimitiveList";

    private StrategicMerge() {}

    /** The patched object, a new tree: {@code live} and {@code patch} are not modified. */
    static ObjectNode apply(ObjectNode live, ObjectNode patch, Shape root) {
        return mergeMap(live.deepCopy(), patch, root);
    }

    /** Merges {@code patch} into {@code original}, which it may modify; null stands for an absent map. */
    private static ObjectNode mergeMap(ObjectNode original, ObjectNode patch, Shape shape) {
        JsonNode directive = patch.get(PATCH);
        if (directive != null) {
            if (is(directive, "replace")) {
                ObjectNode rest = patch.deepCopy();
                rest.remove(PATCH);
                return mergeMap(null, rest, shape);
            }
            if (is(directive, "delete")) return Trees.object();
            throw badPatchType(directive, patch);
        }
        if (original == null) original = Trees.object();
        retainKeys(original, patch);

        Set<String> done = new HashSet<>();
        done.add(RETAIN_KEYS);
        for (Map.Entry<String, JsonNode> e : patch.properties()) {
            if (e.getKey().startsWith(SET_ORDER)) setElementOrder(original, patch, e.getKey(), e.getValue(), shape, done);
        }
        for (Map.Entry<String, JsonNode> e : patch.properties()) {
            if (e.getKey().startsWith(DELETE_PRIMITIVE)) {
                String field = directiveField(e.getKey(), DELETE_PRIMITIVE, "invalid patch format of primitive list");
                done.add(e.getKey());
                JsonNode current = original.get(field);
                // Nothing to delete from: Go skips a deletion list whose field is absent or not a list.
                if (current == null || !current.isArray()) continue;
                if (!e.getValue().isArray()) throw Errors.badRequest("invalid patch format of primitive list");
                original.set(field, without((ArrayNode) current, e.getValue()));
            }
        }

        for (Map.Entry<String, JsonNode> e : patch.properties()) {
            String k = e.getKey();
            if (done.contains(k)) continue;
            JsonNode pv = e.getValue();
            if (pv.isNull()) {
                original.remove(k);
                continue;
            }
            Schema.Member m = Schema.member(shape, k);
            JsonNode ov = original.get(k);
            if (ov == null || ov.isNull() || !Trees.sameKind(ov, pv)) {
                original.set(k, fresh(pv, m));
            } else if (pv.isObject()) {
                original.set(k, m.tag().strategy() == Tag.Strategy.REPLACE ? fresh(pv, m)
                        : mergeMap((ObjectNode) ov, (ObjectNode) pv, m.shape()));
            } else if (pv.isArray()) {
                original.set(k, m.tag().strategy() == Tag.Strategy.MERGE
                        ? mergeList((ArrayNode) ov, (ArrayNode) pv, m.shape().items(), m.tag().mergeKey(), k)
                        : fresh(pv, m));
            } else {
                original.set(k, pv.deepCopy());
            }
        }
        return original;
    }

    /**
     * A value the patch brings where nothing comparable was: directives in it are still obeyed and its nulls
     * dropped, which is what Kubernetes ends up storing once the result is decoded into the typed object.
     */
    private static JsonNode fresh(JsonNode pv, Schema.Member m) {
        if (pv.isObject()) return mergeMap(null, (ObjectNode) pv, m.shape());
        if (pv.isArray() && m.tag().strategy() == Tag.Strategy.MERGE) {
            return mergeList(Trees.array(), (ArrayNode) pv, m.shape().items(), m.tag().mergeKey(), m.name());
        }
        return Trees.withoutNulls(pv);
    }

    private static void retainKeys(ObjectNode original, ObjectNode patch) {
        JsonNode retain = patch.get(RETAIN_KEYS);
        if (retain == null) return;
        if (!retain.isArray()) throw Errors.badRequest("invalid patch format of retainKeys");
        Set<String> keep = new HashSet<>();
        for (JsonNode k : retain) {
            if (k.isString()) keep.add(k.stringValue());
        }
        // Every key the patch sets must be retained, or the patch contradicts itself.
        for (Map.Entry<String, JsonNode> e : patch.properties()) {
            String k = e.getKey();
            if (k.equals(RETAIN_KEYS) || e.getValue().isNull() || k.startsWith(DELETE_PRIMITIVE)
                    || k.startsWith(SET_ORDER)) {
                continue;
            }
            if (!keep.contains(k)) throw Errors.badRequest("invalid patch format of retainKeys");
        }
        List<String> drop = new ArrayList<>();
        for (String k : original.propertyNames()) {
            if (!keep.contains(k)) drop.add(k);
        }
        drop.forEach(original::remove);
    }

    private static void setElementOrder(ObjectNode original, ObjectNode patch, String directive, JsonNode order,
                                        Shape shape, Set<String> done) {
        String field = directiveField(directive, SET_ORDER, "invalid patch format of setElementOrder list");
        done.add(directive);
        done.add(field);
        if (!order.isArray()) throw Errors.badRequest("invalid patch format of setElementOrder list");
        JsonNode ov = original.get(field);
        JsonNode pv = patch.get(field);
        if ((ov != null && !ov.isArray()) || (pv != null && !pv.isArray())) {
            throw Errors.badRequest("invalid patch format of setElementOrder list");
        }
        Schema.Member m = Schema.member(shape, field);
        if (m.tag().strategy() != Tag.Strategy.MERGE) {
            // Only merged lists have an order to keep; Go fails here too (with a panic for lists of objects).
            throw Errors.badRequest("unexpected patch strategy for " + SET_ORDER + "/" + field);
        }
        String key = m.tag().mergeKey();
        validateOrder(pv, (ArrayNode) order, key);
        if (ov == null && pv == null) return;
        ArrayNode originalList = ov == null ? Trees.array() : (ArrayNode) ov;
        ArrayNode before = originalList.deepCopy();
        ArrayNode merged = pv == null ? originalList
                : mergeList(originalList, (ArrayNode) pv, m.shape().items(), key, field);
        List<JsonNode> inOrder = new ArrayList<>();
        List<JsonNode> serverOnly = new ArrayList<>();
        for (JsonNode item : merged) {
            (indexOf(order, item, key) >= 0 ? inOrder : serverOnly).add(item);
        }
        original.set(field, normalizeOrder(inOrder, serverOnly, order, before, key));
    }

    /** {@code $setElementOrder} must list the patch's items in the patch's order (deletions aside). */
    private static void validateOrder(JsonNode patchList, ArrayNode order, String key) {
        if (patchList == null || patchList.isEmpty() || order.isEmpty()) return;
        int p = 0;
        int o = 0;
        while (p < patchList.size() && o < order.size()) {
            JsonNode item = patchList.get(p);
            if (item.isObject() && item.has(PATCH)) {
                p++;
                continue;
            }
            if (key == null ? Trees.same(item, order.get(o)) : sameKey(item, order.get(o), key)) p++;
            o++;
        }
        while (p < patchList.size() && patchList.get(p).isObject() && patchList.get(p).has(PATCH)) p++;
        if (p < patchList.size()) {
            throw Errors.badRequest("The order in patch list:\n" + Trees.go(patchList) + "\n doesn't match "
                    + SET_ORDER + " list:\n" + Trees.go(order) + "\n");
        }
    }

    private static boolean sameKey(JsonNode a, JsonNode b, String key) {
        if (!a.isObject() || !a.has(key)) throw noMergeKey(a, key);
        if (!b.isObject() || !b.has(key)) throw noMergeKey(b, key);
        return Trees.same(a.get(key), b.get(key));
    }

    /** Merges a list whose field has {@code patchStrategy:"merge"}; may modify {@code original}. */
    private static ArrayNode mergeList(ArrayNode original, ArrayNode patch, Shape itemShape, String key, String field) {
        if (original.isEmpty() && patch.isEmpty()) return original;
        JsonNodeType kind = elementKind(original, patch);
        if (kind != JsonNodeType.OBJECT) {
            List<JsonNode> merged = new ArrayList<>();
            for (JsonNode v : original) addIfAbsent(merged, v);
            for (JsonNode v : patch) addIfAbsent(merged, v.deepCopy());
            List<JsonNode> inPatch = new ArrayList<>();
            List<JsonNode> serverOnly = new ArrayList<>();
            for (JsonNode v : merged) (indexOf(patch, v, null) >= 0 ? inPatch : serverOnly).add(v);
            return normalizeOrder(inPatch, serverOnly, patch, original, null);
        }
        if (key == null) {
            throw Errors.badRequest("cannot merge lists without merge key for " + field);
        }

        // Directive items first: deletions by key, or a replacement of the whole list.
        List<JsonNode> working = new ArrayList<>();
        original.forEach(working::add);
        ArrayNode plain = Trees.array();
        boolean replace = false;
        for (JsonNode item : patch) {
            if (!item.isObject()) throw Errors.badRequest("list element types are not identical: " + Trees.go(patch));
            JsonNode d = item.get(PATCH);
            if (d == null) {
                plain.add(item);
            } else if (is(d, "delete")) {
                JsonNode k = item.get(key);
                if (k == null) throw noMergeKey(item, key);
                working.removeIf(w -> w.isObject() && Trees.same(w.get(key), k));
            } else if (is(d, "replace")) {
                replace = true;
            } else if (is(d, "merge")) {
                throw Errors.badRequest("merging lists cannot yet be specified in the patch");
            } else {
                throw badPatchType(d, item);
            }
        }
        if (replace) {
            ArrayNode out = Trees.array();
            for (JsonNode item : plain) out.add(mergeMap(null, (ObjectNode) item, itemShape));
            return out;
        }

        // The live order (after deletions) decides where server-only items go; keys do not change on merge.
        ArrayNode serverOrder = Trees.array();
        working.forEach(serverOrder::add);
        for (JsonNode item : plain) {
            if (item.get(key) == null) throw noMergeKey(item, key);
            int at = indexOf(working, item, key);
            if (at >= 0) {
                working.set(at, mergeMap((ObjectNode) working.get(at), (ObjectNode) item, itemShape));
            } else {
                working.add(mergeMap(null, (ObjectNode) item, itemShape));
            }
        }
        List<JsonNode> inPatch = new ArrayList<>();
        List<JsonNode> serverOnly = new ArrayList<>();
        for (JsonNode v : working) (indexOf(plain, v, key) >= 0 ? inPatch : serverOnly).add(v);
        return normalizeOrder(inPatch, serverOnly, plain, serverOrder, key);
    }

    /** All items of both lists are of one JSON kind, and not lists (Kubernetes has no lists of lists). */
    private static JsonNodeType elementKind(ArrayNode a, ArrayNode b) {
        JsonNodeType kind = null;
        for (ArrayNode list : List.of(a, b)) {
            for (JsonNode v : list) {
                if (v.isArray()) throw Errors.unprocessable("lists of lists are not supported");
                if (kind == null) {
                    kind = v.getNodeType();
                } else if (kind != v.getNodeType()) {
                    throw Errors.badRequest("list element types are not identical: [" + Trees.go(a) + " "
                            + Trees.go(b) + "]");
                }
            }
        }
        return kind;
    }

    /**
     * Puts the patch's items in the patch's order and the server-only items in their live order, then
     * interleaves the two: a server-only item goes before the next patch item that comes after it in the live
     * list; patch items the live list does not know go as early as they can (Go's {@code mergeSortedSlice}).
     */
    private static ArrayNode normalizeOrder(List<JsonNode> inPatch, List<JsonNode> serverOnly, JsonNode patchOrder,
                                            JsonNode serverOrder, String key) {
        List<JsonNode> right = sortedBy(inPatch, patchOrder, key);
        List<JsonNode> left = sortedBy(serverOnly, serverOrder, key);
        ArrayNode out = Trees.array();
        int i = 0;
        int j = 0;
        while (i < left.size() || j < right.size()) {
            if (j >= right.size()) {
                out.add(left.get(i++));
            } else if (i >= left.size()) {
                out.add(right.get(j++));
            } else {
                int li = indexOf(serverOrder, left.get(i), key);
                int ri = indexOf(serverOrder, right.get(j), key);
                if (li >= 0 && ri >= 0 && li < ri) {
                    out.add(left.get(i++));
                } else {
                    out.add(right.get(j++));
                }
            }
        }
        return out;
    }

    /** Stable sort by position in {@code order}; items not in it keep their relative order, after the others. */
    private static List<JsonNode> sortedBy(List<JsonNode> items, JsonNode order, String key) {
        List<JsonNode> found = new ArrayList<>();
        List<JsonNode> rest = new ArrayList<>();
        for (JsonNode v : items) (indexOf(order, v, key) >= 0 ? found : rest).add(v);
        found.sort((a, b) -> Integer.compare(indexOf(order, a, key), indexOf(order, b, key)));
        found.addAll(rest);
        return found;
    }

    private static int indexOf(List<JsonNode> list, JsonNode item, String key) {
        ArrayNode a = Trees.array();
        list.forEach(a::add);
        return indexOf(a, item, key);
    }

    /** Position of {@code item} in {@code list}: by merge key for objects, by value for scalars; -1 if absent. */
    private static int indexOf(JsonNode list, JsonNode item, String key) {
        if (key != null) {
            JsonNode k = item.isObject() ? item.get(key) : null;
            if (k == null) return -1;
            for (int i = 0; i < list.size(); i++) {
                JsonNode v = list.get(i);
                if (v.isObject() && Trees.same(v.get(key), k)) return i;
            }
            return -1;
        }
        for (int i = 0; i < list.size(); i++) {
            if (Trees.same(list.get(i), item)) return i;
        }
        return -1;
    }

    private static void addIfAbsent(List<JsonNode> list, JsonNode v) {
        for (JsonNode x : list) {
            if (Trees.same(x, v)) return;
        }
        list.add(v);
    }

    private static ArrayNode without(ArrayNode current, JsonNode toDelete) {
        ArrayNode out = Trees.array();
        for (JsonNode v : current) {
            if (indexOf(toDelete, v, null) < 0) out.add(v);
        }
        return out;
    }

    private static String directiveField(String directive, String prefix, String error) {
        int slash = directive.indexOf('/');
        if (slash != prefix.length() || slash == directive.length() - 1) throw Errors.badRequest(error);
        return directive.substring(slash + 1);
    }

    private static boolean is(JsonNode v, String s) {
        return v.isString() && v.stringValue().equals(s);
    }

    private static ApiException badPatchType(JsonNode directive, JsonNode in) {
        return Errors.badRequest("unknown patch type: " + Trees.go(directive) + " in map: " + Trees.go(in));
    }

    private static ApiException noMergeKey(JsonNode item, String key) {
        return Errors.badRequest("map: " + Trees.go(item) + " does not contain declared merge key: " + key);
    }
}
