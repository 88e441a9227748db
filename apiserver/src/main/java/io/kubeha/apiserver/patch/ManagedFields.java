package io.kubeha.apiserver.patch;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * {@code metadata.managedFields}: which manager owns which fields of an object, as kube-apiserver records it.
 * Server-side apply ({@link Patcher} with {@link Patcher.PatchType#APPLY}) keeps it itself; every other write
 * (create, update, the other patch types) calls {@link #recordUpdate} so that its manager owns what it
 * changed, with operation {@code Update}.
 */
public final class ManagedFields {
    static final String APPLY = "Apply";
    static final String UPDATE = "Update";
    static final String FIELDS_V1 = "FieldsV1";

    private ManagedFields() {}

    /**
     * Records a write by {@code manager} (operation {@code Update}) in the managedFields of {@code newObj}, as
     * kube-apiserver's field manager does for create, update and non-apply patch requests.
     *
     * <ul>
     *   <li>The manager comes to own every field the write added or changed; any other manager that owned one
     *       of those loses it, and fields the write removed are no longer owned by anyone.</li>
     *   <li>The managedFields in {@code newObj} are taken as the request's own when it sets them to something
     *       else than {@code oldObj}'s (a client may edit them); {@code [{}]} clears them, and an empty list
     *       means "not set" and keeps the old ones.</li>
     *   <li>As in Kubernetes, an existing object without managedFields is not tracked by updates (only an
     *       apply starts tracking it again), while a create ({@code oldObj} null) always is.</li>
     * </ul>
     *
     * @param model   the fabric8 class of the object, for list keys; null treats every list as atomic
     * @param oldObj  the stored object before the write, or null for a create
     * @param newObj  the object about to be stored
     * @param manager the field manager: the request's {@code fieldManager}, or kube-apiserver's default derived
     *                from the user agent (e.g. {@code kubectl-edit})
     * @param now     the time the write happens (entries have second precision)
     * @return a copy of {@code newObj} with its managedFields updated; the arguments are not modified
     */
    public static ObjectNode recordUpdate(Class<?> model, ObjectNode oldObj, ObjectNode newObj, String manager,
                                          Instant now) {
        return recordUpdate(model, oldObj, newObj, manager, null, now);
    }

    /**
     * {@link #recordUpdate(Class, ObjectNode, ObjectNode, String, Instant)} for a write through a subresource
     * ({@code status}, {@code scale}): the entry names it, and the request cannot set managedFields.
     */
    public static ObjectNode recordUpdate(Class<?> model, ObjectNode oldObj, ObjectNode newObj, String manager,
                                          String subresource, Instant now) {
        Objects.requireNonNull(newObj, "newObj");
        Objects.requireNonNull(manager, "manager");
        Objects.requireNonNull(now, "now");
        ObjectNode result = newObj.deepCopy();
        JsonNode newFields = newObj.path("metadata").get("managedFields");
        JsonNode oldFields = oldObj == null ? null : oldObj.path("metadata").get("managedFields");

        List<Entry> base;
        if (subresource != null && !subresource.isEmpty()) {
            base = decodeOrEmpty(oldFields);
        } else if (isReset(newFields)) {
            base = List.of();
        } else {
            base = decodeOrEmpty(newFields);
            if (base.isEmpty()) base = decodeOrEmpty(oldFields);
        }
        if (oldObj != null && base.isEmpty()) {
            write(result, List.of());
            return result;
        }
        Shape root = Schema.root(model);
        FieldSets.Diff diff = FieldSets.compare(oldObj, newObj, root);
        Id id = new Id(manager, UPDATE, text(newObj.get("apiVersion")), emptyToNull(subresource));
        write(result, update(base, diff, id, now));
        return result;
    }

    /** Who an entry belongs to. An applier is one manager whatever apiVersion it applies with; an updater is not. */
    record Id(String manager, String operation, String apiVersion, String subresource) {
        boolean matches(Entry e) {
            return manager.equals(e.manager()) && operation.equals(e.operation())
                    && Objects.equals(subresource, e.subresource())
                    && (operation.equals(APPLY) || Objects.equals(apiVersion, e.apiVersion()));
        }

        /** As kube-apiserver names a manager in a conflict: {@code "kubectl"} or {@code "x" using apps/v1}. */
        static String describe(Entry e) {
            String s = "\"" + e.manager() + "\"";
            if (e.subresource() != null) s += " with subresource \"" + e.subresource() + "\"";
            return e.operation().equals(UPDATE) ? s + " using " + e.apiVersion() : s;
        }
    }

    /** One managedFields entry, with its fields decoded. */
    record Entry(String manager, String operation, String apiVersion, Instant time, String subresource,
                 Set<FieldPath> fields) {
        Entry withFields(Set<FieldPath> f) {
            return new Entry(manager, operation, apiVersion, time, subresource, f);
        }
    }

    /**
     * Gives the fields an update added or changed to its manager, taking them from every other manager, and
     * drops what it removed, as structured-merge-diff's {@code Updater.Update}. The manager's time moves only
     * when it came to own something.
     */
    static List<Entry> update(List<Entry> entries, FieldSets.Diff diff, Id id, Instant now) {
        Set<FieldPath> changed = new HashSet<>(diff.added());
        changed.addAll(diff.modified());
        changed = FieldSets.withoutBelow(changed, diff.removed());
        List<Entry> out = new ArrayList<>();
        Entry self = null;
        for (Entry e : entries) {
            Set<FieldPath> f = new HashSet<>(e.fields());
            f.removeAll(changed);
            f = FieldSets.withoutBelow(f, diff.removed());
            if (id.matches(e)) {
                self = e.withFields(f);
            } else {
                out.add(e.withFields(f));
            }
        }
        if (!changed.isEmpty()) {
            Set<FieldPath> f = new HashSet<>(changed);
            if (self != null) f.addAll(self.fields());
            self = new Entry(id.manager(), id.operation(), id.apiVersion(), now, id.subresource(), f);
        }
        if (self != null) out.add(self);
        out.removeIf(e -> e.fields().isEmpty());
        return out;
    }

    // ---------------------------------------------------------------------------------------------------
    // Encoding.

    /** The entries of a managedFields list; an absent, empty or unreadable list has none. */
    static List<Entry> decodeOrEmpty(JsonNode managedFields) {
        try {
            return decode(managedFields);
        } catch (IllegalArgumentException e) {
            // kube-apiserver resets managedFields it cannot decode rather than failing every write
            return List.of();
        }
    }

    static List<Entry> decode(JsonNode managedFields) {
        if (managedFields == null || managedFields.isNull()) return List.of();
        if (!managedFields.isArray()) throw new IllegalArgumentException("managedFields must be a list");
        List<Entry> out = new ArrayList<>();
        for (JsonNode e : managedFields) {
            if (!e.isObject()) throw new IllegalArgumentException("managedFields entries must be objects");
            String type = text(e.get("fieldsType"));
            if (!FIELDS_V1.equals(type)) throw new IllegalArgumentException("unsupported fieldsType " + type);
            String manager = text(e.get("manager"));
            String operation = text(e.get("operation"));
            if (manager == null || !(APPLY.equals(operation) || UPDATE.equals(operation))) {
                throw new IllegalArgumentException("invalid managedFields entry");
            }
            JsonNode fields = e.get("fieldsV1");
            out.add(new Entry(manager, operation, text(e.get("apiVersion")), time(e.get("time")),
                    emptyToNull(text(e.get("subresource"))),
                    fields == null || fields.isNull() ? Set.of() : FieldSets.decode(fields)));
        }
        return out;
    }

    /**
     * The managedFields list of {@code entries}, in kube-apiserver's order: appliers before updaters, then
     * oldest first, then by manager, apiVersion and subresource.
     */
    static ArrayNode encode(List<Entry> entries) {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparing(Entry::operation)
                .thenComparingLong(e -> e.time() == null ? 0 : e.time().getEpochSecond())
                .thenComparing(Entry::manager)
                .thenComparing(e -> Objects.toString(e.apiVersion(), ""))
                .thenComparing(e -> Objects.toString(e.subresource(), "")));
        ArrayNode out = Trees.array();
        for (Entry e : sorted) {
            ObjectNode o = out.addObject();
            o.put("manager", e.manager());
            o.put("operation", e.operation());
            if (e.apiVersion() != null) o.put("apiVersion", e.apiVersion());
            if (e.time() != null) o.put("time", e.time().truncatedTo(ChronoUnit.SECONDS).toString());
            o.put("fieldsType", FIELDS_V1);
            o.set("fieldsV1", FieldSets.encode(e.fields()));
            if (e.subresource() != null) o.put("subresource", e.subresource());
        }
        return out;
    }

    /** Sets (or, with no entries, removes) the managedFields of {@code obj}. */
    static void write(ObjectNode obj, List<Entry> entries) {
        JsonNode meta = obj.get("metadata");
        if (entries.isEmpty()) {
            if (meta instanceof ObjectNode m) m.remove("managedFields");
            return;
        }
        ObjectNode m = meta instanceof ObjectNode o ? o : obj.putObject("metadata");
        m.set("managedFields", encode(entries));
    }

    /** {@code [{}]} (only empty entries) is how a client asks to clear managedFields. */
    private static boolean isReset(JsonNode managedFields) {
        if (managedFields == null || !managedFields.isArray() || managedFields.isEmpty()) return false;
        for (JsonNode e : managedFields) {
            if (!e.isObject() || !e.isEmpty()) return false;
        }
        return true;
    }

    private static Instant time(JsonNode t) {
        String s = text(t);
        if (s == null || s.isEmpty()) return null;
        try {
            return OffsetDateTime.parse(s).toInstant();
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("invalid time " + s, e);
        }
    }

    static String text(JsonNode n) {
        return n != null && n.isString() ? n.stringValue() : null;
    }

    private static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }
}
