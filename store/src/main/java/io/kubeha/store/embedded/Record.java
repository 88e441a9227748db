package io.kubeha.store.embedded;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * A change as the backend stores it: the key, its generation's create revision, its version and its new
 * value, or a tombstone for a delete. The mod revision is the record id's revision.
 *
 * <p>Layout: flags(1) createRevision(8) version(8) keyLength(4) key(UTF-8) value(rest).
 */
record Record(String key, long createRevision, long version, boolean tombstone, byte[] value) {
    static final int SUB_BITS = 20;
    static final int MAX_OPS_PER_TXN = 1 << SUB_BITS;
    private static final byte TOMBSTONE = 1;
    private static final byte[] EMPTY = new byte[0];

    static long id(long revision, int sub) {
        return (revision << SUB_BITS) | sub;
    }

    static long revisionOf(long id) {
        return id >>> SUB_BITS;
    }

    /** The smallest id of a revision. */
    static long firstId(long revision) {
        return revision << SUB_BITS;
    }

    /** The largest id of a revision. */
    static long lastId(long revision) {
        return (revision << SUB_BITS) | (MAX_OPS_PER_TXN - 1);
    }

    static Record put(String key, long createRevision, long version, byte[] value) {
        return new Record(key, createRevision, version, false, value);
    }

    static Record tombstone(String key) {
        return new Record(key, 0, 0, true, EMPTY);
    }

    byte[] encode() {
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(1 + 8 + 8 + 4 + k.length + value.length);
        buf.put(tombstone ? TOMBSTONE : 0).putLong(createRevision).putLong(version).putInt(k.length).put(k).put(value);
        return buf.array();
    }

    static Record decode(byte[] data) {
        ByteBuffer buf = ByteBuffer.wrap(data);
        boolean tomb = (buf.get() & TOMBSTONE) != 0;
        long create = buf.getLong();
        long version = buf.getLong();
        byte[] k = new byte[buf.getInt()];
        buf.get(k);
        byte[] v = new byte[buf.remaining()];
        buf.get(v);
        return new Record(new String(k, StandardCharsets.UTF_8), create, version, tomb, v);
    }

    /** Only the key, without copying the value (index rebuild reads every record). */
    static String decodeKey(byte[] data) {
        ByteBuffer buf = ByteBuffer.wrap(data);
        int len = buf.getInt(17);
        return new String(data, 21, len, StandardCharsets.UTF_8);
    }

    static boolean decodeTombstone(byte[] data) {
        return (data[0] & TOMBSTONE) != 0;
    }
}
