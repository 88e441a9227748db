package io.kubeha.scheduler;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * One node and what is on it (bound pods and pods assumed by this scheduler), as kube-scheduler's NodeInfo: kept up
 * to date incrementally by {@link SchedulerCache} and copied into the per-cycle snapshot only when its
 * {@link #generation} moved. The node's allocatable is parsed once per node update, not once per filter call, so a
 * cycle over thousands of nodes does no quantity parsing. {@link #node} is null for a node the cache has pods for but
 * no Node object (removed, or not seen yet): such an entry is never in a snapshot.
 */
final class NodeInfo {
    Node node;
    final String name;
    List<Pod> pods = new ArrayList<>();
    /** hostIP/protocol/port triples in use: "protocol/port" plus the host IP ("0.0.0.0" for any). */
    Set<HostPort> usedPorts = new HashSet<>();
    long requestedMilliCpu;
    long requestedMemory;
    /** requests with kube-scheduler's non-zero defaults for containers without requests: what scoring uses */
    long nonZeroMilliCpu;
    long nonZeroMemory;
    /** the cache's generation at this entry's last change; the snapshot copies entries newer than its own */
    long generation;
    private long allocatableMilliCpu;
    private long allocatableMemory;
    private long allocatablePods;

    record HostPort(String ip, String protocol, int port) {
        boolean conflicts(HostPort other) {
            if (port != other.port || !protocol.equals(other.protocol)) return false;
            return ip.equals(other.ip) || ip.equals("0.0.0.0") || other.ip.equals("0.0.0.0");
        }
    }

    NodeInfo(Node node) {
        this(node.getMetadata().getName());
        setNode(node);
    }

    /** An entry with pods but no Node object yet. */
    NodeInfo(String name) {
        this.name = Objects.requireNonNull(name, "name");
    }

    String name() {
        return name;
    }

    void setNode(Node node) {
        this.node = node;
        if (node == null) return;
        var allocatable = node.getStatus() == null ? null : node.getStatus().getAllocatable();
        allocatableMilliCpu = Resources.milliCpu(allocatable, "cpu");
        allocatableMemory = Resources.bytes(allocatable, "memory");
        allocatablePods = Resources.count(allocatable, "pods");
    }

    void add(Pod pod) {
        pods.add(pod);
        account(pod, 1);
        usedPorts.addAll(Resources.hostPorts(pod));
    }

    /** Removes the pod of that namespace/name; false if it is not here. */
    boolean remove(Pod pod) {
        String key = Scheduler.key(pod);
        for (int i = 0; i < pods.size(); i++) {
            Pod p = pods.get(i);
            if (Scheduler.key(p).equals(key)) {
                pods.remove(i);
                account(p, -1);
                if (!Resources.hostPorts(p).isEmpty()) { // two pods may hold one port (a kubelet would refuse): recount
                    usedPorts = new HashSet<>();
                    for (Pod other : pods) usedPorts.addAll(Resources.hostPorts(other));
                }
                return true;
            }
        }
        return false;
    }

    private void account(Pod pod, int sign) {
        Resources.Requests r = Resources.requests(pod);
        requestedMilliCpu += sign * r.milliCpu();
        requestedMemory += sign * r.memory();
        Resources.Requests nz = Resources.nonZeroRequests(pod);
        nonZeroMilliCpu += sign * nz.milliCpu();
        nonZeroMemory += sign * nz.memory();
    }

    /** A copy whose pod list and port set are its own (the pods themselves are shared: they are never mutated). */
    NodeInfo copy() {
        NodeInfo c = new NodeInfo(name);
        c.copyFrom(this);
        return c;
    }

    /** Makes this entry equal to {@code other}, so that a snapshot's list keeps pointing at the same objects. */
    void copyFrom(NodeInfo other) {
        node = other.node;
        pods = new ArrayList<>(other.pods);
        usedPorts = new HashSet<>(other.usedPorts);
        requestedMilliCpu = other.requestedMilliCpu;
        requestedMemory = other.requestedMemory;
        nonZeroMilliCpu = other.nonZeroMilliCpu;
        nonZeroMemory = other.nonZeroMemory;
        generation = other.generation;
        allocatableMilliCpu = other.allocatableMilliCpu;
        allocatableMemory = other.allocatableMemory;
        allocatablePods = other.allocatablePods;
    }

    long allocatableMilliCpu() {
        return allocatableMilliCpu;
    }

    long allocatableMemory() {
        return allocatableMemory;
    }

    long allocatablePods() {
        return allocatablePods;
    }
}
