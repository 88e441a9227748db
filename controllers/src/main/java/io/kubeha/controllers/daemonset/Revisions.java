package io.kubeha.controllers.daemonset;

import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.ControllerRevision;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The content of a DaemonSet's ControllerRevisions, as Kubernetes writes them: {@code data} is the strategic merge
 * patch {@code {"spec":{"template":{..., "$patch":"replace"}}}} that restores the template (what {@code kubectl
 * rollout undo} sends back), and the name suffix and the pods' {@code controller-revision-hash} label is a hash of
 * the template (and the collision count). Patches are compared in one canonical JSON form (keys sorted), so a
 * revision matches a DaemonSet exactly when their templates are equal.
 */
final class Revisions {
    static final String HASH_LABEL = "controller-revision-hash";
    static final String GENERATION_LABEL = "pod-template-generation";
    /** Where kube-apiserver keeps the DaemonSet's template generation (1 on create, +1 per template change). */
    static final String TEMPLATE_GENERATION_ANNOTATION = "deprecated.daemonset.template.generation";
    /** rand.SafeEncodeString's alphabet: no vowels, so no words, and no confusable characters. */
    private static final String SAFE = "bcdfghjklmnpqrstvwxz2456789";

    private final KubernetesSerialization json;

    Revisions(KubernetesSerialization json) {
        this.json = json;
    }

    /** The revision data for the DaemonSet's current template, in canonical form. */
    Map<String, Object> patch(DaemonSet ds) {
        @SuppressWarnings("unchecked")
        Map<String, Object> template = (Map<String, Object>) canonical(json.convertValue(ds.getSpec().getTemplate(), Map.class));
        Map<String, Object> t = new TreeMap<>(template);
        t.put("$patch", "replace");
        return Map.of("spec", Map.of("template", t));
    }

    String patchJson(DaemonSet ds) {
        return json.asJson(canonical(patch(ds)));
    }

    /** Whether the revision holds the DaemonSet's current template (kube's Match: the patches are equal). */
    boolean matches(DaemonSet ds, ControllerRevision revision) {
        if (revision.getData() == null) {
            return false;
        }
        Object data = revision.getData() instanceof Map<?, ?> ? revision.getData() : json.convertValue(revision.getData(), Map.class);
        return patchJson(ds).equals(json.asJson(canonical(data)));
    }

    /** FNV-1a (32 bit) over the canonical template and the collision count, safe-encoded (kube's ComputeHash). */
    String hash(PodTemplateSpec template, Integer collisionCount) {
        byte[] bytes = json.asJson(canonical(json.convertValue(template, Map.class))).getBytes(StandardCharsets.UTF_8);
        int h = 0x811c9dc5;
        for (byte b : bytes) {
            h ^= b & 0xff;
            h *= 0x01000193;
        }
        if (collisionCount != null) {
            int c = collisionCount;
            for (int i = 0; i < 4; i++) {
                h ^= (c >>> (8 * i)) & 0xff;
                h *= 0x01000193;
            }
        }
        String decimal = Long.toString(Integer.toUnsignedLong(h));
        StringBuilder out = new StringBuilder(decimal.length());
        for (char ch : decimal.toCharArray()) {
            out.append(SAFE.charAt(ch % SAFE.length()));
        }
        return out.toString();
    }

    /** Maps with sorted keys, all the way down; nulls dropped (they mean "unset" in the API). */
    static Object canonical(Object o) {
        if (o instanceof Map<?, ?> m) {
            Map<String, Object> out = new TreeMap<>();
            for (var e : m.entrySet()) {
                if (e.getValue() != null) {
                    out.put(String.valueOf(e.getKey()), canonical(e.getValue()));
                }
            }
            return out;
        }
        if (o instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            for (Object x : l) {
                out.add(canonical(x));
            }
            return out;
        }
        return o;
    }

    /**
     * The DaemonSet's template generation: kube-apiserver's annotation when it is there; otherwise the current
     * revision's number, which grows by one with every template change (and every rollback) just as the
     * generation does.
     */
    static Long templateGeneration(DaemonSet ds, ControllerRevision current) {
        Map<String, String> a = ds.getMetadata().getAnnotations();
        String g = a == null ? null : a.get(TEMPLATE_GENERATION_ANNOTATION);
        if (g != null) {
            try {
                return Long.parseLong(g);
            } catch (NumberFormatException e) {
                return null; // as kube: a bad annotation means no generation; the hash still decides
            }
        }
        return current == null ? null : current.getRevision();
    }
}
