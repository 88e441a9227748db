package io.kubeha.store;

/**
 * Every way a store operation can fail that a caller can act on. The API server maps each to a Kubernetes
 * Status: {@link KeyExists} to 409 AlreadyExists, {@link Conflict} to 409 Conflict (or 404 when the key is
 * gone), {@link Compacted} to 410 Gone, {@link Unavailable} to 503/504.
 */
public abstract sealed class StoreException extends RuntimeException {
    protected StoreException(String message, Throwable cause) {
        super(message, cause);
    }

    /** A create found the key already there. */
    public static final class KeyExists extends StoreException {
        private final KeyValue existing;

        public KeyExists(String key, KeyValue existing) {
            super("key " + key + " already exists", null);
            this.existing = existing;
        }

        /** The value found, or null when the store did not say. */
        public KeyValue existing() {
            return existing;
        }
    }

    /** An update or delete expected a modRevision the key no longer has. */
    public static final class Conflict extends StoreException {
        private final String key;
        private final long expected;
        private final KeyValue current;

        public Conflict(String key, long expected, KeyValue current) {
            super("key " + key + " was expected at modRevision " + expected + " but is "
                    + (current == null ? "absent" : "at modRevision " + current.modRevision()), null);
            this.key = key;
            this.expected = expected;
            this.current = current;
        }

        public String key() {
            return key;
        }

        public long expected() {
            return expected;
        }

        /** The key's current value, or null when it does not exist. */
        public KeyValue current() {
            return current;
        }
    }

    /** A read or watch asked for a revision older than the store keeps. */
    public static final class Compacted extends StoreException {
        private final long requested;
        private final long compactRevision;

        public Compacted(long requested, long compactRevision) {
            super("revision " + requested + " has been compacted; the oldest revision kept is "
                    + compactRevision, null);
            this.requested = requested;
            this.compactRevision = compactRevision;
        }

        public long requested() {
            return requested;
        }

        /** History before this revision is gone. */
        public long compactRevision() {
            return compactRevision;
        }
    }

    /** The store cannot serve now (unreachable, no quorum, timed out, closed). Retrying later may work. */
    public static final class Unavailable extends StoreException {
        private final boolean timedOut;

        public Unavailable(String message, Throwable cause) {
            this(message, cause, false);
        }

        /** @param timedOut the store did not answer in time (a write may still be applied), as opposed to refusing */
        public Unavailable(String message, Throwable cause, boolean timedOut) {
            super(message, cause);
            this.timedOut = timedOut;
        }

        public boolean timedOut() {
            return timedOut;
        }
    }

    /** The request itself is wrong for this store (for example a value larger than it accepts). */
    public static final class Invalid extends StoreException {
        public Invalid(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
