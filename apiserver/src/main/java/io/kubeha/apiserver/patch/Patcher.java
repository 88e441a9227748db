package io.kubeha.apiserver.patch;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.zjsonpatch.CompatibilityFlags;
import io.fabric8.zjsonpatch.JsonPatch;
import io.kubeha.apiserver.api.ApiException;
import io.kubeha.apiserver.api.FieldError;
import io.kubeha.apiserver.api.Json;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The PATCH verb: applies a patch body of one of the four patch types kube-apiserver accepts to the current
 * object, as a pure function over JSON trees. See the package documentation for what each type does.
 */
public final class Patcher {
    /** kube-apiserver's limit on the operations of one JSON patch. */
    public static final int MAX_JSON_PATCH_OPERATIONS = 10_000;
    private static final int MAX_FIELD_MANAGER_LENGTH = 128;

    /** Content types kube-apiserver accepts for PATCH. */
    public enum PatchType {
        /** RFC 6902 JSON patch: a list of operations. */
        JSON_PATCH("application/json-patch+json"),
        /** RFC 7386 JSON merge patch. */
        MERGE("application/merge-patch+json"),
        /** Kubernetes' strategic merge patch (what {@code kubectl patch} and client-side apply send). */
        STRATEGIC("application/strategic-merge-patch+json"),
        /** Server-side apply: the body is a (partial) object in YAML or JSON. */
        APPLY("application/apply-patch+yaml");

        private final String mediaType;

        PatchType(String mediaType) {
            this.mediaType = mediaType;
        }

        public String mediaType() {
            return mediaType;
        }

        /**
         * The patch type of a request's {@code Content-Type}, ignoring parameters such as {@code ;charset=utf-8};
         * null when it is not a patch type (the API server answers 415 Unsupported Media Type).
         */
        public static PatchType fromContentType(String contentType) {
            if (contentType == null) return null;
            int semi = contentType.indexOf(';');
            String type = (semi < 0 ? contentType : contentType.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
            for (PatchType t : values()) {
                if (t.mediaType.equals(type)) return t;
            }
            return null;
        }
    }

    private Patcher() {}

    /**
     * Applies a patch to the current object.
     *
     * @param type    the patch type, from the request's Content-Type
     * @param live    the current object, or null when it does not exist (only {@link PatchType#APPLY} creates);
     *                not modified
     * @param body    the request body
     * @param model   the fabric8 model class of the object (e.g. {@code Deployment.class}), which says how lists
     *                merge and gives the apiVersion and kind an apply must name; null for an object without a
     *                model (lists are then replaced whole, as in a JSON merge patch)
     * @param options the request's field manager, force and time; only apply needs them (null is fine otherwise)
     * @return the patched object, a new tree. For apply it carries the updated managedFields; for the other types
     *         the caller records its manager with {@link ManagedFields#recordUpdate}
     * @throws ApiException with kube-apiserver's code and message: 400 for a malformed body, 422 for a JSON patch
     *                      that does not apply or invalid options, 409 for apply conflicts, 413 for too many
     *                      JSON patch operations
     */
    public static ObjectNode apply(PatchType type, ObjectNode live, byte[] body, Class<?> model, ApplyOptions options) {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(body, "body");
        validateOptions(type, options);
        if (live == null && type != PatchType.APPLY) {
            throw new IllegalArgumentException("only apply can create an object: " + type + " needs the live object");
        }
        return switch (type) {
            case JSON_PATCH -> jsonPatch(live, body);
            case MERGE -> mergePatch(live, body);
            case STRATEGIC -> strategicMergePatch(live, body, model);
            case APPLY -> serverSideApply(live, body, model, options);
        };
    }

    /** kube-apiserver's {@code ValidatePatchOptions}: 422 on the PatchOptions "object". */
    private static void validateOptions(PatchType type, ApplyOptions options) {
        List<FieldError> errors = new ArrayList<>();
        String manager = options == null ? null : options.fieldManager();
        if (type == PatchType.APPLY) {
            if (options == null) throw new IllegalArgumentException("apply needs ApplyOptions");
            if (manager == null || manager.isEmpty()) {
                errors.add(FieldError.required("fieldManager", "is required for apply patch"));
            }
        } else if (options != null && options.force()) {
            errors.add(FieldError.forbidden("force", "may not be specified for non-apply patch"));
        }
        if (manager != null) {
            if (manager.getBytes(StandardCharsets.UTF_8).length > MAX_FIELD_MANAGER_LENGTH) {
                errors.add(FieldError.tooLong("fieldManager", MAX_FIELD_MANAGER_LENGTH));
            }
            for (int i = 0; i < manager.length(); ) {
                int cp = manager.codePointAt(i);
                if (Character.isISOControl(cp) || !Character.isDefined(cp)) {
                    errors.add(FieldError.invalid("fieldManager", manager,
                            String.format("invalid character U+%04X (at position %d)", cp, i)));
                }
                i += Character.charCount(cp);
            }
        }
        if (!errors.isEmpty()) throw ApiException.invalid("meta.k8s.io", "PatchOptions", "", errors);
    }

    private static ObjectNode jsonPatch(ObjectNode live, byte[] body) {
        JsonNode patch = parseJson(body, "");
        if (!patch.isArray()) {
            throw Errors.badRequest("json: cannot unmarshal " + Trees.goKind(patch) + " into Go value of type jsonpatch.Patch");
        }
        if (patch.size() > MAX_JSON_PATCH_OPERATIONS) {
            throw ApiException.tooLarge("The allowed maximum operations in a JSON patch is "
                    + MAX_JSON_PATCH_OPERATIONS + ", got " + patch.size());
        }
        JsonNode result;
        try {
            // Like the Go library kube-apiserver uses, removing a missing member is an error.
            result = JsonPatch.apply(patch, live.deepCopy(), EnumSet.of(CompatibilityFlags.FORBID_REMOVE_MISSING_OBJECT));
        } catch (RuntimeException e) {
            throw Errors.unprocessable(String.valueOf(e.getMessage()));
        }
        return requireObject(result);
    }

    private static ObjectNode mergePatch(ObjectNode live, byte[] body) {
        JsonNode patch = parseJson(body, "error decoding patch: ");
        if (!patch.isObject()) throw Errors.badRequest("Invalid JSON Patch");
        return requireObject(MergePatch.apply(live, patch));
    }

    private static ObjectNode strategicMergePatch(ObjectNode live, byte[] body, Class<?> model) {
        JsonNode patch = parseJson(body, "");
        if (patch.isNull()) return live.deepCopy();
        if (!patch.isObject()) {
            throw Errors.badRequest("json: cannot unmarshal " + Trees.goKind(patch)
                    + " into Go value of type map[string]interface {}");
        }
        return StrategicMerge.apply(live, (ObjectNode) patch, Schema.root(model));
    }

    private static ObjectNode serverSideApply(ObjectNode live, byte[] body, Class<?> model, ApplyOptions options) {
        JsonNode config = parseYaml(body);
        if (config == null || config.isNull() || config.isMissingNode()) {
            config = Trees.object();
        } else if (!config.isObject()) {
            throw Errors.badRequest("error decoding YAML: json: cannot unmarshal " + Trees.goKind(config)
                    + " into Go value of type map[string]interface {}");
        }
        String apiVersion = null;
        String kind = null;
        if (model != null && HasMetadata.class.isAssignableFrom(model)) {
            apiVersion = HasMetadata.getApiVersion(model);
            kind = HasMetadata.getKind(model);
        }
        if (apiVersion == null && live != null) apiVersion = ManagedFields.text(live.get("apiVersion"));
        if (kind == null && live != null) kind = ManagedFields.text(live.get("kind"));
        return ServerSideApply.apply(live, (ObjectNode) config, Schema.root(model), apiVersion, kind, options);
    }

    private static JsonNode parseJson(byte[] body, String prefix) {
        try {
            JsonNode n = Json.MAPPER.readTree(body);
            return n == null || n.isMissingNode() ? Trees.NODES.nullNode() : n;
        } catch (JacksonException e) {
            throw Errors.badRequest(prefix + e.getOriginalMessage());
        }
    }

    /** The apply body is YAML, which JSON mostly is; JSON is read as JSON (YAML frowns on tabs, JSON does not). */
    private static JsonNode parseYaml(byte[] body) {
        String text = new String(body, StandardCharsets.UTF_8).strip();
        try {
            if (text.startsWith("{")) return Json.MAPPER.readTree(text);
            return text.isEmpty() ? null : Json.YAML.readTree(text);
        } catch (JacksonException e) {
            throw Errors.badRequest("error decoding YAML: " + e.getOriginalMessage());
        }
    }

    private static ObjectNode requireObject(JsonNode result) {
        if (result instanceof ObjectNode o) return o;
        throw Errors.badRequest("json: cannot unmarshal " + Trees.goKind(result) + " into Go value of type map[string]interface {}");
    }
}
