package io.kubeha.apiserver.http;

import io.kubeha.apiserver.api.ApiException;
import io.kubeha.apiserver.api.Json;
import io.kubeha.apiserver.registry.ResourceType;
import io.kubeha.apiserver.registry.Resources;
import io.kubeha.apiserver.storage.ObjectStorage;
import io.kubeha.apiserver.storage.WatchCache;
import io.kubeha.store.Store;
import tools.jackson.databind.node.ObjectNode;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Builds the storage, watch cache and handler of every resource type, and the objects every cluster starts with. */
public final class Handlers {
    private final Map<ResourceType, ResourceHandler> byType = new LinkedHashMap<>();
    private final List<WatchCache> caches = new ArrayList<>();
    private final Clock clock;

    public Handlers(Resources resources, Store store, Clock clock) {
        this.clock = clock;
        ResourceType nsType = resources.find("", "v1", "namespaces").orElseThrow();
        Admission admission = new Admission(new ObjectStorage(store, nsType));
        for (ResourceType t : resources.all()) {
            WatchCache cache = new WatchCache(store, t);
            caches.add(cache);
            byType.put(t, new ResourceHandler(t, new ObjectStorage(store, t), cache, admission, clock));
        }
    }

    /** The HTTP handler serving these resources; {@code address} is what discovery tells clients to use. */
    public ApiRouter router(Resources resources, Store store, String address) {
        return new ApiRouter(resources, byType, store, address, new Metrics(caches));
    }

    public List<WatchCache> caches() {
        return caches;
    }

    /** The namespaces every Kubernetes cluster has; created if missing (several servers may race: fine). */
    public void bootstrap() {
        ResourceHandler ns = byType.keySet().stream().filter(t -> t.resource().equals("namespaces")).map(byType::get)
                .findFirst().orElseThrow();
        for (String name : List.of("default", "kube-system", "kube-public", "kube-node-lease")) {
            if (ns.storage().find(null, name).isPresent()) continue;
            ObjectNode obj = Json.object();
            obj.put("apiVersion", "v1");
            obj.put("kind", "Namespace");
            ObjectNode meta = obj.putObject("metadata");
            meta.put("name", name);
            meta.put("uid", UUID.randomUUID().toString());
            meta.put("creationTimestamp", Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString());
            meta.putObject("labels").put("kubernetes.io/metadata.name", name);
            obj.putObject("spec").putArray("finalizers").add("kubernetes");
            obj.putObject("status").put("phase", "Active");
            try {
                ns.storage().create(null, name, obj);
            } catch (ApiException e) {
                if (e.code() != 409) throw e;
            }
        }
    }
}
