package io.kubeha.apiserver.patch;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

import java.util.Map;

/**
 * RFC 7386 JSON merge patch: an object merges member by member, a null member deletes, anything else
 * (a list too) replaces what was there.
 */
final class MergePatch {
    private MergePatch() {}

    /** The patched value; neither argument is modified. */
    static JsonNode apply(JsonNode target, JsonNode patch) {
        if (!patch.isObject()) return patch.deepCopy();
        ObjectNode out = target != null && target.isObject() ? (ObjectNode) target.deepCopy() : Trees.object();
        for (Map.Entry<String, JsonNode> e : patch.properties()) {
            if (e.getValue().isNull()) {
                out.remove(e.getKey());
            } else {
                out.set(e.getKey(), apply(out.get(e.getKey()), e.getValue()));
            }
        }
        return out;
    }
}
