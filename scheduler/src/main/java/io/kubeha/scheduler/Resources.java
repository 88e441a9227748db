package io.kubeha.scheduler;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Pod resource requests and host ports as kube-scheduler counts them. */
final class Resources {
    /** kube-scheduler's defaults for scoring a container that requests nothing (pkg/scheduler/util: 100m, 200Mi). */
    static final long DEFAULT_MILLI_CPU = 100;
    static final long DEFAULT_MEMORY = 200L * 1024 * 1024;

    record Requests(long milliCpu, long memory) { }

    private Resources() { }

    /** max(sum of containers, each init container) per resource, plus overhead: the pod's effective request. */
    static Requests requests(Pod pod) {
        return compute(pod, false);
    }

    static Requests nonZeroRequests(Pod pod) {
        return compute(pod, true);
    }

    private static Requests compute(Pod pod, boolean nonZero) {
        long cpu = 0, mem = 0;
        var spec = pod.getSpec();
        if (spec == null) return new Requests(0, 0);
        for (Container c : nullSafe(spec.getContainers())) {
            cpu += containerCpu(c, nonZero);
            mem += containerMemory(c, nonZero);
        }
        for (Container c : nullSafe(spec.getInitContainers())) {
            cpu = Math.max(cpu, containerCpu(c, nonZero));
            mem = Math.max(mem, containerMemory(c, nonZero));
        }
        if (spec.getOverhead() != null) {
            cpu += milliCpu(spec.getOverhead(), "cpu");
            mem += bytes(spec.getOverhead(), "memory");
        }
        return new Requests(cpu, mem);
    }

    private static long containerCpu(Container c, boolean nonZero) {
        Map<String, Quantity> req = c.getResources() == null ? null : c.getResources().getRequests();
        if (req == null || !req.containsKey("cpu")) return nonZero ? DEFAULT_MILLI_CPU : 0;
        return milliCpu(req, "cpu");
    }

    private static long containerMemory(Container c, boolean nonZero) {
        Map<String, Quantity> req = c.getResources() == null ? null : c.getResources().getRequests();
        if (req == null || !req.containsKey("memory")) return nonZero ? DEFAULT_MEMORY : 0;
        return bytes(req, "memory");
    }

    static long milliCpu(Map<String, Quantity> m, String key) {
        if (m == null || m.get(key) == null) return 0;
        return m.get(key).getNumericalAmount().multiply(BigDecimal.valueOf(1000)).setScale(0, RoundingMode.CEILING).longValueExact();
    }

    static long bytes(Map<String, Quantity> m, String key) {
        if (m == null || m.get(key) == null) return 0;
        return m.get(key).getNumericalAmount().setScale(0, RoundingMode.CEILING).longValueExact();
    }

    static long count(Map<String, Quantity> m, String key) {
        return bytes(m, key);
    }

    static List<NodeInfo.HostPort> hostPorts(Pod pod) {
        List<NodeInfo.HostPort> out = new ArrayList<>();
        if (pod.getSpec() == null) return out;
        for (Container c : nullSafe(pod.getSpec().getContainers())) {
            for (ContainerPort p : nullSafe(c.getPorts())) {
                if (p.getHostPort() == null || p.getHostPort() <= 0) continue;
                String ip = p.getHostIP() == null || p.getHostIP().isEmpty() ? "0.0.0.0" : p.getHostIP();
                String proto = p.getProtocol() == null || p.getProtocol().isEmpty() ? "TCP" : p.getProtocol();
                out.add(new NodeInfo.HostPort(ip, proto, p.getHostPort()));
            }
        }
        return out;
    }

    static <T> List<T> nullSafe(List<T> list) {
        return list == null ? List.of() : list;
    }
}
