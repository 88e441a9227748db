package io.kubeha.apiserver.protobuf;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.kubeha.apiserver.api.ApiException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

import java.util.Arrays;
import java.util.Optional;

/**
 * Kubernetes' protobuf wire format ({@code application/vnd.kubernetes.protobuf}): an object is the 4 magic bytes
 * {@code k8s\0} and a {@code runtime.Unknown} whose typeMeta names the apiVersion and kind and whose raw bytes are
 * the object's message. A watch stream ({@code ;stream=watch}) is a run of frames, each a 4-byte big-endian length
 * and a {@code metav1.WatchEvent} message without the envelope, whose object's raw bytes are the enveloped object.
 */
public final class Protobuf {
    public static final String MEDIA_TYPE = "application/vnd.kubernetes.protobuf";
    public static final String WATCH_MEDIA_TYPE = MEDIA_TYPE + ";stream=watch";
    static final byte[] MAGIC = {'k', '8', 's', 0};

    private Protobuf() {}

    public static boolean hasMagic(byte[] b) {
        return b.length >= MAGIC.length && Arrays.equals(b, 0, MAGIC.length, MAGIC, 0, MAGIC.length);
    }

    /** The type an envelope names, and the message bytes it carries. */
    record Envelope(String apiVersion, String kind, byte[] raw) {}

    static Envelope open(byte[] body) throws InvalidProtocolBufferException {
        if (!hasMagic(body)) throw new InvalidProtocolBufferException("the body does not start with the protobuf magic bytes \"k8s\\x00\"");
        Descriptor u = ProtoTypes.unknown();
        DynamicMessage unknown = DynamicMessage.parseFrom(u, ByteString.copyFrom(body, MAGIC.length, body.length - MAGIC.length));
        Message typeMeta = (Message) unknown.getField(u.findFieldByName("typeMeta"));
        Descriptor t = typeMeta.getDescriptorForType();
        return new Envelope((String) typeMeta.getField(t.findFieldByName("apiVersion")), (String) typeMeta.getField(t.findFieldByName("kind")),
                ((ByteString) unknown.getField(u.findFieldByName("raw"))).toByteArray());
    }

    /**
     * A request body as the JSON object of {@code kind} in {@code apiVersion}, as the route expects it; a body that
     * does not decode, or whose envelope names another type, is a 400 as kube-apiserver answers it.
     */
    public static ObjectNode decode(byte[] body, String apiVersion, String kind) {
        try {
            Envelope e = open(body);
            if (!e.kind().isEmpty() && !e.kind().equals(kind)) {
                throw unrecognized(kind, "the envelope holds a " + e.kind() + " (" + e.apiVersion() + "), not a " + kind);
            }
            if (!e.apiVersion().isEmpty() && !e.apiVersion().equals(apiVersion)) {
                throw ApiException.badRequest("the API version in the data (" + e.apiVersion() + ") does not match the expected API version ("
                        + apiVersion + ")");
            }
            Descriptor d = ProtoTypes.find(apiVersion, kind).orElseThrow(() -> new ApiException(415, "UnsupportedMediaType",
                    "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml", null));
            return typed(d, e.raw(), apiVersion, kind);
        } catch (InvalidProtocolBufferException | ProtoJson.ConversionException ex) {
            throw unrecognized(kind, ex.getMessage());
        }
    }

    /** A body of whatever type its envelope names (DeleteOptions come with the client's group version), or 400. */
    public static ObjectNode decodeAny(byte[] body) {
        try {
            Envelope e = open(body);
            Descriptor d = ProtoTypes.find(e.apiVersion(), e.kind())
                    .orElseThrow(() -> ApiException.badRequest("no protobuf message is known for " + e.apiVersion() + " " + e.kind()));
            return typed(d, e.raw(), e.apiVersion(), e.kind());
        } catch (InvalidProtocolBufferException | ProtoJson.ConversionException ex) {
            throw ApiException.badRequest("the object provided is unrecognized: " + ex.getMessage());
        }
    }

    private static ObjectNode typed(Descriptor d, byte[] raw, String apiVersion, String kind) throws InvalidProtocolBufferException {
        ObjectNode fields = ProtoJson.toJson(DynamicMessage.parseFrom(d, raw));
        ObjectNode out = io.kubeha.apiserver.api.Json.object();
        if (!apiVersion.isEmpty()) out.put("apiVersion", apiVersion);
        out.put("kind", kind);
        fields.properties().forEach(f -> out.set(f.getKey(), f.getValue()));
        return out;
    }

    private static ApiException unrecognized(String kind, String detail) {
        return ApiException.badRequest("the object provided is unrecognized (must be of type " + kind + "): " + detail);
    }

    /** Whether a JSON object of this apiVersion and kind has a protobuf form. */
    public static boolean encodable(JsonNode object) {
        return object instanceof ObjectNode o && message(o).isPresent();
    }

    private static Optional<Descriptor> message(ObjectNode o) {
        JsonNode apiVersion = o.get("apiVersion"), kind = o.get("kind");
        if (apiVersion == null || kind == null || !apiVersion.isString() || !kind.isString()) return Optional.empty();
        return ProtoTypes.find(apiVersion.stringValue(), kind.stringValue());
    }

    /** The object in the envelope, magic bytes first; call only when {@link #encodable} says so. */
    public static byte[] encode(JsonNode object) {
        ObjectNode o = (ObjectNode) object;
        Descriptor d = message(o).orElseThrow(() -> new IllegalArgumentException("no protobuf message for " + o.get("apiVersion") + " " + o.get("kind")));
        byte[] unknown = envelope(o.get("apiVersion").stringValue(), o.get("kind").stringValue(), ProtoJson.fromJson(o, d).toByteArray());
        byte[] out = Arrays.copyOf(MAGIC, MAGIC.length + unknown.length);
        System.arraycopy(unknown, 0, out, MAGIC.length, unknown.length);
        return out;
    }

    private static byte[] envelope(String apiVersion, String kind, byte[] raw) {
        Descriptor u = ProtoTypes.unknown();
        FieldDescriptor tm = u.findFieldByName("typeMeta");
        Descriptor t = tm.getMessageType();
        return DynamicMessage.newBuilder(u)
                .setField(tm, DynamicMessage.newBuilder(t).setField(t.findFieldByName("apiVersion"), apiVersion)
                        .setField(t.findFieldByName("kind"), kind).build())
                .setField(u.findFieldByName("raw"), ByteString.copyFrom(raw))
                .setField(u.findFieldByName("contentEncoding"), "")
                .setField(u.findFieldByName("contentType"), "")
                .build().toByteArray();
    }

    /** One frame of a protobuf watch: length, then a WatchEvent whose object is the enveloped object. */
    public static byte[] watchFrame(String type, JsonNode object) {
        Descriptor w = ProtoTypes.meta("WatchEvent");
        FieldDescriptor obj = w.findFieldByName("object");
        Descriptor raw = obj.getMessageType();
        byte[] event = DynamicMessage.newBuilder(w)
                .setField(w.findFieldByName("type"), type)
                .setField(obj, DynamicMessage.newBuilder(raw).setField(raw.findFieldByName("raw"), ByteString.copyFrom(encode(object))).build())
                .build().toByteArray();
        byte[] frame = new byte[4 + event.length];
        frame[0] = (byte) (event.length >>> 24);
        frame[1] = (byte) (event.length >>> 16);
        frame[2] = (byte) (event.length >>> 8);
        frame[3] = (byte) event.length;
        System.arraycopy(event, 0, frame, 4, event.length);
        return frame;
    }
}
