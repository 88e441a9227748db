package io.kubeha.scheduler;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** One node and what is already on it (bound pods and pods assumed by this scheduler), for one scheduling cycle. */
final class NodeInfo {
    final Node node;
    final List<Pod> pods = new ArrayList<>();
    /** hostIP/protocol/port triples in use: "protocol/port" plus the host IP ("0.0.0.0" for any). */
    final Set<HostPort> usedPorts = new HashSet<>();
    long requestedMilliCpu;
    long requestedMemory;
    /** requests with kube-scheduler's non-zero defaults for containers without requests: what scoring uses */
    long nonZeroMilliCpu;
    long nonZeroMemory;

    record HostPort(String ip, String protocol, int port) {
        boolean conflicts(HostPort other) {
            if (port != other.port || !protocol.equals(other.protocol)) return false;
            return ip.equals(other.ip) || ip.equals("0.0.0.0") || other.ip.equals("0.0.0.0");
        }
    }

    NodeInfo(Node node) {
        this.node = node;
    }

    String name() {
        return node.getMetadata().getName();
    }

    void add(Pod pod) {
        pods.add(pod);
        Resources.Requests r = Resources.requests(pod);
        requestedMilliCpu += r.milliCpu();
        requestedMemory += r.memory();
        Resources.Requests nz = Resources.nonZeroRequests(pod);
        nonZeroMilliCpu += nz.milliCpu();
        nonZeroMemory += nz.memory();
        usedPorts.addAll(Resources.hostPorts(pod));
    }

    long allocatableMilliCpu() {
        return Resources.milliCpu(node.getStatus() == null ? null : node.getStatus().getAllocatable(), "cpu");
    }

    long allocatableMemory() {
        return Resources.bytes(node.getStatus() == null ? null : node.getStatus().getAllocatable(), "memory");
    }

    long allocatablePods() {
        return Resources.count(node.getStatus() == null ? null : node.getStatus().getAllocatable(), "pods");
    }
}
