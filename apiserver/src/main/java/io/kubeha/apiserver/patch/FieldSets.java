package io.kubeha.apiserver.patch;

import io.kubeha.apiserver.patch.FieldPath.Element;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Sets of field paths, the unit of ownership in managedFields: which fields an object sets, which fields an
 * update changed, and their fieldsV1 encoding. Lists and maps are seen as server-side apply sees them:
 * associative lists by key ({@code k:}), sets by value ({@code v:}), atomic lists, atomic structs and atomic
 * maps as one field.
 */
final class FieldSets {
    private FieldSets() {}

    /** An object server-side apply cannot take apart: duplicate list keys, an item without its key. */
    static final class InvalidObject extends RuntimeException {
        InvalidObject(String message) {
            super(message, null, false, false);
        }
    }

    /** Metadata kube-apiserver never tracks ownership of (its {@code stripMeta}): identity and bookkeeping. */
    private static final List<String> UNTRACKED_METADATA = List.of("name", "namespace", "creationTimestamp",
            "selfLink", "uid", "clusterName", "generation", "managedFields", "resourceVersion");

    /** A copy of {@code obj} without the fields no manager owns. */
    static ObjectNode tracked(ObjectNode obj) {
        ObjectNode copy = obj.deepCopy();
        copy.remove("apiVersion");
        copy.remove("kind");
        if (copy.get("metadata") instanceof ObjectNode meta) {
            UNTRACKED_METADATA.forEach(meta::remove);
            if (meta.isEmpty()) copy.remove("metadata");
        }
        return copy;
    }

    // ---------------------------------------------------------------------------------------------------
    // The fields an applied configuration sets.

    /**
     * The fields an applied configuration sets (structured-merge-diff's {@code ToFieldSet}): every scalar,
     * every item of an associative list (and its fields), every member of a set, every atomic value; a map is
     * not a field of its own unless it is empty.
     */
    static Set<FieldPath> applied(ObjectNode config, Shape root) {
        Set<FieldPath> out = new HashSet<>();
        walkObject(tracked(config), root, FieldPath.ROOT, out);
        return out;
    }

    private static void walkObject(JsonNode obj, Shape shape, FieldPath path, Set<FieldPath> out) {
        for (Map.Entry<String, JsonNode> e : obj.properties()) {
            if (e.getValue().isNull()) continue;
            Schema.Member m = Schema.member(shape, e.getKey());
            walkValue(e.getValue(), m.shape(), m.tag(), path.field(e.getKey()), out);
        }
    }

    private static void walkValue(JsonNode v, Shape shape, Tag tag, FieldPath path, Set<FieldPath> out) {
        if (v.isObject()) {
            if (v.isEmpty() || Schema.atomic(shape) || tag.applyAtomic()) {
                out.add(path);
            } else {
                walkObject(v, shape, path, out);
            }
        } else if (v.isArray()) {
            switch (tag.listType()) {
                case ATOMIC -> out.add(path);
                case SET -> {
                    for (JsonNode item : v) {
                        FieldPath itemPath = path.child(FieldPath.Value.of(item));
                        if (!out.add(itemPath)) {
                            throw new InvalidObject(path + ": duplicate entries for key " + itemPath.last());
                        }
                    }
                }
                case MAP -> {
                    for (int i = 0; i < v.size(); i++) {
                        JsonNode item = v.get(i);
                        FieldPath itemPath = path.child(keyOf(item, tag, i, path, true));
                        if (!out.add(itemPath)) {
                            throw new InvalidObject(path + ": duplicate entries for key " + itemPath.last());
                        }
                        if (item.isObject() && !Schema.atomic(shape.items())) walkObject(item, shape.items(), itemPath, out);
                    }
                }
            }
        } else {
            out.add(path);
        }
    }

    /**
     * The key of an item of an associative list, with the schema's defaults for omitted key fields (a container
     * port without a protocol is {@code {"containerPort":80,"protocol":"TCP"}}). An item that cannot be keyed is
     * an error in an applied configuration; in a live object it is named by position instead.
     */
    static Element keyOf(JsonNode item, Tag tag, int index, FieldPath list, boolean strict) {
        ObjectNode key = Trees.object();
        for (Tag.ListKey k : tag.applyKeys()) {
            JsonNode v = item.isObject() ? item.get(k.name()) : null;
            if (v == null || v.isNull()) v = k.defaultValue();
            if (v == null) {
                if (strict) {
                    throw new InvalidObject(list + ": element " + index + ": associative list with keys has an "
                            + "element that omits key field \"" + k.name() + "\" (and doesn't have default value)");
                }
                return new FieldPath.Index(index);
            }
            key.set(k.name(), v);
        }
        return FieldPath.Key.of(key);
    }

    // ---------------------------------------------------------------------------------------------------
    // What an update changed.

    /**
     * What changed from {@code old} to {@code neu}, as structured-merge-diff's {@code Compare}: paths added,
     * scalar (or atomic) values modified, and the roots of what was removed (whatever is owned at or below a
     * removed path is no longer there).
     */
    record Diff(Set<FieldPath> added, Set<FieldPath> modified, Set<FieldPath> removed) {
        boolean isEmpty() {
            return added.isEmpty() && modified.isEmpty() && removed.isEmpty();
        }
    }

    /** {@code old} null means the object is new: everything in {@code neu} was added. */
    static Diff compare(ObjectNode old, ObjectNode neu, Shape root) {
        Diff d = new Diff(new HashSet<>(), new HashSet<>(), new HashSet<>());
        compareObjects(old == null ? Trees.object() : tracked(old), tracked(neu), root, FieldPath.ROOT, d);
        return d;
    }

    private static void compareObjects(JsonNode old, JsonNode neu, Shape shape, FieldPath path, Diff d) {
        Set<String> keys = new LinkedHashSet<>(old.propertyNames());
        keys.addAll(neu.propertyNames());
        for (String k : keys) {
            Schema.Member m = Schema.member(shape, k);
            compareValues(present(old.get(k)), present(neu.get(k)), m.shape(), m.tag(), path.field(k), d);
        }
    }

    private static JsonNode present(JsonNode v) {
        return v == null || v.isNull() ? null : v;
    }

    private static void compareValues(JsonNode ov, JsonNode nv, Shape shape, Tag tag, FieldPath path, Diff d) {
        if (ov == null && nv == null) return;
        if (ov == null) {
            added(nv, shape, tag, path, d.added());
            return;
        }
        if (nv == null) {
            d.removed().add(path);
            return;
        }
        if (!Trees.sameKind(ov, nv)) {
            d.modified().add(path);
            if (nv.isContainer()) added(nv, shape, tag, path, d.added());
            return;
        }
        if (nv.isObject() && !Schema.atomic(shape) && !tag.applyAtomic()) {
            compareObjects(ov, nv, shape, path, d);
        } else if (nv.isArray() && tag.listType() != Tag.ListType.ATOMIC) {
            Map<Element, JsonNode> before = items(ov, tag, path);
            Map<Element, JsonNode> after = items(nv, tag, path);
            for (Map.Entry<Element, JsonNode> e : after.entrySet()) {
                FieldPath itemPath = path.child(e.getKey());
                JsonNode was = before.get(e.getKey());
                if (was == null) {
                    d.added().add(itemPath);
                    if (tag.listType() == Tag.ListType.MAP && e.getValue().isObject()) {
                        addedItemFields(e.getValue(), shape.items(), itemPath, d.added());
                    }
                } else if (tag.listType() == Tag.ListType.MAP && e.getValue().isObject() && was.isObject()) {
                    if (Schema.atomic(shape.items())) {
                        if (!Trees.same(was, e.getValue())) d.modified().add(itemPath);
                    } else {
                        compareObjects(was, e.getValue(), shape.items(), itemPath, d);
                    }
                } else if (!Trees.same(was, e.getValue())) {
                    d.modified().add(itemPath);
                }
            }
            for (Element k : before.keySet()) {
                if (!after.containsKey(k)) d.removed().add(path.child(k));
            }
        } else if (!Trees.same(ov, nv)) {
            d.modified().add(path);
        }
    }

    /** The items of a set or associative list by path element (the last of duplicates wins). */
    private static Map<Element, JsonNode> items(JsonNode list, Tag tag, FieldPath path) {
        Map<Element, JsonNode> out = new TreeMap<>();
        for (int i = 0; i < list.size(); i++) {
            JsonNode item = list.get(i);
            Element e = tag.listType() == Tag.ListType.SET ? FieldPath.Value.of(item) : keyOf(item, tag, i, path, false);
            out.put(e, item);
        }
        return out;
    }

    /**
     * The paths of a value that was not there before. Unlike an applied configuration, an update also owns a
     * new map itself (fieldsV1's {@code ".": {}}), as Kubernetes records it for labels, annotations and other
     * maps; structs are not, since Go always has them (their zero value) and so never adds them. Without a
     * model, the top-level fields (spec, status) are taken for structs.
     */
    private static void added(JsonNode v, Shape shape, Tag tag, FieldPath path, Set<FieldPath> out) {
        if (v.isObject() && !v.isEmpty() && !Schema.atomic(shape) && !tag.applyAtomic()) {
            if (ownsItself(shape, path)) out.add(path);
            for (Map.Entry<String, JsonNode> e : v.properties()) {
                if (e.getValue().isNull()) continue;
                Schema.Member m = Schema.member(shape, e.getKey());
                added(e.getValue(), m.shape(), m.tag(), path.field(e.getKey()), out);
            }
        } else if (v.isArray() && tag.listType() != Tag.ListType.ATOMIC) {
            for (Map.Entry<Element, JsonNode> e : items(v, tag, path).entrySet()) {
                FieldPath itemPath = path.child(e.getKey());
                out.add(itemPath);
                if (tag.listType() == Tag.ListType.MAP && e.getValue().isObject()) {
                    addedItemFields(e.getValue(), shape.items(), itemPath, out);
                }
            }
        } else {
            out.add(path);
        }
    }

    /** Maps, and objects of unknown type below the top level (the top level is always a struct). */
    private static boolean ownsItself(Shape shape, FieldPath path) {
        return shape instanceof Shape.MapOf || (shape instanceof Shape.Unknown && path.elements().size() > 1);
    }

    private static void addedItemFields(JsonNode item, Shape itemShape, FieldPath itemPath, Set<FieldPath> out) {
        if (Schema.atomic(itemShape)) return;
        for (Map.Entry<String, JsonNode> e : item.properties()) {
            if (e.getValue().isNull()) continue;
            Schema.Member m = Schema.member(itemShape, e.getKey());
            added(e.getValue(), m.shape(), m.tag(), itemPath.field(e.getKey()), out);
        }
    }

    // ---------------------------------------------------------------------------------------------------
    // Navigation.

    /** The value at {@code path} in {@code root}, or null. */
    static JsonNode at(JsonNode root, FieldPath path, Shape shape) {
        JsonNode node = root;
        Tag tag = Tag.NONE;
        for (Element e : path.elements()) {
            if (node == null) return null;
            switch (e) {
                case FieldPath.Field f -> {
                    Schema.Member m = Schema.member(shape, f.name());
                    node = node.isObject() ? present(node.get(f.name())) : null;
                    shape = m.shape();
                    tag = m.tag();
                }
                default -> {
                    int i = indexIn(node, e, tag);
                    node = i < 0 ? null : node.get(i);
                    shape = shape.items();
                    tag = Tag.NONE;
                }
            }
        }
        return node;
    }

    /** Removes the value at {@code path} from {@code root}, if it is there. */
    static void remove(JsonNode root, FieldPath path, Shape shape) {
        if (path.isRoot()) return;
        FieldPath parentPath = path.parent();
        JsonNode parent = at(root, parentPath, shape);
        if (parent == null) return;
        Element last = path.last();
        if (last instanceof FieldPath.Field f) {
            if (parent instanceof ObjectNode o) o.remove(f.name());
            return;
        }
        if (!(parent instanceof ArrayNode list)) return;
        int i = indexIn(list, last, tagAt(parentPath, shape));
        if (i >= 0) list.remove(i);
    }

    /** The tag of the field at {@code path} (which must end in a field name to have one). */
    static Tag tagAt(FieldPath path, Shape shape) {
        Tag tag = Tag.NONE;
        for (Element e : path.elements()) {
            if (e instanceof FieldPath.Field f) {
                Schema.Member m = Schema.member(shape, f.name());
                shape = m.shape();
                tag = m.tag();
            } else {
                shape = shape.items();
                tag = Tag.NONE;
            }
        }
        return tag;
    }

    /** The shape of the value at {@code path}. */
    static Shape shapeAt(FieldPath path, Shape shape) {
        for (Element e : path.elements()) {
            shape = e instanceof FieldPath.Field f ? Schema.member(shape, f.name()).shape() : shape.items();
        }
        return shape;
    }

    private static int indexIn(JsonNode list, Element e, Tag tag) {
        if (!list.isArray()) return -1;
        for (int i = 0; i < list.size(); i++) {
            JsonNode item = list.get(i);
            boolean match = switch (e) {
                case FieldPath.Index x -> x.index() == i;
                case FieldPath.Value v -> FieldPath.Value.of(item).equals(v);
                case FieldPath.Key k -> keyOf(item, tag, i, FieldPath.ROOT, false).equals(k);
                case FieldPath.Field f -> false;
            };
            if (match) return i;
        }
        return -1;
    }

    /** Whether {@code set} has {@code path} or anything below it. */
    static boolean hasAtOrBelow(Set<FieldPath> set, FieldPath path) {
        for (FieldPath p : set) {
            if (p.startsWith(path)) return true;
        }
        return false;
    }

    /** {@code set} without every path at or below one of {@code roots}. */
    static Set<FieldPath> withoutBelow(Set<FieldPath> set, Set<FieldPath> roots) {
        if (roots.isEmpty()) return set;
        Set<FieldPath> out = new HashSet<>();
        for (FieldPath p : set) {
            boolean gone = false;
            for (FieldPath r : roots) {
                if (p.startsWith(r)) {
                    gone = true;
                    break;
                }
            }
            if (!gone) out.add(p);
        }
        return out;
    }

    // ---------------------------------------------------------------------------------------------------
    // fieldsV1.

    /** The fieldsV1 form of a set: nested objects keyed by path elements, {@code ".": {}} marking a member. */
    static ObjectNode encode(Set<FieldPath> set) {
        Node root = new Node();
        for (FieldPath p : set) {
            Node n = root;
            for (Element e : p.elements()) n = n.children.computeIfAbsent(e, x -> new Node());
            n.member = true;
        }
        return root.write(false);
    }

    private static final class Node {
        boolean member;
        final TreeMap<Element, Node> children = new TreeMap<>();

        ObjectNode write(boolean self) {
            ObjectNode o = Trees.object();
            if (self && member && !children.isEmpty()) o.set(".", Trees.object());
            for (Map.Entry<Element, Node> c : children.entrySet()) o.set(c.getKey().encoded(), c.getValue().write(true));
            return o;
        }
    }

    /** Reads fieldsV1; IllegalArgumentException when it is not valid. */
    static Set<FieldPath> decode(JsonNode fieldsV1) {
        if (fieldsV1 == null || !fieldsV1.isObject()) throw new IllegalArgumentException("fieldsV1 must be an object");
        Set<FieldPath> out = new HashSet<>();
        decode(fieldsV1, FieldPath.ROOT, out);
        return out;
    }

    private static void decode(JsonNode node, FieldPath path, Set<FieldPath> out) {
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            if (!e.getValue().isObject()) throw new IllegalArgumentException("fieldsV1 values must be objects");
            if (e.getKey().equals(".")) {
                if (!path.isRoot()) out.add(path);
                continue;
            }
            FieldPath child = path.child(Element.decode(e.getKey()));
            if (e.getValue().isEmpty()) {
                out.add(child);
            } else {
                decode(e.getValue(), child, out);
            }
        }
    }
}
