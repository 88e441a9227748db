package io.kubeha.store;

/**
 * A condition of a {@link Txn}. Only the comparison Kubernetes needs for optimistic concurrency: a key's
 * modification revision equals an expected value, where 0 means the key does not exist.
 */
public sealed interface Compare {
    String key();

    /** The key's modRevision equals {@code modRevision}; 0 means the key is absent. */
    record ModRevisionEquals(String key, long modRevision) implements Compare {
        public ModRevisionEquals {
            if (modRevision < 0) throw new IllegalArgumentException("modRevision must be >= 0");
        }
    }

    static Compare absent(String key) {
        return new ModRevisionEquals(key, 0);
    }

    static Compare modRevisionIs(String key, long modRevision) {
        return new ModRevisionEquals(key, modRevision);
    }
}
