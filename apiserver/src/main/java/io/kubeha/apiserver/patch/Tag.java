package io.kubeha.apiserver.patch;

import tools.jackson.databind.JsonNode;

import java.util.List;
import java.util.Objects;

/**
 * The patch facts of one field of a Kubernetes Go type: its struct tags {@code patchStrategy} and
 * {@code patchMergeKey} (strategic merge patch) and its list or map type as the OpenAPI schema gives it to
 * server-side apply ({@code x-kubernetes-list-type}, {@code x-kubernetes-list-map-keys},
 * {@code x-kubernetes-map-type}). fabric8 carries none of these, so {@link Tags} keeps them.
 *
 * @param strategy    how a strategic merge patch merges the field
 * @param mergeKey    the field that identifies an item of a merged list of objects, or null
 * @param retainKeys  {@code patchStrategy} includes {@code retainKeys}; only kubectl uses it (to write the
 *                    {@code $retainKeys} directive), the server just obeys the directive
 * @param applyKeys   the keys of an associative list for server-side apply; usually just the merge key, but
 *                    e.g. container ports are keyed by {@code containerPort} and {@code protocol}
 * @param applyAtomic server-side apply treats the (list or map) field as one value even though a strategic
 *                    merge patch may merge it
 */
record Tag(Strategy strategy, String mergeKey, boolean retainKeys, List<ListKey> applyKeys, boolean applyAtomic) {
    static final Tag NONE = new Tag(Strategy.NONE, null, false, List.of(), false);

    enum Strategy {
        /** No tag: lists are replaced whole, maps merge key by key. */
        NONE,
        /** {@code patchStrategy:"merge"}: lists merge, by {@code mergeKey} for objects or as a set for scalars. */
        MERGE,
        /** {@code patchStrategy:"replace"}: even a map is replaced whole. */
        REPLACE
    }

    /** How server-side apply sees a list. */
    enum ListType { ATOMIC, SET, MAP }

    /** A key field of an associative list, with the default the schema gives when an item omits it. */
    record ListKey(String name, JsonNode defaultValue) {}

    Tag {
        Objects.requireNonNull(strategy);
        applyKeys = List.copyOf(applyKeys);
    }

    static Tag mergeBy(String key) {
        return new Tag(Strategy.MERGE, key, false, List.of(new ListKey(key, null)), false);
    }

    static Tag mergeRetainKeysBy(String key) {
        return new Tag(Strategy.MERGE, key, true, List.of(new ListKey(key, null)), false);
    }

    static Tag mergeSet() {
        return new Tag(Strategy.MERGE, null, false, List.of(), false);
    }

    static Tag replace() {
        return new Tag(Strategy.REPLACE, null, false, List.of(), false);
    }

    static Tag retainKeysOnly() {
        return new Tag(Strategy.NONE, null, true, List.of(), false);
    }

    static Tag applyAtomicMap() {
        return new Tag(Strategy.NONE, null, false, List.of(), true);
    }

    /** The same strategic-merge facts, with other associative-list keys for server-side apply. */
    Tag withApplyKeys(ListKey... keys) {
        return new Tag(strategy, mergeKey, retainKeys, List.of(keys), applyAtomic);
    }

    /** A list with this tag, as server-side apply sees it. */
    ListType listType() {
        if (applyAtomic || strategy != Strategy.MERGE) return ListType.ATOMIC;
        return mergeKey == null ? ListType.SET : ListType.MAP;
    }
}
