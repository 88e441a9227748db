package io.kubeha.bench;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;

/** The reference: the same operations straight against etcd through jetcd, with no kubeha code between. */
public final class RawEtcdTarget implements BenchTarget {
    private final Client client;
    private final KV kv;

    public RawEtcdTarget(List<URI> endpoints) {
        this.client = Client.builder().endpoints(endpoints.toArray(URI[]::new)).build();
        this.kv = client.getKVClient();
    }

    private static ByteSequence bs(String s) {
        return ByteSequence.from(s, StandardCharsets.UTF_8);
    }

    private static <T> T await(java.util.concurrent.CompletableFuture<T> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    @Override
    public String name() {
        return "raw etcd (jetcd)";
    }

    @Override
    public void put(String key, byte[] value) {
        await(kv.put(bs(key), ByteSequence.from(value), PutOption.builder().withPrevKV().build()));
    }

    @Override
    public void get(String key) {
        if (await(kv.get(bs(key))).getKvs().isEmpty()) throw new IllegalStateException("missing key " + key);
    }

    @Override
    public int range(String prefix) {
        return await(kv.get(bs(prefix), GetOption.builder().isPrefix(true).build())).getKvs().size();
    }

    @Override
    public AutoCloseable watch(String prefix, Consumer<String> onPut) {
        long rev = await(kv.get(bs(prefix), GetOption.builder().withCountOnly(true).build())).getHeader().getRevision();
        Watch.Watcher w = client.getWatchClient().watch(bs(prefix),
                WatchOption.builder().isPrefix(true).withRevision(rev + 1).build(),
                Watch.listener(resp -> {
                    for (WatchEvent e : resp.getEvents()) {
                        if (e.getEventType() == WatchEvent.EventType.PUT) {
                            onPut.accept(e.getKeyValue().getKey().toString(StandardCharsets.UTF_8));
                        }
                    }
                }));
        return w::close;
    }

    @Override
    public void close() {
        client.close();
    }
}
