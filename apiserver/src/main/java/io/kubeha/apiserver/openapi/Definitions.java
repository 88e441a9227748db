package io.kubeha.apiserver.openapi;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.MicroTime;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.runtime.RawExtension;
import io.kubeha.apiserver.api.Json;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.WildcardType;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZonedDateTime;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The schema definitions of the fabric8 model classes, named as Kubernetes names them
 * ({@code io.k8s.api.core.v1.Pod}), in Swagger 2.0 form (references are {@code #/definitions/NAME}).
 *
 * <p>A definition is made from the class's Jackson properties (fields annotated {@link JsonProperty}, as every
 * fabric8 model class has them), so it describes exactly what our codec reads and writes. What the Java types
 * cannot say — which strings are timestamps or base64, which lists merge by which key — comes from
 * {@link KubeFacts}. Not thread-safe: one instance is filled once, under the lock of {@link OpenApi}.
 */
final class Definitions {
    static final String PREFIX = "#/definitions/";
    static final String META = "io.k8s.apimachinery.pkg.apis.meta.v1.";
    static final String TIME = META + "Time";
    static final String MICRO_TIME = META + "MicroTime";
    static final String QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity";
    static final String INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString";
    static final String RAW_EXTENSION = "io.k8s.apimachinery.pkg.runtime.RawExtension";
    static final String FIELDS_V1 = META + "FieldsV1";
    static final String PATCH = META + "Patch";
    static final String WATCH_EVENT = META + "WatchEvent";

    private static final String FABRIC8 = "io.fabric8.kubernetes.api.model";

    /**
     * fabric8 keeps apimachinery's meta/v1 types in the same package as core/v1; Kubernetes names them apart.
     * Only names of this set that are reachable from a served type matter; the rest are here so a new field
     * referring to one of them gets the right name without anyone noticing.
     */
    private static final Set<String> META_TYPES = Set.of(
            "APIGroup", "APIGroupList", "APIResource", "APIResourceList", "APIVersions", "Condition", "CreateOptions",
            "DeleteOptions", "FieldSelectorRequirement", "FieldsV1", "GetOptions", "GroupKind", "GroupResource",
            "GroupVersionForDiscovery", "GroupVersionKind", "GroupVersionResource", "LabelSelector",
            "LabelSelectorRequirement", "ListMeta", "ListOptions", "ManagedFieldsEntry", "MicroTime", "ObjectMeta",
            "OwnerReference", "PartialObjectMetadata", "PartialObjectMetadataList", "Patch", "PatchOptions",
            "Preconditions", "RootPaths", "ServerAddressByClientCIDR", "Status", "StatusCause", "StatusDetails",
            "Table", "TableColumnDefinition", "TableRow", "TypeMeta", "UpdateOptions", "WatchEvent");

    /** What the standard fields of every kind mean (kubectl explain shows these). */
    private static final Map<String, String> TOP_LEVEL = Map.of(
            "apiVersion", "The versioned schema of this representation of an object: group/version, or v1 for the core group.",
            "kind", "The REST resource this object represents, in CamelCase.",
            "metadata", "Standard object metadata; for a list, standard list metadata.",
            "spec", "The desired state of the object.",
            "status", "The most recently observed state of the object. Read-only for clients.",
            "items", "The objects of the list.");

    private final SortedMap<String, ObjectNode> byName = new TreeMap<>();
    private final Map<Class<?>, String> names = new HashMap<>();

    Definitions() {
        // The apimachinery scalars: our codec writes each of them as one JSON string (or number), not as the
        // bean fabric8 models them with, so their schemas are fixed rather than reflected.
        put(TIME, scalar("string", "date-time", "A timestamp in RFC 3339 form, to the second."));
        put(MICRO_TIME, scalar("string", "date-time", "A timestamp in RFC 3339 form, to the microsecond."));
        put(QUANTITY, scalar("string", null, "A fixed-point number with an optional suffix: 100m, 1.5Gi, 2."));
        put(INT_OR_STRING, scalar("string", "int-or-string", "An integer or a string."));
        put(RAW_EXTENSION, object("An embedded object, any JSON object."));
        put(FIELDS_V1, object("The set of fields a manager owns, in the FieldsV1 trie form."));
        put(PATCH, object("The body of a PATCH request: a JSON patch, merge patch, strategic merge patch or apply configuration."));
        names.put(Quantity.class, QUANTITY);
        names.put(IntOrString.class, INT_OR_STRING);
        names.put(RawExtension.class, RAW_EXTENSION);
        names.put(MicroTime.class, MICRO_TIME);
        names.put(io.fabric8.kubernetes.api.model.FieldsV1.class, FIELDS_V1);
        names.put(io.fabric8.kubernetes.api.model.Patch.class, PATCH);

        // fabric8's WatchEvent holds an untyped Object; the wire form is {type, object}
        ObjectNode watch = object("An event on a watch stream: ADDED, MODIFIED, DELETED, BOOKMARK or ERROR, with the object.");
        ObjectNode props = watch.putObject("properties");
        props.set("object", ref(RAW_EXTENSION));
        props.putObject("type").put("type", "string");
        watch.putArray("required").add("type").add("object");
        put(WATCH_EVENT, watch);
        names.put(io.fabric8.kubernetes.api.model.WatchEvent.class, WATCH_EVENT);
    }

    /** The definition name of a fabric8 model class, creating its definition (and those it refers to) on first use. */
    String define(Class<?> type) {
        String known = names.get(type);
        if (known != null) return known;
        String name = nameOf(type);
        names.put(type, name);
        ObjectNode def = Json.object();
        put(name, def); // before the properties: a type may refer to itself (JSONSchemaProps-like recursion)
        def.put("type", "object");
        SortedMap<String, Field> properties = properties(type);
        if (!properties.isEmpty()) {
            ObjectNode props = def.putObject("properties");
            for (Map.Entry<String, Field> p : properties.entrySet()) {
                props.set(p.getKey(), schemaOf(p.getValue().getGenericType(), name, p.getKey()));
            }
        }
        KubeFacts.decorate(name, def);
        return name;
    }

    /** Marks a definition as the schema of a top-level kind, as Kubernetes' {@code x-kubernetes-group-version-kind}. */
    void kind(String name, String group, String version, String kind) {
        ObjectNode def = byName.get(name);
        if (def == null) throw new IllegalArgumentException("no definition " + name);
        if (def.get("properties") instanceof ObjectNode props) {
            for (Map.Entry<String, String> d : TOP_LEVEL.entrySet()) {
                if (props.get(d.getKey()) instanceof ObjectNode p && !p.has("description")) p.put("description", d.getValue());
            }
        }
        ArrayNode gvks = def.has(KubeFacts.GVK) ? (ArrayNode) def.get(KubeFacts.GVK) : def.putArray(KubeFacts.GVK);
        ObjectNode gvk = Json.object().put("group", group).put("kind", kind).put("version", version);
        for (JsonNode existing : gvks) if (existing.equals(gvk)) return;
        gvks.add(gvk);
    }

    /** Adds a definition that is not reflected from a fabric8 class (the autoscaling/v1 Scale family). */
    void put(String name, ObjectNode schema) {
        if (byName.putIfAbsent(name, schema) != null) throw new IllegalStateException("two definitions named " + name);
    }

    boolean has(String name) {
        return byName.containsKey(name);
    }

    /** All definitions by name, in name order. */
    SortedMap<String, ObjectNode> all() {
        return byName;
    }

    static ObjectNode ref(String name) {
        return Json.object().put("$ref", PREFIX + name);
    }

    /** {@code io.k8s.api.apps.v1.Deployment} for fabric8's {@code io.fabric8.kubernetes.api.model.apps.Deployment}. */
    static String nameOf(Class<?> type) {
        String pkg = type.getPackageName();
        String simple = type.getSimpleName();
        if (pkg.equals(FABRIC8)) return (META_TYPES.contains(simple) ? META : "io.k8s.api.core.v1.") + simple;
        if (!pkg.startsWith(FABRIC8 + ".")) throw new IllegalArgumentException(type + " is not a fabric8 Kubernetes model class");
        String groupVersion = pkg.substring(FABRIC8.length() + 1);
        // fabric8 leaves the version out of the package when a group has one stable version (apps, batch)
        if (!groupVersion.matches(".*\\.v\\d+((alpha|beta)\\d+)?")) groupVersion += ".v1";
        return "io.k8s.api." + groupVersion + "." + simple;
    }

    /** The Jackson properties of a fabric8 class (its own and inherited), by JSON name. */
    static SortedMap<String, Field> properties(Class<?> type) {
        SortedMap<String, Field> out = new TreeMap<>();
        for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                if (Modifier.isStatic(f.getModifiers()) || f.isAnnotationPresent(JsonIgnore.class)) continue;
                JsonProperty json = f.getAnnotation(JsonProperty.class);
                if (json == null) continue;
                String name = json.value().isEmpty() ? f.getName() : json.value();
                out.putIfAbsent(name, f);
            }
        }
        return out;
    }

    private ObjectNode schemaOf(Type type, String owner, String property) {
        if (type instanceof Class<?> c) return schemaOf(c, owner, property);
        if (type instanceof ParameterizedType p && p.getRawType() instanceof Class<?> raw) {
            Type[] args = p.getActualTypeArguments();
            if (Collection.class.isAssignableFrom(raw)) {
                ObjectNode s = Json.object().put("type", "array");
                s.set("items", schemaOf(bound(args[0]), owner, property));
                return s;
            }
            if (Map.class.isAssignableFrom(raw)) {
                ObjectNode s = Json.object().put("type", "object");
                s.set("additionalProperties", schemaOf(bound(args[1]), owner, property));
                return s;
            }
        }
        throw new IllegalStateException("no schema for " + type + " (" + owner + "." + property + ")");
    }

    private ObjectNode schemaOf(Class<?> c, String owner, String property) {
        if (c == String.class) {
            String special = KubeFacts.stringFormat(owner, property);
            if (special == null) return Json.object().put("type", "string");
            if (special.equals(TIME) || special.equals(MICRO_TIME)) return ref(special);
            return Json.object().put("type", "string").put("format", special);
        }
        if (c == Integer.class || c == int.class) return scalar("integer", "int32", null);
        if (c == Long.class || c == long.class) return scalar("integer", "int64", null);
        if (c == Boolean.class || c == boolean.class) return Json.object().put("type", "boolean");
        if (c == Double.class || c == double.class) return scalar("number", "double", null);
        if (c == Float.class || c == float.class) return scalar("number", "float", null);
        // fabric8 types Lease's acquireTime/renewTime (Kubernetes MicroTimes) as ZonedDateTime
        if (c == ZonedDateTime.class || c == OffsetDateTime.class || c == Instant.class) return ref(MICRO_TIME);
        // untyped fields (ControllerRevision.data, WatchEvent.object) are embedded objects on the wire
        if (c == Object.class) return ref(RAW_EXTENSION);
        if (c.getPackageName().startsWith(FABRIC8)) return ref(define(c));
        throw new IllegalStateException("no schema for " + c.getName() + " (" + owner + "." + property + ")");
    }

    private static Type bound(Type t) {
        return t instanceof WildcardType w ? w.getUpperBounds()[0] : t;
    }

    static ObjectNode scalar(String type, String format, String description) {
        ObjectNode s = Json.object();
        if (description != null) s.put("description", description);
        s.put("type", type);
        if (format != null) s.put("format", format);
        return s;
    }

    static ObjectNode object(String description) {
        ObjectNode s = Json.object();
        if (description != null) s.put("description", description);
        s.put("type", "object");
        return s;
    }

    /** The names of all definitions that {@code node} refers to, directly or through other definitions. */
    void closure(JsonNode node, Map<String, ObjectNode> into) {
        List<JsonNode> todo = new java.util.ArrayList<>(List.of(node));
        while (!todo.isEmpty()) {
            JsonNode n = todo.removeLast();
            if (n.isObject()) {
                JsonNode r = n.get("$ref");
                if (r != null && r.isString() && r.asString().startsWith(PREFIX)) {
                    String name = r.asString().substring(PREFIX.length());
                    ObjectNode def = byName.get(name);
                    if (def == null) throw new IllegalStateException("dangling reference to " + name);
                    if (into.putIfAbsent(name, def) == null) todo.add(def);
                }
                for (Map.Entry<String, JsonNode> e : n.properties()) todo.add(e.getValue());
            } else if (n.isArray()) {
                for (JsonNode e : n) todo.add(e);
            }
        }
    }

    /** A sorted copy of the closure, for documents that carry only what their paths use. */
    SortedMap<String, ObjectNode> closure(JsonNode node) {
        Map<String, ObjectNode> found = new LinkedHashMap<>();
        closure(node, found);
        return new TreeMap<>(found);
    }
}
