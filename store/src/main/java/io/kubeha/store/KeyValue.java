package io.kubeha.store;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * One key's value at one revision, as etcd v3 reports it.
 *
 * @param key            the full key
 * @param value          the stored bytes (never null; may be empty)
 * @param createRevision the revision of the write that created this key's current generation
 * @param modRevision    the revision of the last write to this key
 * @param version        writes to this key since its creation, starting at 1
 */
public record KeyValue(String key, byte[] value, long createRevision, long modRevision, long version) {
    public KeyValue {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
    }

    public String valueAsString() {
        return new String(value, StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KeyValue kv && key.equals(kv.key) && Arrays.equals(value, kv.value)
                && createRevision == kv.createRevision && modRevision == kv.modRevision && version == kv.version;
    }

    @Override
    public int hashCode() {
        return Objects.hash(key, Arrays.hashCode(value), createRevision, modRevision, version);
    }

    @Override
    public String toString() {
        return "KeyValue[" + key + " create=" + createRevision + " mod=" + modRevision + " version=" + version
                + " " + value.length + " bytes]";
    }
}
