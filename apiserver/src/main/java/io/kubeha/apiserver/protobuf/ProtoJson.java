package io.kubeha.apiserver.protobuf;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Message;
import io.kubeha.apiserver.api.Json;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Converts between a Kubernetes protobuf message and the JSON tree the API server holds, generically over the
 * message's descriptor: Kubernetes names each proto field as its JSON field, so a field maps to the property of the
 * same name, a repeated field to an array, a map field to an object, a bytes field to base64. The few types whose
 * JSON is not their proto shape are handled by their full names (see the package doc).
 *
 * <p>Proto to JSON drops a scalar that holds its zero value ("", 0, false): Kubernetes' Go marshaller writes every
 * non-pointer scalar, set or not, and for those Go does not tell zero from absent. The fields Go holds as pointers,
 * where an explicit zero means something ({@code replicas: 0}, {@code automountServiceAccountToken: false},
 * {@code runAsUser: 0}), keep it: {@link #EXPLICIT_ZEROS}. JSON to proto sets every property the message knows and
 * skips the others.
 */
public final class ProtoJson {
    private static final String META = "k8s.io.apimachinery.pkg.apis.meta.v1.";
    static final String TIME = META + "Time";
    static final String MICRO_TIME = META + "MicroTime";
    static final String DURATION = META + "Duration";
    static final String FIELDS_V1 = META + "FieldsV1";
    static final String VERBS = META + "Verbs";
    static final String INT_OR_STRING = "k8s.io.apimachinery.pkg.util.intstr.IntOrString";
    static final String QUANTITY = "k8s.io.apimachinery.pkg.api.resource.Quantity";
    static final String QUANTITY_VALUE = "k8s.io.apimachinery.pkg.api.resource.QuantityValue";
    static final String RAW_EXTENSION = "k8s.io.apimachinery.pkg.runtime.RawExtension";

    /**
     * Go structs embedded with {@code json:",inline"}: a proto field of their own, their fields inlined in JSON. Every
     * field named {@code localObjectReference} is one too (ConfigMapVolumeSource, SecretKeySelector, ...).
     */
    static final Set<String> INLINE = Set.of(
            "k8s.io.api.core.v1.Volume.volumeSource",
            "k8s.io.api.core.v1.PersistentVolumeSpec.persistentVolumeSource",
            "k8s.io.api.core.v1.Probe.handler",
            "k8s.io.api.core.v1.EphemeralContainer.ephemeralContainerCommon",
            "k8s.io.api.networking.v1.IngressRule.ingressRuleValue",
            "k8s.io.api.networking.v1beta1.IngressRule.ingressRuleValue",
            "k8s.io.api.extensions.v1beta1.IngressRule.ingressRuleValue");

    static boolean inline(FieldDescriptor f) {
        return f.getJavaType() == FieldDescriptor.JavaType.MESSAGE && !f.isRepeated()
                && (INLINE.contains(f.getFullName()) || f.getName().equals("localObjectReference"));
    }

    /**
     * JSON names of scalar fields that Go holds as pointers and whose zero value differs from absence: these keep a
     * zero, false or "" that came in protobuf.
     */
    static final Set<String> EXPLICIT_ZEROS = Set.of(
            // workloads
            "replicas", "revisionHistoryLimit", "progressDeadlineSeconds", "partition", "paused",
            "parallelism", "completions", "backoffLimit", "backoffLimitPerIndex", "maxFailedIndexes", "activeDeadlineSeconds",
            "ttlSecondsAfterFinished", "suspend", "manualSelector", "startingDeadlineSeconds", "successfulJobsHistoryLimit",
            "failedJobsHistoryLimit",
            // pods and containers
            "terminationGracePeriodSeconds", "tolerationSeconds", "runAsUser", "runAsGroup", "fsGroup", "runAsNonRoot",
            "privileged", "allowPrivilegeEscalation", "readOnlyRootFilesystem", "automountServiceAccountToken",
            "enableServiceLinks", "shareProcessNamespace", "setHostnameAsFQDN", "hostUsers", "priority", "started",
            "optional", "defaultMode", "mode", "storageClassName", "expirationSeconds",
            // config, services, endpoint slices, leases, owner references
            "immutable", "allocateLoadBalancerNodePorts", "ready", "serving", "terminating", "holderIdentity",
            "leaseDurationSeconds", "leaseTransitions", "controller", "blockOwnerDeletion",
            // delete options
            "gracePeriodSeconds", "orphanDependents");

    private static final DateTimeFormatter MICROS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'").withZone(ZoneOffset.UTC);
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private ProtoJson() {}

    /** Bad input: a message that has no JSON form (raw bytes that are not JSON, a malformed time). */
    public static final class ConversionException extends RuntimeException {
        ConversionException(String message) {
            super(message);
        }
    }

    // ------------------------------------------------------------------ proto to JSON

    /** The message as a JSON object (a Go zero scalar is left out; see the class doc). */
    public static ObjectNode toJson(Message m) {
        ObjectNode out = Json.object();
        for (FieldDescriptor f : m.getDescriptorForType().getFields()) {
            if (f.isMapField()) {
                @SuppressWarnings("unchecked")
                List<Message> entries = (List<Message>) m.getField(f);
                if (entries.isEmpty()) continue;
                FieldDescriptor k = f.getMessageType().findFieldByNumber(1);
                FieldDescriptor v = f.getMessageType().findFieldByNumber(2);
                ObjectNode map = out.putObject(f.getName());
                for (Message e : entries) {
                    JsonNode value = value(v, e.getField(v), true);
                    map.set(String.valueOf(e.getField(k)), value == null ? NODES.nullNode() : value);
                }
            } else if (f.isRepeated()) {
                int n = m.getRepeatedFieldCount(f);
                if (n == 0) continue;
                ArrayNode arr = out.putArray(f.getName());
                for (int i = 0; i < n; i++) {
                    JsonNode value = value(f, m.getRepeatedField(f, i), true);
                    arr.add(value == null ? NODES.nullNode() : value);
                }
            } else if (m.hasField(f)) {
                JsonNode value = value(f, m.getField(f), EXPLICIT_ZEROS.contains(f.getName()));
                if (value == null) continue;
                if (inline(f) && value instanceof ObjectNode inline) {
                    inline.properties().forEach(e -> out.set(e.getKey(), e.getValue()));
                } else {
                    out.set(f.getName(), value);
                }
            }
        }
        return out;
    }

    /** One value of a field, or null to leave it out (a zero scalar unless {@code keepZero}, a zero time). */
    private static JsonNode value(FieldDescriptor f, Object v, boolean keepZero) {
        return switch (f.getJavaType()) {
            case MESSAGE -> message((Message) v);
            case STRING -> keepZero || !((String) v).isEmpty() ? NODES.stringNode((String) v) : null;
            case INT -> keepZero || (Integer) v != 0 ? NODES.numberNode((Integer) v) : null;
            case LONG -> keepZero || (Long) v != 0 ? number((Long) v) : null;
            case FLOAT -> keepZero || (Float) v != 0 ? NODES.numberNode((Float) v) : null;
            case DOUBLE -> keepZero || (Double) v != 0 ? NODES.numberNode((Double) v) : null;
            case BOOLEAN -> keepZero || (Boolean) v ? NODES.booleanNode((Boolean) v) : null;
            case BYTE_STRING -> keepZero || !((ByteString) v).isEmpty()
                    ? NODES.stringNode(Base64.getEncoder().encodeToString(((ByteString) v).toByteArray())) : null;
            case ENUM -> NODES.stringNode(v.toString());
        };
    }

    /** An int64 as Jackson reads it from JSON text: an int node when it fits, so trees compare equal. */
    private static JsonNode number(long v) {
        return v == (int) v ? NODES.numberNode((int) v) : NODES.numberNode(v);
    }

    /** A message as JSON: the special types by their full name, the others as objects. */
    private static JsonNode message(Message m) {
        Descriptor d = m.getDescriptorForType();
        switch (d.getFullName()) {
            case TIME, MICRO_TIME -> {
                long seconds = (Long) m.getField(d.findFieldByName("seconds"));
                int nanos = (Integer) m.getField(d.findFieldByName("nanos"));
                if (seconds == 0 && nanos == 0) return null; // Go's zero time: an empty message
                Instant at = Instant.ofEpochSecond(seconds, nanos);
                return NODES.stringNode(d.getFullName().equals(TIME)
                        ? DateTimeFormatter.ISO_INSTANT.format(at.truncatedTo(java.time.temporal.ChronoUnit.SECONDS))
                        : MICROS.format(at));
            }
            case DURATION -> {
                return NODES.stringNode(GoDuration.format((Long) m.getField(d.findFieldByName("duration"))));
            }
            case INT_OR_STRING -> {
                long type = (Long) m.getField(d.findFieldByName("type"));
                return type == 1 ? NODES.stringNode((String) m.getField(d.findFieldByName("strVal")))
                        : NODES.numberNode((Integer) m.getField(d.findFieldByName("intVal")));
            }
            case QUANTITY, QUANTITY_VALUE -> {
                return NODES.stringNode((String) m.getField(d.findFieldByName("string")));
            }
            case RAW_EXTENSION -> {
                ByteString raw = (ByteString) m.getField(d.findFieldByName("raw"));
                return raw.isEmpty() ? null : embedded(raw.toByteArray());
            }
            case FIELDS_V1 -> {
                ByteString raw = (ByteString) m.getField(d.findFieldByName("Raw"));
                return raw.isEmpty() ? null : embedded(raw.toByteArray());
            }
            default -> {
                if (isStringList(d)) {
                    ArrayNode arr = NODES.arrayNode();
                    FieldDescriptor items = d.getFields().getFirst();
                    for (int i = 0; i < m.getRepeatedFieldCount(items); i++) arr.add((String) m.getRepeatedField(items, i));
                    return arr;
                }
                return toJson(m);
            }
        }
    }

    /** Raw bytes inside an object (RawExtension, FieldsV1): JSON, or an object in Kubernetes' protobuf envelope. */
    private static JsonNode embedded(byte[] raw) {
        if (Protobuf.hasMagic(raw)) return Protobuf.decodeAny(raw);
        try {
            return Json.MAPPER.readTree(raw);
        } catch (JacksonException e) {
            throw new ConversionException("embedded raw bytes are neither JSON nor protobuf: " + e.getOriginalMessage());
        }
    }

    /** Go's named string slices (metav1.Verbs, ExtraValue): a message of one repeated string "items", an array in JSON. */
    private static boolean isStringList(Descriptor d) {
        if (!d.getName().equals("Verbs") && !d.getName().equals("ExtraValue")) return false;
        List<FieldDescriptor> fs = d.getFields();
        return fs.size() == 1 && fs.getFirst().getName().equals("items") && fs.getFirst().isRepeated()
                && fs.getFirst().getJavaType() == FieldDescriptor.JavaType.STRING;
    }

    // ------------------------------------------------------------------ JSON to proto

    /** The JSON object as a message of type {@code d}; properties the message does not know are left out. */
    public static DynamicMessage fromJson(JsonNode json, Descriptor d) {
        DynamicMessage.Builder b = DynamicMessage.newBuilder(d);
        fill(b, json);
        return b.build();
    }

    private static void fill(DynamicMessage.Builder b, JsonNode json) {
        Descriptor d = b.getDescriptorForType();
        if (!(json instanceof ObjectNode obj)) throw new ConversionException(d.getName() + " must be a JSON object");
        for (Map.Entry<String, JsonNode> e : obj.properties()) {
            FieldDescriptor f = d.findFieldByName(e.getKey());
            if (f == null || inline(f) || e.getValue().isNull()) continue;
            set(b, f, e.getValue());
        }
        for (FieldDescriptor f : d.getFields()) {
            if (!inline(f)) continue;
            // the inlined struct takes the properties that are its fields
            Descriptor sub = f.getMessageType();
            ObjectNode part = Json.object();
            obj.properties().forEach(e -> {
                if (sub.findFieldByName(e.getKey()) != null || inlinedIn(sub, e.getKey())) part.set(e.getKey(), e.getValue());
            });
            if (!part.isEmpty()) b.setField(f, fromJson(part, sub));
        }
    }

    private static boolean inlinedIn(Descriptor d, String name) {
        for (FieldDescriptor f : d.getFields()) {
            if (inline(f) && f.getMessageType().findFieldByName(name) != null) return true;
        }
        return false;
    }

    private static void set(DynamicMessage.Builder b, FieldDescriptor f, JsonNode v) {
        if (f.isMapField()) {
            if (!v.isObject()) throw new ConversionException(f.getName() + " must be a JSON object");
            Descriptor entry = f.getMessageType();
            FieldDescriptor key = entry.findFieldByNumber(1);
            FieldDescriptor value = entry.findFieldByNumber(2);
            for (Map.Entry<String, JsonNode> e : v.properties()) {
                if (e.getValue().isNull()) continue;
                b.addRepeatedField(f, DynamicMessage.newBuilder(entry).setField(key, e.getKey())
                        .setField(value, scalar(value, e.getValue())).build());
            }
        } else if (f.isRepeated()) {
            if (!v.isArray()) throw new ConversionException(f.getName() + " must be a JSON array");
            for (JsonNode item : v) {
                if (!item.isNull()) b.addRepeatedField(f, scalar(f, item));
            }
        } else {
            Object value = scalar(f, v);
            if (value != null) b.setField(f, value);
        }
    }

    /** One JSON value as the Java value of field {@code f} (a message for message fields), or null for none. */
    private static Object scalar(FieldDescriptor f, JsonNode v) {
        return switch (f.getJavaType()) {
            case MESSAGE -> messageFrom(f.getMessageType(), v);
            case STRING -> v.isString() ? v.stringValue() : v.toString();
            case INT -> v.asInt();
            case LONG -> v.asLong();
            case FLOAT -> (float) v.asDouble();
            case DOUBLE -> v.asDouble();
            case BOOLEAN -> v.asBoolean();
            case BYTE_STRING -> {
                try {
                    yield ByteString.copyFrom(Base64.getDecoder().decode(v.asString("")));
                } catch (IllegalArgumentException e) {
                    throw new ConversionException(f.getName() + ": not base64: " + e.getMessage());
                }
            }
            case ENUM -> f.getEnumType().findValueByName(v.asString(""));
        };
    }

    private static Message messageFrom(Descriptor d, JsonNode v) {
        DynamicMessage.Builder b = DynamicMessage.newBuilder(d);
        switch (d.getFullName()) {
            case TIME, MICRO_TIME -> {
                Instant at = instant(v.asString(""));
                b.setField(d.findFieldByName("seconds"), at.getEpochSecond());
                if (at.getNano() != 0) b.setField(d.findFieldByName("nanos"), at.getNano());
            }
            case DURATION -> b.setField(d.findFieldByName("duration"), v.isNumber() ? v.asLong() : GoDuration.parse(v.asString("")));
            case INT_OR_STRING -> {
                if (v.isNumber()) {
                    b.setField(d.findFieldByName("type"), 0L);
                    b.setField(d.findFieldByName("intVal"), v.asInt());
                } else {
                    b.setField(d.findFieldByName("type"), 1L);
                    b.setField(d.findFieldByName("strVal"), v.asString(""));
                }
            }
            case QUANTITY, QUANTITY_VALUE -> b.setField(d.findFieldByName("string"), v.isString() ? v.stringValue() : v.toString());
            case RAW_EXTENSION -> b.setField(d.findFieldByName("raw"), ByteString.copyFrom(Json.bytes(v)));
            case FIELDS_V1 -> b.setField(d.findFieldByName("Raw"), ByteString.copyFrom(Json.bytes(v)));
            default -> {
                if (isStringList(d)) {
                    FieldDescriptor items = d.getFields().getFirst();
                    if (!v.isArray()) throw new ConversionException(d.getName() + " must be a JSON array");
                    for (JsonNode s : v) b.addRepeatedField(items, s.asString(""));
                } else {
                    fill(b, v);
                }
            }
        }
        return b.build();
    }

    private static Instant instant(String s) {
        try {
            return OffsetDateTime.parse(s).toInstant();
        } catch (DateTimeParseException e) {
            throw new ConversionException("not an RFC 3339 time: \"" + s + "\"");
        }
    }
}
