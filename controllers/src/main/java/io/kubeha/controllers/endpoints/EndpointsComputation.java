package io.kubeha.controllers.endpoints;

import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EndpointAddress;
import io.fabric8.kubernetes.api.model.EndpointAddressBuilder;
import io.fabric8.kubernetes.api.model.EndpointPort;
import io.fabric8.kubernetes.api.model.EndpointPortBuilder;
import io.fabric8.kubernetes.api.model.EndpointSubset;
import io.fabric8.kubernetes.api.model.EndpointSubsetBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Pure functions computing a Service's Endpoints subsets and EndpointSlice contents from its pods, as
 * kube-controller-manager's endpoint and endpointslice controllers do, plus canonical forms used to tell whether
 * what exists already equals what is wanted (so that nothing is written when nothing changed).
 */
final class EndpointsComputation {
    static final String HEADLESS_LABEL = "service.kubernetes.io/headless";

    private EndpointsComputation() {
    }

    /** One port of a pod's endpoint: the service port's name, the resolved number, protocol and app protocol. */
    record Port(String name, int port, String protocol, String appProtocol) {
        static final Comparator<Port> ORDER = Comparator.comparing(Port::name).thenComparingInt(Port::port)
                .thenComparing(Port::protocol);
    }

    static boolean hasSelector(Service svc) {
        return svc.getSpec() != null && svc.getSpec().getSelector() != null && !svc.getSpec().getSelector().isEmpty();
    }

    static boolean selects(Service svc, Pod pod) {
        if (!hasSelector(svc) || !Objects.equals(svc.getMetadata().getNamespace(), pod.getMetadata().getNamespace())) {
            return false;
        }
        Map<String, String> labels = pod.getMetadata().getLabels() == null ? Map.of() : pod.getMetadata().getLabels();
        for (var e : svc.getSpec().getSelector().entrySet()) {
            if (!Objects.equals(e.getValue(), labels.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    static boolean isReady(Pod pod) {
        return pod.getStatus() != null && pod.getStatus().getConditions() != null && pod.getStatus().getConditions().stream()
                .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    static String podIp(Pod pod) {
        return pod.getStatus() == null ? null : nz(pod.getStatus().getPodIP()).isEmpty() ? null : pod.getStatus().getPodIP();
    }

    /** kube's ShouldPodBeInEndpoints: an IP, not terminal, and not being deleted unless terminating pods are included. */
    static boolean shouldBeInEndpoints(Pod pod, boolean includeTerminating) {
        String phase = pod.getStatus() == null ? "" : nz(pod.getStatus().getPhase());
        if (phase.equals("Succeeded") || phase.equals("Failed")) {
            return false;
        }
        if (podIp(pod) == null) {
            return false;
        }
        return includeTerminating || pod.getMetadata().getDeletionTimestamp() == null;
    }

    static boolean headless(Service svc) {
        String ip = svc.getSpec().getClusterIP();
        return ip == null || ip.isEmpty() || "None".equals(ip);
    }

    /** The service's labels, plus service.kubernetes.io/headless for a headless service (and without it otherwise). */
    static Map<String, String> labels(Service svc) {
        Map<String, String> l = new TreeMap<>(svc.getMetadata().getLabels() == null ? Map.of() : svc.getMetadata().getLabels());
        if (headless(svc)) {
            l.put(HEADLESS_LABEL, "");
        } else {
            l.remove(HEADLESS_LABEL);
        }
        return l;
    }

    /** The pod's ports for the service: each service port whose targetPort resolves in this pod (kube's FindPort). */
    static List<Port> ports(Service svc, Pod pod) {
        List<Port> out = new ArrayList<>();
        for (ServicePort sp : svc.getSpec().getPorts() == null ? List.<ServicePort>of() : svc.getSpec().getPorts()) {
            String protocol = nz(sp.getProtocol()).isEmpty() ? "TCP" : sp.getProtocol();
            Integer n = findPort(pod, sp.getTargetPort(), sp.getPort(), protocol);
            if (n != null) {
                out.add(new Port(nz(sp.getName()), n, protocol, sp.getAppProtocol()));
            }
        }
        out.sort(Port.ORDER);
        return out;
    }

    static Integer findPort(Pod pod, IntOrString target, Integer servicePort, String protocol) {
        if (target == null || (target.getStrVal() == null && (target.getIntVal() == null || target.getIntVal() == 0))) {
            return servicePort;
        }
        if (target.getStrVal() == null) {
            return target.getIntVal();
        }
        String name = target.getStrVal();
        if (pod.getSpec() != null && pod.getSpec().getContainers() != null) {
            for (var c : pod.getSpec().getContainers()) {
                for (ContainerPort cp : c.getPorts() == null ? List.<ContainerPort>of() : c.getPorts()) {
                    String cpProtocol = nz(cp.getProtocol()).isEmpty() ? "TCP" : cp.getProtocol();
                    if (name.equals(cp.getName()) && protocol.equals(cpProtocol)) {
                        return cp.getContainerPort();
                    }
                }
            }
        }
        // a numeric string is a number in kube (IntOrString parsed as string only for names)
        return null;
    }

    static ObjectReference targetRef(Pod pod) {
        return new ObjectReferenceBuilder().withKind("Pod").withNamespace(pod.getMetadata().getNamespace())
                .withName(pod.getMetadata().getName()).withUid(pod.getMetadata().getUid()).build();
    }

    static String hostname(Service svc, Pod pod) {
        if (pod.getSpec() != null && !nz(pod.getSpec().getHostname()).isEmpty()
                && svc.getMetadata().getName().equals(pod.getSpec().getSubdomain())) {
            return pod.getSpec().getHostname();
        }
        return null;
    }

    static String nodeName(Pod pod) {
        return pod.getSpec() == null || nz(pod.getSpec().getNodeName()).isEmpty() ? null : pod.getSpec().getNodeName();
    }

    /**
     * The Endpoints subsets: pods grouped by their resolved ports (one subset per distinct port list), ready
     * pods (or all, with publishNotReadyAddresses) in addresses, the others in notReadyAddresses; sorted.
     */
    static List<EndpointSubset> subsets(Service svc, List<Pod> pods) {
        boolean tolerateUnready = Boolean.TRUE.equals(svc.getSpec().getPublishNotReadyAddresses());
        boolean noPorts = svc.getSpec().getPorts() == null || svc.getSpec().getPorts().isEmpty();
        Map<String, List<Port>> portsByKey = new TreeMap<>();
        Map<String, List<EndpointAddress>> ready = new TreeMap<>();
        Map<String, List<EndpointAddress>> notReady = new TreeMap<>();
        for (Pod pod : pods) {
            if (!selects(svc, pod) || !shouldBeInEndpoints(pod, tolerateUnready)) {
                continue;
            }
            List<Port> ports = ports(svc, pod);
            if (ports.isEmpty() && !(noPorts && headless(svc))) {
                continue; // no service port resolves in this pod
            }
            String key = ports.toString();
            portsByKey.put(key, ports);
            EndpointAddress a = new EndpointAddressBuilder().withIp(podIp(pod)).withNodeName(nodeName(pod))
                    .withHostname(hostname(svc, pod)).withTargetRef(targetRef(pod)).build();
            (tolerateUnready || isReady(pod) ? ready : notReady).computeIfAbsent(key, k -> new ArrayList<>()).add(a);
        }
        List<EndpointSubset> out = new ArrayList<>();
        for (var e : portsByKey.entrySet()) {
            List<EndpointAddress> r = sortAddresses(ready.getOrDefault(e.getKey(), List.of()));
            List<EndpointAddress> n = sortAddresses(notReady.getOrDefault(e.getKey(), List.of()));
            List<EndpointPort> ports = e.getValue().stream().map(p -> new EndpointPortBuilder()
                    .withName(p.name().isEmpty() ? null : p.name()).withPort(p.port()).withProtocol(p.protocol())
                    .withAppProtocol(p.appProtocol()).build()).toList();
            out.add(new EndpointSubsetBuilder().withAddresses(r).withNotReadyAddresses(n).withPorts(ports).build());
        }
        return out;
    }

    private static List<EndpointAddress> sortAddresses(List<EndpointAddress> as) {
        List<EndpointAddress> l = new ArrayList<>(as);
        l.sort(Comparator.comparing(EndpointAddress::getIp).thenComparing(a -> a.getTargetRef().getName()));
        return l;
    }

    /** The EndpointSlice groups: port list to endpoints (pods with an IPv4 address, terminating ones included). */
    static Map<List<Port>, List<Endpoint>> sliceGroups(Service svc, List<Pod> pods) {
        boolean publishNotReady = Boolean.TRUE.equals(svc.getSpec().getPublishNotReadyAddresses());
        boolean noPorts = svc.getSpec().getPorts() == null || svc.getSpec().getPorts().isEmpty();
        Map<String, List<Port>> portsByKey = new TreeMap<>();
        Map<String, List<Endpoint>> eps = new TreeMap<>();
        for (Pod pod : pods) {
            if (!selects(svc, pod) || !shouldBeInEndpoints(pod, true) || podIp(pod).contains(":")) {
                continue;
            }
            List<Port> ports = ports(svc, pod);
            if (ports.isEmpty() && !(noPorts && headless(svc))) {
                continue;
            }
            boolean serving = isReady(pod);
            boolean terminating = pod.getMetadata().getDeletionTimestamp() != null;
            boolean ready = publishNotReady || (serving && !terminating);
            String key = ports.toString();
            portsByKey.put(key, ports);
            eps.computeIfAbsent(key, k -> new ArrayList<>()).add(new EndpointBuilder().withAddresses(podIp(pod))
                    .withNewConditions().withReady(ready).withServing(serving).withTerminating(terminating).endConditions()
                    .withNodeName(nodeName(pod)).withHostname(hostname(svc, pod)).withTargetRef(targetRef(pod)).build());
        }
        Map<List<Port>, List<Endpoint>> out = new LinkedHashMap<>();
        for (var e : portsByKey.entrySet()) {
            List<Endpoint> l = new ArrayList<>(eps.get(e.getKey()));
            l.sort(Comparator.comparing((Endpoint x) -> x.getAddresses().getFirst()).thenComparing(x -> x.getTargetRef().getName()));
            out.put(e.getValue(), l);
        }
        return out;
    }

    // ---- canonical forms: equal exactly when the objects say the same (null and "" and missing lists alike) ----

    static String canonical(List<EndpointSubset> subsets) {
        StringBuilder b = new StringBuilder();
        for (EndpointSubset s : subsets == null ? List.<EndpointSubset>of() : subsets) {
            b.append("subset\n");
            for (EndpointAddress a : list(s.getAddresses())) {
                b.append(" A ").append(address(a)).append('\n');
            }
            for (EndpointAddress a : list(s.getNotReadyAddresses())) {
                b.append(" N ").append(address(a)).append('\n');
            }
            for (EndpointPort p : list(s.getPorts())) {
                b.append(" P ").append(nz(p.getName())).append(' ').append(p.getPort()).append(' ')
                        .append(nz(p.getProtocol()).isEmpty() ? "TCP" : p.getProtocol()).append(' ').append(nz(p.getAppProtocol())).append('\n');
            }
        }
        return b.toString();
    }

    private static String address(EndpointAddress a) {
        return nz(a.getIp()) + " " + nz(a.getNodeName()) + " " + nz(a.getHostname()) + " " + ref(a.getTargetRef());
    }

    private static String ref(ObjectReference r) {
        return r == null ? "-" : nz(r.getKind()) + "/" + nz(r.getNamespace()) + "/" + nz(r.getName()) + "/" + nz(r.getUid());
    }

    static String canonicalPorts(List<io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort> ports) {
        List<String> l = new ArrayList<>();
        for (var p : ports == null ? List.<io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort>of() : ports) {
            l.add(nz(p.getName()) + " " + p.getPort() + " " + (nz(p.getProtocol()).isEmpty() ? "TCP" : p.getProtocol())
                    + " " + nz(p.getAppProtocol()));
        }
        l.sort(null);
        return String.join(",", l);
    }

    static String canonicalEndpoints(List<Endpoint> eps) {
        StringBuilder b = new StringBuilder();
        for (Endpoint e : eps == null ? List.<Endpoint>of() : eps) {
            var c = e.getConditions();
            b.append(list(e.getAddresses())).append(' ')
                    .append(c == null ? null : c.getReady()).append(' ')
                    .append(c == null ? null : c.getServing()).append(' ')
                    .append(c == null ? null : c.getTerminating()).append(' ')
                    .append(nz(e.getNodeName())).append(' ').append(nz(e.getHostname())).append(' ')
                    .append(ref(e.getTargetRef())).append('\n');
        }
        return b.toString();
    }

    static List<io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort> slicePorts(List<Port> ports) {
        return ports.stream().map(p -> new io.fabric8.kubernetes.api.model.discovery.v1.EndpointPortBuilder()
                .withName(p.name()).withPort(p.port()).withProtocol(p.protocol()).withAppProtocol(p.appProtocol()).build()).toList();
    }

    static boolean sameSlice(EndpointSlice s, List<Port> ports, List<Endpoint> eps, Map<String, String> labels) {
        return "IPv4".equals(s.getAddressType())
                && canonicalPorts(s.getPorts()).equals(canonicalPorts(slicePorts(ports)))
                && canonicalEndpoints(s.getEndpoints()).equals(canonicalEndpoints(eps))
                && labelsOf(s.getMetadata().getLabels()).equals(labels);
    }

    static Map<String, String> labelsOf(Map<String, String> labels) {
        return new TreeMap<>(labels == null ? Map.of() : labels);
    }

    static <T> List<T> list(List<T> l) {
        return l == null ? List.of() : l;
    }

    static String nz(String s) {
        return s == null ? "" : s;
    }
}
