package io.kubeha.apiserver.http;

import io.kubeha.apiserver.api.ApiException;
import io.kubeha.apiserver.api.Json;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * Request bodies in Kubernetes' protobuf encoding, for the few kinds whose writes kubectl 1.32+ only sends that
 * way and that have no JSON fallback: {@code kubectl certificate approve|deny} PUTs a CertificateSigningRequest
 * to its approval subresource as protobuf. The body is kube's envelope (the magic {@code k8s\0} and a
 * runtime.Unknown holding the TypeMeta and the raw message), decoded into the JSON tree the JSON path would
 * have produced, field numbers as in k8s.io/api's generated.proto.
 *
 * <p>ObjectMeta is decoded for the fields a client sends back on an update (name, namespace, uid,
 * resourceVersion, generation, creationTimestamp, labels, annotations, finalizers); ownerReferences and
 * managedFields are skipped. Other kinds are refused with 415 as before.
 */
final class ProtobufBodies {
    private ProtobufBodies() {}

    static final String CONTENT_TYPE = "application/vnd.kubernetes.protobuf";
    private static final byte[] MAGIC = {0x6b, 0x38, 0x73, 0x00};

    private static final Map<String, BiConsumer<Reader, ObjectNode>> KINDS = Map.of(
            "CertificateSigningRequest", ProtobufBodies::csr);

    static boolean supports(String kind) {
        return KINDS.containsKey(kind);
    }

    /** The body as a JSON object with apiVersion and kind from the envelope. */
    static ObjectNode decode(byte[] body, String kind) {
        if (body.length < MAGIC.length || !Arrays.equals(Arrays.copyOf(body, MAGIC.length), MAGIC)) {
            throw ApiException.badRequest("the protobuf request body does not start with the Kubernetes envelope (k8s\\0)");
        }
        try {
            ObjectNode out = Json.object();
            byte[] raw = null;
            Reader unknown = new Reader(Arrays.copyOfRange(body, MAGIC.length, body.length));
            while (unknown.more()) {
                int tag = unknown.tag();
                switch (tag >>> 3) {
                    case 1 -> {
                        Reader tm = unknown.message();
                        while (tm.more()) {
                            int t = tm.tag();
                            switch (t >>> 3) {
                                case 1 -> out.put("apiVersion", tm.string());
                                case 2 -> out.put("kind", tm.string());
                                default -> tm.skip(t);
                            }
                        }
                    }
                    case 2 -> raw = unknown.bytes();
                    default -> unknown.skip(tag);
                }
            }
            if (raw == null) throw ApiException.badRequest("the protobuf request body holds no object");
            BiConsumer<Reader, ObjectNode> decoder = KINDS.get(kind);
            if (decoder == null) throw ApiException.unsupportedMediaType(CONTENT_TYPE);
            decoder.accept(new Reader(raw), out);
            return out;
        } catch (IndexOutOfBoundsException | IllegalStateException e) {
            throw ApiException.badRequest("the protobuf request body is not a valid " + kind + ": " + e.getMessage());
        }
    }

    // ------------------------------------------------------------------ kinds

    private static void csr(Reader r, ObjectNode out) {
        while (r.more()) {
            int tag = r.tag();
            switch (tag >>> 3) {
                case 1 -> objectMeta(r.message(), out.putObject("metadata"));
                case 2 -> csrSpec(r.message(), out.putObject("spec"));
                case 3 -> csrStatus(r.message(), out.putObject("status"));
                default -> r.skip(tag);
            }
        }
    }

    private static void csrSpec(Reader r, ObjectNode spec) {
        while (r.more()) {
            int tag = r.tag();
            switch (tag >>> 3) {
                case 1 -> spec.put("request", Base64.getEncoder().encodeToString(r.bytes()));
                case 2 -> spec.put("username", r.string());
                case 3 -> spec.put("uid", r.string());
                case 4 -> array(spec, "groups").add(r.string());
                case 5 -> array(spec, "usages").add(r.string());
                case 6 -> {
                    Reader entry = r.message();
                    String key = "";
                    ArrayNode items = Json.MAPPER.createArrayNode();
                    while (entry.more()) {
                        int t = entry.tag();
                        switch (t >>> 3) {
                            case 1 -> key = entry.string();
                            case 2 -> {
                                Reader v = entry.message();
                                while (v.more()) {
                                    int vt = v.tag();
                                    if (vt >>> 3 == 1) items.add(v.string());
                                    else v.skip(vt);
                                }
                            }
                            default -> entry.skip(t);
                        }
                    }
                    (spec.get("extra") instanceof ObjectNode e ? e : spec.putObject("extra")).set(key, items);
                }
                case 7 -> spec.put("signerName", r.string());
                case 8 -> spec.put("expirationSeconds", (int) r.varint());
                default -> r.skip(tag);
            }
        }
    }

    private static void csrStatus(Reader r, ObjectNode status) {
        while (r.more()) {
            int tag = r.tag();
            switch (tag >>> 3) {
                case 1 -> {
                    Reader c = r.message();
                    ObjectNode cond = array(status, "conditions").addObject();
                    while (c.more()) {
                        int t = c.tag();
                        switch (t >>> 3) {
                            case 1 -> cond.put("type", c.string());
                            case 2 -> cond.put("reason", c.string());
                            case 3 -> cond.put("message", c.string());
                            case 4 -> time(c.message(), cond, "lastUpdateTime");
                            case 5 -> time(c.message(), cond, "lastTransitionTime");
                            case 6 -> cond.put("status", c.string());
                            default -> c.skip(t);
                        }
                    }
                }
                case 2 -> status.put("certificate", Base64.getEncoder().encodeToString(r.bytes()));
                default -> r.skip(tag);
            }
        }
    }

    /** meta/v1 ObjectMeta, the fields an update carries back. */
    private static void objectMeta(Reader r, ObjectNode m) {
        while (r.more()) {
            int tag = r.tag();
            switch (tag >>> 3) {
                case 1 -> m.put("name", r.string());
                case 2 -> m.put("generateName", r.string());
                case 3 -> m.put("namespace", r.string());
                case 5 -> m.put("uid", r.string());
                case 6 -> m.put("resourceVersion", r.string());
                case 7 -> m.put("generation", r.varint());
                case 8 -> time(r.message(), m, "creationTimestamp");
                case 11 -> entry(r.message(), m, "labels");
                case 12 -> entry(r.message(), m, "annotations");
                case 14 -> array(m, "finalizers").add(r.string());
                default -> r.skip(tag);
            }
        }
    }

    private static void entry(Reader r, ObjectNode m, String field) {
        String key = "";
        String value = "";
        while (r.more()) {
            int t = r.tag();
            switch (t >>> 3) {
                case 1 -> key = r.string();
                case 2 -> value = r.string();
                default -> r.skip(t);
            }
        }
        (m.get(field) instanceof ObjectNode o ? o : m.putObject(field)).put(key, value);
    }

    /** meta/v1 Time: seconds and nanos; JSON has it to the second. A zero time is left out, as omitempty does. */
    private static void time(Reader r, ObjectNode into, String field) {
        long seconds = 0;
        while (r.more()) {
            int t = r.tag();
            if (t >>> 3 == 1) seconds = r.varint();
            else r.skip(t);
        }
        if (seconds != 0 && seconds != -62135596800L) into.put(field, Instant.ofEpochSecond(seconds).toString());
    }

    private static ArrayNode array(ObjectNode o, String field) {
        return o.get(field) instanceof ArrayNode a ? a : o.putArray(field);
    }

    // ------------------------------------------------------------------ wire format

    /** A protobuf wire-format reader over one message. */
    static final class Reader {
        private final byte[] b;
        private int pos;
        private final int end;

        Reader(byte[] b) {
            this(b, 0, b.length);
        }

        private Reader(byte[] b, int start, int end) {
            this.b = b;
            this.pos = start;
            this.end = end;
        }

        boolean more() {
            return pos < end;
        }

        int tag() {
            return (int) varint();
        }

        long varint() {
            long v = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                if (pos >= end) throw new IllegalStateException("truncated varint");
                byte x = b[pos++];
                v |= (long) (x & 0x7f) << shift;
                if ((x & 0x80) == 0) return v;
            }
            throw new IllegalStateException("varint too long");
        }

        private int length() {
            long n = varint();
            if (n < 0 || n > end - pos) throw new IllegalStateException("length " + n + " past the end of the message");
            return (int) n;
        }

        byte[] bytes() {
            int n = length();
            byte[] out = Arrays.copyOfRange(b, pos, pos + n);
            pos += n;
            return out;
        }

        String string() {
            return new String(bytes(), StandardCharsets.UTF_8);
        }

        Reader message() {
            int n = length();
            Reader r = new Reader(b, pos, pos + n);
            pos += n;
            return r;
        }

        void skip(int tag) {
            switch (tag & 7) {
                case 0 -> varint();
                case 1 -> pos += 8;
                case 2 -> {
                    int n = length(); // not "pos += length()": Java reads pos before length() moves it
                    pos += n;
                }
                case 5 -> pos += 4;
                default -> throw new IllegalStateException("unsupported wire type " + (tag & 7));
            }
            if (pos > end) throw new IllegalStateException("field past the end of the message");
        }
    }
}
