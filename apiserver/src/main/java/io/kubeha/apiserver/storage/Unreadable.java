package io.kubeha.apiserver.storage;

import io.kubeha.apiserver.api.ApiException;
import io.kubeha.security.encryption.TransformException;
import io.kubeha.security.encryption.Transformer;
import io.kubeha.store.KeyValue;
import org.slf4j.Logger;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Stored values no provider of the encryption config can read (encrypted with a key the config no longer lists,
 * or tampered with): logged once per key and revision, so that a client retrying a get does not flood the log.
 */
final class Unreadable {
    private static final int MAX_REMEMBERED = 10_000;
    private final Set<String> logged = ConcurrentHashMap.newKeySet();

    /** The 500 InternalError kube-apiserver answers for such a value, logging it the first time. */
    ApiException error(Logger log, KeyValue kv, TransformException e) {
        String message = "unable to transform key \"" + kv.key() + "\": " + e.getMessage();
        if (first(kv)) log.error("{} (revision {}); check --encryption-provider-config", message, kv.modRevision());
        return ApiException.internal(message);
    }

    /** The readable form of {@code kv}, or null (logged the first time) when no provider can read it. */
    Transformer.Read tryRead(Logger log, Transformer transformer, KeyValue kv) {
        try {
            return transformer.fromStorage(kv.value(), ObjectStorage.keyBytes(kv.key()));
        } catch (TransformException e) {
            if (first(kv)) {
                log.error("skipping {} (revision {}): unable to transform it: {}; check --encryption-provider-config",
                        kv.key(), kv.modRevision(), e.getMessage());
            }
            return null;
        }
    }

    private boolean first(KeyValue kv) {
        if (logged.size() >= MAX_REMEMBERED) logged.clear();
        return logged.add(kv.key() + "@" + kv.modRevision());
    }
}
