package io.kubeha.apiserver.alloc;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceSpec;
import io.kubeha.store.KeyValue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static io.kubeha.apiserver.alloc.Specs.NONE;
import static io.kubeha.apiserver.alloc.Specs.needsClusterIP;
import static io.kubeha.apiserver.alloc.Specs.needsHealthCheck;
import static io.kubeha.apiserver.alloc.Specs.nodePorts;
import static io.kubeha.apiserver.alloc.Specs.orZero;
import static io.kubeha.apiserver.alloc.Specs.requestedIP;
import static io.kubeha.apiserver.alloc.Specs.usesNodePorts;

/**
 * One repair pass (kube-apiserver's ipallocator and portallocator repair controllers): compares the allocation
 * keys with the Services that exist and fixes what it safely can. Every write is a compare-and-swap on the key
 * as it was read, so a pass racing with allocations on other API servers never deletes or overwrites one made
 * after it looked; and an allocation younger than the leak grace is never taken for a leak, because its
 * Service may not have been written yet.
 */
final class RepairPass {
    private final KeyRange ips;
    private final KeyRange ports;
    private final Instant now;
    private final Duration grace;
    private final List<Allocated> released = new ArrayList<>();
    private final List<Allocated> recorded = new ArrayList<>();
    private final List<Allocated> awaiting = new ArrayList<>();
    private final List<String> problems = new ArrayList<>();

    RepairPass(KeyRange ips, KeyRange ports, Instant now, Duration grace) {
        this.ips = ips;
        this.ports = ports;
        this.now = now;
        this.grace = grace;
    }

    RepairReport run(Collection<Service> services) {
        Map<Long, List<ServiceRef>> ipUsers = new TreeMap<>();
        Map<Long, List<ServiceRef>> portUsers = new TreeMap<>();
        for (Service service : services) {
            ServiceRef ref;
            try {
                ref = ServiceRef.of(service);
            } catch (IllegalArgumentException e) {
                problems.add("a Service without namespace or name was left out of repair");
                continue;
            }
            ServiceSpec spec = Specs.specToRead(service);
            String ip = requestedIP(spec);
            if (needsClusterIP(spec) && ip != null && !NONE.equals(ip)) {
                long value = Ipv4.parse(ip);
                if (value < 0) problems.add("Service " + ref + " has clusterIP '" + ip + "', which is not an IPv4 address");
                else ipUsers.computeIfAbsent(value, v -> new ArrayList<>()).add(ref);
            }
            Set<Integer> held = new LinkedHashSet<>();
            if (usesNodePorts(spec)) held.addAll(nodePorts(spec));
            if (needsHealthCheck(spec) && orZero(spec.getHealthCheckNodePort()) != 0) held.add(spec.getHealthCheckNodePort());
            for (int port : held) portUsers.computeIfAbsent((long) port, v -> new ArrayList<>()).add(ref);
        }
        reconcile(ips, ipUsers);
        reconcile(ports, portUsers);
        return new RepairReport(released, recorded, awaiting, problems);
    }

    private void reconcile(KeyRange range, Map<Long, List<ServiceRef>> users) {
        Map<Long, KeyValue> keys = new HashMap<>();
        for (KeyValue kv : range.readAll()) {
            long value = range.valueOf(kv);
            if (value < 0) problems.add("key " + kv.key() + " does not name a " + range.kind + "; left alone");
            else keys.put(value, kv);
        }
        for (Map.Entry<Long, List<ServiceRef>> use : users.entrySet()) {
            long value = use.getKey();
            List<ServiceRef> owners = use.getValue();
            String what = range.kind + " " + range.format(value);
            KeyValue kv = keys.remove(value); // used: never released here, whatever else is wrong
            if (!range.contains(value)) {
                problems.add(what + " of Service " + owners.get(0) + " is not within the range " + range.text
                        + " (was the range changed?); recreate the Service to give it one from the range");
                continue;
            }
            if (owners.size() > 1) {
                problems.add(what + " is used by several Services: " + owners + "; all but one must be given another");
            }
            ServiceRef user = owners.get(0);
            if (kv == null) {
                // the Service exists but its allocation was lost: record it before a random allocation hands it out
                if (range.create(value, OwnerRecord.of(user, now).toBytes()) != null) {
                    recorded.add(range.allocated(value, user));
                } else {
                    problems.add(what + " of Service " + user + " was allocated to another Service while repair ran;"
                            + " it may now be used twice");
                }
                continue;
            }
            OwnerRecord holder = OwnerRecord.parse(kv.value());
            if (holder != null && owners.stream().anyMatch(o -> o.isSameService(holder.owner()))) continue;
            // the key names a Service that does not use this value: deleted, or recreated under a new uid
            if (young(holder)) {
                problems.add(what + " is used by Service " + user + " but was just allocated to " + holder.owner()
                        + "; a later repair looks again");
            } else if (range.replaceIfUnchanged(kv, OwnerRecord.of(user, now).toBytes())) {
                recorded.add(range.allocated(value, user));
            } else {
                problems.add(what + " changed while repair ran; a later repair looks again");
            }
        }
        for (Map.Entry<Long, KeyValue> unused : keys.entrySet()) {
            OwnerRecord holder = OwnerRecord.parse(unused.getValue().value());
            Allocated leak = range.allocated(unused.getKey(), holder == null ? null : holder.owner());
            if (young(holder)) awaiting.add(leak);
            else if (range.deleteIfUnchanged(unused.getValue())) released.add(leak);
            // else: rewritten since it was read, by an allocation this pass knows nothing about: leave it
        }
    }

    private boolean young(OwnerRecord holder) {
        return holder != null && holder.allocatedAtOrMin().plus(grace).isAfter(now);
    }
}
