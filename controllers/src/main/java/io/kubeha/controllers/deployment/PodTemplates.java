package io.kubeha.controllers.deployment;

import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The pod-template-hash and template equality. Kubernetes hashes the Go structure of the template (FNV-32a) and
 * encodes the number with its "safe" alphabet; Go's structure printing cannot be reproduced in Java, so the hash
 * here is FNV-32a over a canonical JSON form (keys sorted; null, empty maps and empty lists dropped): stable for
 * one template across processes and restarts, which is all the name needs, with the collision count mixed in as
 * Kubernetes does. Equality ignores the hash label and, as apimachinery's semantic equality, treats empty and
 * missing alike.
 */
final class PodTemplates {
    static final String HASH_LABEL = "pod-template-hash";
    private static final String SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

    private PodTemplates() {
    }

    static String hash(PodTemplateSpec template, Integer collisionCount, KubernetesSerialization serialization) {
        String canonical = canonical(normalized(template, serialization));
        int h = 0x811c9dc5;
        for (byte b : canonical.getBytes(StandardCharsets.UTF_8)) {
            h = fnvStep(h, b);
        }
        if (collisionCount != null) {
            int c = collisionCount;
            byte[] le = {(byte) c, (byte) (c >>> 8), (byte) (c >>> 16), (byte) (c >>> 24), 0, 0, 0, 0};
            for (byte b : le) {
                h = fnvStep(h, b);
            }
        }
        return safeEncode(Integer.toUnsignedString(h));
    }

    private static int fnvStep(int h, byte b) {
        return (h ^ (b & 0xff)) * 0x01000193;
    }

    /** rand.SafeEncodeString: each character mapped into an alphabet without vowels or look-alikes. */
    static String safeEncode(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            out.append(SAFE_ALPHABET.charAt((b & 0xff) % SAFE_ALPHABET.length()));
        }
        return out.toString();
    }

    /** EqualIgnoreHash: the templates are equal once the pod-template-hash label is removed from both. */
    static boolean equalIgnoreHash(PodTemplateSpec a, PodTemplateSpec b, KubernetesSerialization serialization) {
        return normalized(a, serialization).equals(normalized(b, serialization));
    }

    /** The template as plain maps and lists, without the hash label, nulls, or empty maps and lists. */
    static Object normalized(PodTemplateSpec template, KubernetesSerialization serialization) {
        Object tree = template == null ? Map.of() : serialization.convertValue(template, Map.class);
        if (tree instanceof Map<?, ?> m && m.get("metadata") instanceof Map<?, ?> meta && meta.get("labels") instanceof Map<?, ?> labels
                && labels.containsKey(HASH_LABEL)) {
            @SuppressWarnings("unchecked")
            Map<Object, Object> l = (Map<Object, Object>) labels;
            l.remove(HASH_LABEL);
        }
        Object n = normalize(tree);
        return n == null ? Map.of() : n;
    }

    private static Object normalize(Object o) {
        if (o instanceof Map<?, ?> m) {
            TreeMap<String, Object> out = new TreeMap<>();
            for (var e : m.entrySet()) {
                Object v = normalize(e.getValue());
                if (v != null) {
                    out.put(String.valueOf(e.getKey()), v);
                }
            }
            return out.isEmpty() ? null : out;
        }
        if (o instanceof List<?> l) {
            List<Object> out = new ArrayList<>();
            for (Object x : l) {
                Object v = normalize(x);
                out.add(v == null ? Map.of() : v);
            }
            return out.isEmpty() ? null : out;
        }
        if (o instanceof Number num && !(o instanceof Double) && !(o instanceof Float)) {
            return num.longValue();
        }
        return o;
    }

    private static String canonical(Object o) {
        StringBuilder sb = new StringBuilder();
        write(sb, o);
        return sb.toString();
    }

    private static void write(StringBuilder sb, Object o) {
        if (o instanceof Map<?, ?> m) {
            sb.append('{');
            boolean first = true;
            for (var e : m.entrySet()) {
                if (!first) {
                    sb.append(',');
                }
                first = false;
                quote(sb, String.valueOf(e.getKey()));
                sb.append(':');
                write(sb, e.getValue());
            }
            sb.append('}');
        } else if (o instanceof List<?> l) {
            sb.append('[');
            for (int i = 0; i < l.size(); i++) {
                if (i > 0) {
                    sb.append(',');
                }
                write(sb, l.get(i));
            }
            sb.append(']');
        } else if (o instanceof String s) {
            quote(sb, s);
        } else {
            sb.append(o);
        }
    }

    private static void quote(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
