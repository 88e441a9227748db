package io.kubeha.bench;

import io.kubeha.store.RangeOptions;
import io.kubeha.store.Store;
import io.kubeha.store.StoreException;
import io.kubeha.store.WatchEvent;
import io.kubeha.store.WatchListener;

import java.util.function.Consumer;

/** Benchmarks a kubeha {@link Store} (embedded or etcd). */
public final class StoreTarget implements BenchTarget {
    private final String name;
    private final Store store;

    public StoreTarget(String name, Store store) {
        this.name = name;
        this.store = store;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void put(String key, byte[] value) {
        store.put(key, value);
    }

    @Override
    public void get(String key) {
        if (store.get(key).isEmpty()) throw new IllegalStateException("missing key " + key);
    }

    @Override
    public int range(String prefix) {
        return store.range(prefix, RangeOptions.LATEST).kvs().size();
    }

    @Override
    public AutoCloseable watch(String prefix, Consumer<String> onPut) {
        return store.watch(prefix, store.currentRevision(), new WatchListener() {
            @Override
            public void onEvent(WatchEvent event) {
                if (event instanceof WatchEvent.Put put) onPut.accept(put.kv().key());
            }

            @Override
            public void onError(StoreException error) {
                System.err.println("bench: watch failed: " + error.getMessage());
            }
        });
    }

    @Override
    public void close() {
        store.close();
    }
}
