package io.kubeha.apiserver.storage;

import io.kubeha.apiserver.api.ApiException;
import io.kubeha.apiserver.registry.ResourceType;
import io.kubeha.store.KeyValue;
import io.kubeha.store.RangeOptions;
import io.kubeha.store.RangeResult;
import io.kubeha.store.Store;
import io.kubeha.store.StoreException;
import io.kubeha.security.encryption.EncryptionConfig;
import io.kubeha.security.encryption.TransformException;
import io.kubeha.security.encryption.Transformer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * One resource type's objects in the store, as JSON trees: the only code that turns API operations into
 * store operations. Optimistic concurrency lives here in one place ({@link #update}, kube's GuaranteedUpdate),
 * and every store failure becomes the Status kube-apiserver would answer.
 *
 * <p>Values go through the resource's {@link Transformer} (kube-apiserver's {@code --encryption-provider-config})
 * on their way to and from the store, with the store key as the authenticated data, as kube does. A value no
 * provider can read is a 500 InternalError for a get, update or delete of that object, and is left out of lists
 * (with a log line), so one unreadable object does not break every list of its resource.
 */
public final class ObjectStorage {
    private static final Logger log = LoggerFactory.getLogger(ObjectStorage.class);
    private static final int MAX_UPDATE_RETRIES = 16;

    private final Store store;
    private final ResourceType type;
    private final Transformer transformer;
    private final Unreadable unreadable = new Unreadable();

    public ObjectStorage(Store store, ResourceType type) {
        this(store, type, EncryptionConfig.identity());
    }

    public ObjectStorage(Store store, ResourceType type, EncryptionConfig encryption) {
        this.store = store;
        this.type = type;
        this.transformer = transformerFor(encryption, type);
    }

    /** The resource's transformer; events.k8s.io events are kube's core events in storage, so they share its entry. */
    static Transformer transformerFor(EncryptionConfig encryption, ResourceType type) {
        String group = type.group().equals("events.k8s.io") && type.resource().equals("events") ? "" : type.group();
        return (encryption == null ? EncryptionConfig.identity() : encryption).forResource(group, type.resource());
    }

    static byte[] keyBytes(String key) {
        return key.getBytes(StandardCharsets.UTF_8);
    }

    /** The stored bytes of {@code obj} at {@code key}: its JSON, transformed for storage. */
    private byte[] encode(String key, ObjectNode obj) {
        return transformer.toStorage(Obj.encode(obj), keyBytes(key));
    }

    /** The readable form of a stored value; 500 InternalError (logged once per key) when no provider can read it. */
    private Transformer.Read read(KeyValue kv) {
        try {
            return transformer.fromStorage(kv.value(), keyBytes(kv.key()));
        } catch (TransformException e) {
            throw unreadable.error(log, kv, e);
        }
    }

    private ObjectNode decode(KeyValue kv) {
        return Obj.decode(read(kv).plain(), kv.modRevision());
    }

    public ResourceType type() {
        return type;
    }

    public Optional<ObjectNode> find(String namespace, String name) {
        return call(() -> store.get(type.key(namespace, name)).map(this::decode));
    }

    public ObjectNode get(String namespace, String name) {
        return find(namespace, name).orElseThrow(() -> ApiException.notFound(type.group(), type.resource(), name));
    }

    /** Stores a new object; 409 AlreadyExists when the name is taken. */
    public ObjectNode create(String namespace, String name, ObjectNode obj) {
        return call(() -> {
            try {
                String key = type.key(namespace, name);
                KeyValue kv = store.create(key, encode(key, obj));
                ObjectNode out = obj.deepCopy();
                Obj.metadata(out).put("resourceVersion", Long.toString(kv.modRevision()));
                return out;
            } catch (StoreException.KeyExists e) {
                throw ApiException.alreadyExists(type.group(), type.resource(), name);
            }
        });
    }

    /**
     * Read-modify-write with optimistic concurrency, as kube's GuaranteedUpdate: {@code change} gets the
     * current object and returns the new one (or the same instance to write nothing). With
     * {@code expectedVersion} > 0 the update applies only to that version (else 409 Conflict); with 0 it
     * retries on a concurrent change, re-running {@code change} on the newer object.
     */
    public ObjectNode update(String namespace, String name, long expectedVersion, UnaryOperator<ObjectNode> change) {
        String key = type.key(namespace, name);
        return call(() -> {
            for (int attempt = 0; attempt < MAX_UPDATE_RETRIES; attempt++) {
                KeyValue current = store.get(key).orElseThrow(() -> ApiException.notFound(type.group(), type.resource(), name));
                if (expectedVersion > 0 && current.modRevision() != expectedVersion) {
                    throw ApiException.conflictModified(type.group(), type.resource(), name);
                }
                Transformer.Read read = read(current);
                ObjectNode before = Obj.decode(read.plain(), current.modRevision());
                ObjectNode after = change.apply(before.deepCopy());
                if (after == null) return before;
                byte[] bytes = Obj.encode(after);
                // no-op: no new revision, as kube; unless stored in an older form, which the write re-encrypts
                if (!read.stale() && java.util.Arrays.equals(bytes, read.plain())) return before;
                try {
                    KeyValue kv = store.update(key, transformer.toStorage(bytes, keyBytes(key)), current.modRevision());
                    ObjectNode out = after.deepCopy();
                    Obj.metadata(out).put("resourceVersion", Long.toString(kv.modRevision()));
                    return out;
                } catch (StoreException.Conflict e) {
                    if (expectedVersion > 0) throw ApiException.conflictModified(type.group(), type.resource(), name);
                    // someone else wrote in between: run the change again on their version
                }
            }
            throw ApiException.conflict(type.group(), type.resource(), name, "too many concurrent updates; try again");
        });
    }

    /** Deletes the object if it is still at {@code expectedVersion} (0: whatever version); returns it as it was. */
    public ObjectNode delete(String namespace, String name, long expectedVersion) {
        String key = type.key(namespace, name);
        return call(() -> {
            for (int attempt = 0; attempt < MAX_UPDATE_RETRIES; attempt++) {
                KeyValue current = store.get(key).orElseThrow(() -> ApiException.notFound(type.group(), type.resource(), name));
                if (expectedVersion > 0 && current.modRevision() != expectedVersion) {
                    throw ApiException.conflictModified(type.group(), type.resource(), name);
                }
                ObjectNode before = decode(current); // unreadable: 500, as kube
                try {
                    store.delete(key, current.modRevision());
                    return before;
                } catch (StoreException.Conflict e) {
                    if (expectedVersion > 0) throw ApiException.conflictModified(type.group(), type.resource(), name);
                }
            }
            throw ApiException.conflict(type.group(), type.resource(), name, "too many concurrent updates; try again");
        });
    }

    /** One page of a list read. {@code continueKey} is null on the last page. */
    public record Page(List<ObjectNode> items, long revision, String continueKey, long remaining) {}

    /**
     * Reads objects under {@code namespace} (all when null) at {@code revision} (0: latest), from
     * {@code startKey} on, keeping those {@code filter} accepts, until {@code limit} (0: all) are found.
     */
    public Page list(String namespace, long revision, int limit, String startKey, Predicate<ObjectNode> filter) {
        String prefix = type.prefix(namespace);
        return call(() -> {
            List<ObjectNode> items = new ArrayList<>();
            long rev = revision;
            String from = startKey;
            int chunk = limit == 0 ? 0 : Math.max(limit, 100);
            while (true) {
                RangeOptions opts = new RangeOptions(rev, chunk, from, false);
                RangeResult r = store.range(prefix, opts);
                rev = r.revision();
                for (int i = 0; i < r.kvs().size(); i++) {
                    KeyValue stored = r.kvs().get(i);
                    Transformer.Read read = unreadable.tryRead(log, transformer, stored);
                    if (read == null) continue; // logged; one unreadable object does not fail the list
                    ObjectNode obj = Obj.decode(read.plain(), stored.modRevision());
                    if (!filter.test(obj)) continue;
                    items.add(obj);
                    if (limit > 0 && items.size() == limit) {
                        boolean last = i == r.kvs().size() - 1 && !r.more();
                        String next = last ? null : r.kvs().get(i).key() + '\0';
                        long remaining = last ? 0 : Math.max(0, r.count() - i - 1);
                        return new Page(items, rev, next, remaining);
                    }
                }
                if (!r.more()) return new Page(items, rev, null, 0);
                from = r.continueKey();
            }
        });
    }

    public long currentRevision() {
        return call(store::currentRevision);
    }

    /** Runs a store call, turning store failures into the Status kube-apiserver answers with. */
    static <T> T call(java.util.function.Supplier<T> work) {
        try {
            return work.get();
        } catch (StoreException.Compacted e) {
            throw ApiException.gone("The resourceVersion for the provided list is too old.");
        } catch (StoreException.Unavailable e) {
            if (e.timedOut()) throw ApiException.timeout("The store did not answer in time: " + e.getMessage());
            throw ApiException.unavailable("The store is unavailable: " + e.getMessage());
        } catch (StoreException.Invalid e) {
            String msg = e.getMessage() == null ? "" : e.getMessage();
            if (msg.contains("future")) throw ApiException.timeout("Too large resource version: " + msg);
            throw ApiException.badRequest(msg);
        }
    }
}
