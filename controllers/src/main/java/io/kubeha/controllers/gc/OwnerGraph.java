package io.kubeha.controllers.gc;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The collector's view of the objects the informers have seen: every object by uid (so owners are found by uid)
 * and, for every uid named in an ownerReference, the uids of the objects naming it (its dependents; the owner
 * itself need not exist). Kept up to date by the informer handlers, before they enqueue.
 */
final class OwnerGraph {
    /** One object and the resource it belongs to. */
    record Node(GarbageCollector.Kind kind, HasMetadata obj) {
        String uid() {
            return obj.getMetadata().getUid();
        }
    }

    private final Map<String, Node> byUid = new HashMap<>();
    private final Map<String, Set<String>> dependents = new HashMap<>();

    synchronized void put(GarbageCollector.Kind kind, HasMetadata obj) {
        String uid = obj.getMetadata().getUid();
        Node old = byUid.put(uid, new Node(kind, obj));
        if (old != null) {
            unlink(old.obj());
        }
        for (OwnerReference r : refs(obj)) {
            dependents.computeIfAbsent(r.getUid(), u -> new HashSet<>()).add(uid);
        }
    }

    synchronized void remove(HasMetadata obj) {
        Node old = byUid.remove(obj.getMetadata().getUid());
        unlink(old != null ? old.obj() : obj);
    }

    private void unlink(HasMetadata obj) {
        String uid = obj.getMetadata().getUid();
        for (OwnerReference r : refs(obj)) {
            Set<String> s = dependents.get(r.getUid());
            if (s != null) {
                s.remove(uid);
                if (s.isEmpty()) {
                    dependents.remove(r.getUid());
                }
            }
        }
    }

    synchronized Node get(String uid) {
        return byUid.get(uid);
    }

    /** The objects (present) that name {@code ownerUid} in an ownerReference. */
    synchronized List<Node> dependentsOf(String ownerUid) {
        List<Node> out = new ArrayList<>();
        for (String d : dependents.getOrDefault(ownerUid, Set.of())) {
            Node n = byUid.get(d);
            if (n != null) {
                out.add(n);
            }
        }
        return out;
    }

    synchronized Set<String> dependentUids(String ownerUid) {
        return Set.copyOf(dependents.getOrDefault(ownerUid, Set.of()));
    }

    static List<OwnerReference> refs(HasMetadata obj) {
        List<OwnerReference> r = obj.getMetadata().getOwnerReferences();
        return r == null ? List.of() : r.stream().filter(o -> o.getUid() != null).toList();
    }
}
