package io.kubeha.store.embedded;

import io.kubeha.store.KeyValue;
import io.kubeha.store.Store;
import io.kubeha.store.StoreOptions;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Run in a child JVM by {@link EmbeddedKillTest}: writes unique keys from several threads as fast as the
 * store acknowledges them and prints {@code ACK key modRevision} for each acknowledged write, until killed.
 */
public final class DurabilityWriter {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        String round = args[1];
        boolean fsync = Boolean.parseBoolean(args[2]);
        Store store = EmbeddedStore.open(dir, StoreOptions.DEFAULTS.withFsync(fsync));
        System.out.println("READY " + store.currentRevision());
        System.out.flush();
        int threads = 4;
        Thread[] ts = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            int id = t;
            ts[t] = Thread.ofPlatform().start(() -> {
                for (long i = 0; ; i++) {
                    String key = "/durability/" + round + "/" + id + "/" + i;
                    KeyValue kv = store.create(key, ("value " + i).getBytes(StandardCharsets.UTF_8));
                    synchronized (System.out) {
                        System.out.println("ACK " + key + " " + kv.modRevision());
                        System.out.flush();
                    }
                }
            });
        }
        for (Thread t : ts) t.join();
    }
}
