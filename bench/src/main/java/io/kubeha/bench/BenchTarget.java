package io.kubeha.bench;

import java.util.function.Consumer;

/** What the store benchmark drives: a {@link io.kubeha.store.Store}, or etcd through jetcd directly. */
public interface BenchTarget extends AutoCloseable {
    String name();

    void put(String key, byte[] value);

    /** Reads the key; fails when it is missing (a benchmark that reads nothing measures nothing). */
    void get(String key);

    /** Lists the prefix; returns how many keys it holds. */
    int range(String prefix);

    /** Watches the prefix from now on; {@code onPut} gets each created or updated key. */
    AutoCloseable watch(String prefix, Consumer<String> onPut);

    @Override
    void close();
}
