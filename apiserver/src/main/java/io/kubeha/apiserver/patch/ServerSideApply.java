package io.kubeha.apiserver.patch;

import io.fabric8.kubernetes.api.model.StatusCause;
import io.fabric8.kubernetes.api.model.StatusDetails;
import io.kubeha.apiserver.api.ApiException;
import io.kubeha.apiserver.api.Json;
import io.kubeha.apiserver.patch.ManagedFields.Entry;
import io.kubeha.apiserver.patch.ManagedFields.Id;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Server-side apply: merges an applied configuration into the live object and keeps managedFields, as
 * kube-apiserver's field manager with structured-merge-diff does.
 *
 * <ol>
 *   <li>The configuration is merged into the live object: maps and structs key by key, associative lists by
 *       key, sets by value; scalars, atomic lists, atomic maps and atomic structs are replaced.</li>
 *   <li>Fields this manager applied last time and no longer applies are removed, unless another manager owns
 *       them (or something below them).</li>
 *   <li>A field the configuration changes that another manager owns is a conflict (409) unless forced, in which
 *       case the other manager loses it. A field set to the value it already has is not a conflict: both own it.
 *   </li>
 *   <li>The manager's entry ({@code operation: Apply}) now lists exactly the fields of the configuration.</li>
 * </ol>
 */
final class ServerSideApply {
    static final String BEFORE_FIRST_APPLY = "before-first-apply";
    static final String LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";
    /** kubectl's default field manager, which kube-apiserver gives two client-side-apply upgrade courtesies. */
    static final String KUBECTL = "kubectl";

    private ServerSideApply() {}

    /**
     * @param apiVersion the resource's group/version, which the configuration must name; null when unknown
     * @param kind       the resource's kind, written into the result; null when unknown
     */
    static ObjectNode apply(ObjectNode live, ObjectNode config, Shape root, String apiVersion, String kind,
                            ApplyOptions options) {
        String subresource = options.subresource();
        String configVersion = ManagedFields.text(config.get("apiVersion"));
        if (apiVersion != null && !apiVersion.equals(configVersion)) {
            throw Errors.badRequest("Incorrect version specified in apply patch. Specified patch version: "
                    + Objects.toString(configVersion, "") + ", expected: " + apiVersion);
        }
        JsonNode configMeta = config.get("metadata");
        if (configMeta != null && configMeta.has("managedFields") && !configMeta.get("managedFields").isNull()) {
            throw Errors.badRequest("metadata.managedFields must be nil");
        }
        ObjectNode applied = (ObjectNode) Trees.withoutNulls(config);
        Set<FieldPath> appliedSet;
        try {
            appliedSet = FieldSets.applied(applied, root);
        } catch (FieldSets.InvalidObject e) {
            throw Errors.badRequest("failed to create typed patch object (" + gvknn(applied, apiVersion, kind) + "): "
                    + e.getMessage());
        }
        String version = apiVersion != null ? apiVersion : configVersion;
        Instant now = options.now();

        ObjectNode base = live == null ? Trees.object() : live.deepCopy();
        List<Entry> entries = new ArrayList<>();
        if (live != null) {
            entries.addAll(ManagedFields.decodeOrEmpty(live.path("metadata").get("managedFields")));
            if (base.get("metadata") instanceof ObjectNode m) m.remove("managedFields");
            if (entries.isEmpty()) {
                // An object nobody tracked (created before managedFields, or with them cleared): its fields
                // are owned by a stand-in manager, so that applying over them is a conflict, not a silent take-over.
                Id stand = new Id(BEFORE_FIRST_APPLY, ManagedFields.UPDATE,
                        Objects.toString(ManagedFields.text(live.get("apiVersion")), version), null);
                entries = new ArrayList<>(ManagedFields.update(List.of(), FieldSets.compare(null, base, root), stand, now));
            }
        }

        ObjectNode merged = (ObjectNode) merge(base, applied, root, Tag.NONE);
        if (version != null) merged.put("apiVersion", version);
        if (kind != null) merged.put("kind", kind);

        Id self = new Id(options.fieldManager(), ManagedFields.APPLY, null, subresource);
        Entry previous = entries.stream().filter(self::matches).findFirst().orElse(null);
        List<Entry> others = new ArrayList<>(entries);
        others.remove(previous);

        prune(merged, previous, appliedSet, others, root);

        Map<Entry, List<FieldPath>> conflicts = conflicts(base, merged, appliedSet, others, root);
        if (!conflicts.isEmpty() && !options.force()
                && !(KUBECTL.equals(options.fieldManager()) && allowedByLastApplied(base, conflicts, root, version))) {
            throw conflictError(conflicts);
        }
        List<Entry> result = new ArrayList<>();
        for (Entry e : others) {
            Set<FieldPath> f = new HashSet<>(e.fields());
            conflicts.getOrDefault(e, List.of()).forEach(f::remove);
            if (!f.isEmpty()) result.add(e.withFields(f));
        }
        boolean unchanged = previous != null && previous.fields().equals(appliedSet) && Trees.same(base, merged);
        if (!appliedSet.isEmpty()) {
            result.add(new Entry(options.fieldManager(), ManagedFields.APPLY, configVersion,
                    unchanged ? previous.time() : now, subresource, appliedSet));
        }

        if (KUBECTL.equals(options.fieldManager())) syncLastApplied(merged, applied);
        ManagedFields.write(merged, result);
        return merged;
    }

    /** Merges the configuration into the live value. Nulls are already gone from the configuration. */
    private static JsonNode merge(JsonNode live, JsonNode config, Shape shape, Tag tag) {
        if (config.isObject()) {
            if (live == null || !live.isObject() || Schema.atomic(shape) || tag.applyAtomic()) return config.deepCopy();
            ObjectNode out = (ObjectNode) live.deepCopy();
            for (Map.Entry<String, JsonNode> e : config.properties()) {
                Schema.Member m = Schema.member(shape, e.getKey());
                out.set(e.getKey(), merge(out.get(e.getKey()), e.getValue(), m.shape(), m.tag()));
            }
            return out;
        }
        if (config.isArray() && live != null && live.isArray() && tag.listType() != Tag.ListType.ATOMIC) {
            return mergeList((ArrayNode) live, (ArrayNode) config, shape.items(), tag);
        }
        return config.deepCopy();
    }

    /**
     * Merges a set or an associative list as structured-merge-diff orders the result: the configuration's items
     * in its order, each live item it does not have where it was relative to them (a live item stays before
     * the configuration item that followed it in the live list).
     */
    private static ArrayNode mergeList(ArrayNode live, ArrayNode config, Shape itemShape, Tag tag) {
        boolean set = tag.listType() == Tag.ListType.SET;
        List<FieldPath.Element> left = new ArrayList<>();
        Map<FieldPath.Element, JsonNode> liveItems = new HashMap<>();
        for (int i = 0; i < live.size(); i++) {
            FieldPath.Element e = set ? FieldPath.Value.of(live.get(i)) : FieldSets.keyOf(live.get(i), tag, i, FieldPath.ROOT, false);
            left.add(e);
            liveItems.putIfAbsent(e, live.get(i));
        }
        List<FieldPath.Element> right = new ArrayList<>();
        Map<FieldPath.Element, JsonNode> configItems = new HashMap<>();
        for (int i = 0; i < config.size(); i++) {
            FieldPath.Element e = set ? FieldPath.Value.of(config.get(i)) : FieldSets.keyOf(config.get(i), tag, i, FieldPath.ROOT, true);
            right.add(e);
            configItems.putIfAbsent(e, config.get(i));
        }
        // The configuration's items that are also live, in the configuration's order.
        Deque<FieldPath.Element> shared = new ArrayDeque<>();
        for (FieldPath.Element e : right) {
            if (liveItems.containsKey(e)) shared.add(e);
        }
        FieldPath.Element nextShared = shared.poll();
        Set<FieldPath.Element> done = new HashSet<>();
        ArrayNode out = Trees.array();
        int l = 0;
        int r = 0;
        while (l < left.size() || r < right.size()) {
            if (l < left.size() && r < right.size()) {
                FieldPath.Element e = left.get(l);
                if (e.equals(right.get(r))) {
                    done.add(e);
                    out.add(mergeItem(liveItems.get(e), configItems.get(e), itemShape, set));
                    l++;
                    r++;
                    nextShared = shared.poll();
                    continue;
                }
                if (configItems.containsKey(e) && nextShared != null && !nextShared.equals(e)) {
                    l++; // shared, but the configuration wants it later
                    continue;
                }
            }
            if (l < left.size()) {
                FieldPath.Element e = left.get(l);
                if (!configItems.containsKey(e)) {
                    out.add(live.get(l).deepCopy());
                    l++;
                    continue;
                }
                if (done.contains(e)) {
                    l++;
                    continue;
                }
            }
            if (r < right.size()) {
                FieldPath.Element e = right.get(r);
                if (done.add(e)) out.add(mergeItem(liveItems.get(e), configItems.get(e), itemShape, set));
                r++;
                if (e.equals(nextShared)) nextShared = shared.poll();
            }
        }
        return out;
    }

    private static JsonNode mergeItem(JsonNode live, JsonNode config, Shape itemShape, boolean set) {
        if (set || live == null) return config.deepCopy();
        return merge(live, config, itemShape, Tag.NONE);
    }

    /**
     * Removes what this manager applied last time and no longer applies, unless another manager (or this
     * configuration) owns it or something below it. Key fields of an item that stays are kept.
     */
    private static void prune(ObjectNode merged, Entry previous, Set<FieldPath> appliedSet, List<Entry> others,
                              Shape root) {
        if (previous == null) return;
        Set<FieldPath> owned = new HashSet<>(appliedSet);
        for (Entry e : others) owned.addAll(e.fields());
        List<FieldPath> gone = new ArrayList<>();
        for (FieldPath p : previous.fields()) {
            if (!appliedSet.contains(p) && !FieldSets.hasAtOrBelow(owned, p)) gone.add(p);
        }
        // Deepest first, so that an item's fields go before the item (and an item that stays keeps its key).
        gone.sort(Comparator.comparingInt((FieldPath p) -> p.elements().size()).reversed());
        for (FieldPath p : gone) {
            if (isKeyFieldOfKeptItem(p, merged, root)) continue;
            FieldSets.remove(merged, p, root);
        }
    }

    private static boolean isKeyFieldOfKeptItem(FieldPath p, ObjectNode merged, Shape root) {
        if (p.elements().size() < 2 || !(p.last() instanceof FieldPath.Field f)) return false;
        if (!(p.parent().last() instanceof FieldPath.Key k)) return false;
        return k.fields().has(f.name()) && FieldSets.at(merged, p.parent(), root) != null;
    }

    /**
     * The fields of other managers this apply changes: a value that differs from the live one, or an item that
     * was not there. Keyed by manager entry, in path order.
     */
    private static Map<Entry, List<FieldPath>> conflicts(ObjectNode live, ObjectNode merged, Set<FieldPath> appliedSet,
                                                        List<Entry> others, Shape root) {
        Set<FieldPath> changed = new HashSet<>();
        for (FieldPath p : appliedSet) {
            JsonNode before = FieldSets.at(live, p, root);
            boolean container = false;
            for (FieldPath q : appliedSet) {
                if (q.elements().size() > p.elements().size() && q.startsWith(p)) {
                    container = true;
                    break;
                }
            }
            if (before == null || (!container && !Trees.same(before, FieldSets.at(merged, p, root)))) changed.add(p);
        }
        Map<Entry, List<FieldPath>> out = new LinkedHashMap<>();
        for (Entry e : others) {
            List<FieldPath> mine = new ArrayList<>();
            for (FieldPath p : e.fields()) {
                if (changed.contains(p)) mine.add(p);
            }
            if (!mine.isEmpty()) {
                mine.sort(Comparator.comparing(FieldPath::toString));
                out.put(e, mine);
            }
        }
        return out;
    }

    /**
     * kubectl's upgrade from client-side to server-side apply: conflicts only on fields whose live value is still
     * the one in the last-applied-configuration annotation are not real conflicts (the same person set them).
     */
    private static boolean allowedByLastApplied(ObjectNode live, Map<Entry, List<FieldPath>> conflicts, Shape root,
                                                String version) {
        String text = ManagedFields.text(live.path("metadata").path("annotations").get(LAST_APPLIED));
        if (text == null) return false;
        JsonNode last;
        try {
            last = Json.MAPPER.readTree(text);
        } catch (JacksonException e) {
            return false;
        }
        if (!(last instanceof ObjectNode lastObj)) return false;
        if (version != null && !version.equals(ManagedFields.text(lastObj.get("apiVersion")))) return false;
        Set<FieldPath> lastSet;
        try {
            lastSet = FieldSets.applied((ObjectNode) Trees.withoutNulls(lastObj), root);
        } catch (FieldSets.InvalidObject e) {
            return false;
        }
        for (List<FieldPath> paths : conflicts.values()) {
            for (FieldPath p : paths) {
                if (!lastSet.contains(p) || !Trees.same(FieldSets.at(lastObj, p, root), FieldSets.at(live, p, root))) {
                    return false;
                }
            }
        }
        return true;
    }

    /** When kubectl applies server-side an object it once applied client-side, its annotation follows along. */
    private static void syncLastApplied(ObjectNode merged, ObjectNode applied) {
        if (!(merged.path("metadata").get("annotations") instanceof ObjectNode annotations)
                || !annotations.has(LAST_APPLIED)) {
            return;
        }
        ObjectNode copy = applied.deepCopy();
        if (copy.path("metadata").get("annotations") instanceof ObjectNode a) {
            a.remove(LAST_APPLIED);
            if (a.isEmpty()) ((ObjectNode) copy.get("metadata")).remove("annotations");
        }
        annotations.put(LAST_APPLIED, Json.string(copy));
    }

    /** kube-apiserver's 409 for apply conflicts, message and causes worded as it words them. */
    private static ApiException conflictError(Map<Entry, List<FieldPath>> conflicts) {
        int n = conflicts.values().stream().mapToInt(List::size).sum();
        List<StatusCause> causes = new ArrayList<>();
        conflicts.forEach((e, paths) -> paths.forEach(p -> {
            StatusCause c = new StatusCause();
            c.setReason("FieldManagerConflict");
            c.setMessage("conflict with " + Id.describe(e));
            c.setField(p.toString());
            causes.add(c);
        }));
        String message;
        if (n == 1) {
            Map.Entry<Entry, List<FieldPath>> only = conflicts.entrySet().iterator().next();
            message = "Apply failed with 1 conflict: conflict with " + Id.describe(only.getKey()) + ": "
                    + only.getValue().get(0);
        } else {
            // kube-apiserver groups by manager, managers sorted by their identifier
            List<Map.Entry<Entry, List<FieldPath>>> byManager = new ArrayList<>(conflicts.entrySet());
            byManager.sort(Comparator.comparing(x -> Id.describe(x.getKey())));
            List<String> lines = new ArrayList<>();
            for (Map.Entry<Entry, List<FieldPath>> x : byManager) {
                lines.add("conflicts with " + Id.describe(x.getKey()) + ":");
                x.getValue().forEach(p -> lines.add("- " + p));
            }
            message = "Apply failed with " + n + " conflicts: " + String.join("\n", lines);
        }
        StatusDetails details = new StatusDetails();
        details.setCauses(causes);
        return new ApiException(409, "Conflict", message, details);
    }

    /** {@code namespace/name; group/version, Kind=Kind}, as kube-apiserver names an object in typing errors. */
    private static String gvknn(ObjectNode obj, String apiVersion, String kind) {
        JsonNode meta = obj.path("metadata");
        String gv = apiVersion != null ? apiVersion : Objects.toString(ManagedFields.text(obj.get("apiVersion")), "");
        String k = kind != null ? kind : Objects.toString(ManagedFields.text(obj.get("kind")), "");
        String groupVersion = gv.contains("/") ? gv : "/" + gv;
        return Objects.toString(ManagedFields.text(meta.get("namespace")), "") + "/"
                + Objects.toString(ManagedFields.text(meta.get("name")), "") + "; " + groupVersion + ", Kind=" + k;
    }
}
