package io.kubeha.store;

import java.util.Objects;

/** An operation inside a {@link Txn}. */
public sealed interface Op {
    String key();

    record Put(String key, byte[] value) implements Op {
        public Put {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
        }
    }

    record Delete(String key) implements Op {
        public Delete {
            Objects.requireNonNull(key, "key");
        }
    }

    record Get(String key) implements Op {
        public Get {
            Objects.requireNonNull(key, "key");
        }
    }

    static Op put(String key, byte[] value) {
        return new Put(key, value);
    }

    static Op delete(String key) {
        return new Delete(key);
    }

    static Op get(String key) {
        return new Get(key);
    }
}
