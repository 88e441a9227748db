package io.kubeha.store.etcd;

import io.etcd.jetcd.ByteSequence;
import io.kubeha.store.KeyValue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Conversions between the store's string keys and etcd's byte keys and key values. */
final class Keys {
    /** etcd's range end meaning "every key from the start key on". */
    private static final byte[] TO_THE_END = {0};

    private Keys() {
    }

    static ByteSequence bytes(String key) {
        return ByteSequence.from(key, StandardCharsets.UTF_8);
    }

    static String string(ByteSequence bytes) {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** The first key of a prefix range: etcd has no empty key, and {@code \0} is the smallest one there is. */
    static ByteSequence rangeStart(String prefix) {
        return prefix.isEmpty() ? ByteSequence.from(TO_THE_END) : bytes(prefix);
    }

    /**
     * The exclusive end of the keys starting with {@code prefix}: the prefix with its last byte incremented,
     * after dropping trailing 0xff bytes (which cannot be incremented). A prefix of only 0xff bytes (or none)
     * has no end, which etcd spells {@code \0}.
     */
    static ByteSequence prefixEnd(String prefix) {
        byte[] end = prefix.getBytes(StandardCharsets.UTF_8);
        for (int i = end.length - 1; i >= 0; i--) {
            if (end[i] != (byte) 0xff) {
                end = Arrays.copyOf(end, i + 1);
                end[i]++;
                return ByteSequence.from(end);
            }
        }
        return ByteSequence.from(TO_THE_END);
    }

    /** etcd's key order: bytes compared unsigned. */
    static int compare(ByteSequence a, ByteSequence b) {
        return Arrays.compareUnsigned(a.getBytes(), b.getBytes());
    }

    /** The store's key value for etcd's; null for the empty value etcd reports when there is none. */
    static KeyValue keyValue(io.etcd.jetcd.KeyValue kv) {
        if (kv == null || kv.getModRevision() == 0) return null;
        return new KeyValue(string(kv.getKey()), kv.getValue().getBytes(), kv.getCreateRevision(),
                kv.getModRevision(), kv.getVersion());
    }
}
