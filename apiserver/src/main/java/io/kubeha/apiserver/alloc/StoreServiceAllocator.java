package io.kubeha.apiserver.alloc;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServiceSpec;
import io.kubeha.apiserver.api.ApiException;
import io.kubeha.apiserver.api.FieldError;
import io.kubeha.store.Store;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import static io.kubeha.apiserver.alloc.Specs.IPV4;
import static io.kubeha.apiserver.alloc.Specs.IPV6;
import static io.kubeha.apiserver.alloc.Specs.NONE;
import static io.kubeha.apiserver.alloc.Specs.REQUIRE_DUAL_STACK;
import static io.kubeha.apiserver.alloc.Specs.SINGLE_STACK;
import static io.kubeha.apiserver.alloc.Specs.allocatesNodePorts;
import static io.kubeha.apiserver.alloc.Specs.goStrings;
import static io.kubeha.apiserver.alloc.Specs.isEmpty;
import static io.kubeha.apiserver.alloc.Specs.isHeadless;
import static io.kubeha.apiserver.alloc.Specs.needsClusterIP;
import static io.kubeha.apiserver.alloc.Specs.needsHealthCheck;
import static io.kubeha.apiserver.alloc.Specs.nodePorts;
import static io.kubeha.apiserver.alloc.Specs.orZero;
import static io.kubeha.apiserver.alloc.Specs.ports;
import static io.kubeha.apiserver.alloc.Specs.protocol;
import static io.kubeha.apiserver.alloc.Specs.requestedIP;
import static io.kubeha.apiserver.alloc.Specs.usesNodePorts;

/**
 * The {@link ServiceAllocator} over a {@link Store}: kube-apiserver's service allocation logic
 * ({@code pkg/registry/core/service/storage/alloc.go}) on per-value keys instead of in-memory bitmaps.
 */
final class StoreServiceAllocator implements ServiceAllocator {
    private static final String ALREADY_ALLOCATED_IP = "provided IP is already allocated";
    private static final String ALREADY_ALLOCATED_PORT = "provided port is already allocated";

    private final AllocatorConfig config;
    private final Clock clock;
    private final KeyRange ips;
    private final KeyRange ports;

    StoreServiceAllocator(Store store, AllocatorConfig config, Clock clock) {
        this.config = Objects.requireNonNull(config, "config");
        this.clock = Objects.requireNonNull(clock, "clock");
        Objects.requireNonNull(store, "store");
        ServiceCidr cidr = config.serviceCidr();
        // offset 0 is the first usable address: the kubernetes Service's, never picked at random
        this.ips = new KeyRange(store, Kind.CLUSTER_IP, config.keyPrefix() + "/serviceips/", cidr.toString(),
                cidr.network() + 1, (int) cidr.size(), ipStaticBand(cidr), 0, Ipv4::format, Ipv4::parse);
        PortRange pr = config.nodePortRange();
        this.ports = new KeyRange(store, Kind.NODE_PORT, config.keyPrefix() + "/servicenodeports/", pr.toString(),
                pr.first(), pr.size(), portStaticBand(pr), -1, Long::toString, StoreServiceAllocator::parsePort);
    }

    /** KEP-3070: min(max(16, cidrSize/16), 256) addresses at the bottom are left for requested ClusterIPs. */
    static int ipStaticBand(ServiceCidr cidr) {
        long cidrSize = 1L << (32 - cidr.prefixLength());
        return cidrSize <= 16 ? 0 : (int) Math.min(Math.max(16, cidrSize / 16), 256);
    }

    /** KEP-3668: min(max(16, size/32), 128) ports at the bottom are left for requested NodePorts. */
    static int portStaticBand(PortRange range) {
        int size = range.size();
        return size <= 16 ? 0 : Math.min(Math.max(16, size / 32), 128);
    }

    private static long parsePort(String s) {
        if (s.isEmpty() || s.length() > 5) return -1;
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') return -1;
        }
        int p = Integer.parseInt(s);
        return p >= 1 && p <= 65535 ? p : -1;
    }

    @Override
    public AllocatorConfig config() {
        return config;
    }

    @Override
    public String kubernetesServiceIP() {
        return config.serviceCidr().firstAddress();
    }

    // ---- create, update, delete ----

    @Override
    public Allocation allocateCreate(Service service, boolean dryRun) {
        ServiceRef owner = ServiceRef.of(service);
        ServiceSpec spec = Specs.specToFill(service);
        Operation op = new Operation(owner, dryRun, clock.instant());
        try {
            if (needsClusterIP(spec)) {
                initIPFamilies(service, spec, null);
                assignClusterIP(service, spec, null, false, op);
            }
            if (usesNodePorts(spec)) assignNodePorts(service, spec, Set.of(), op);
            if (needsHealthCheck(spec)) assignHealthCheckNodePort(service, spec, 0, op);
            return op;
        } catch (RuntimeException e) {
            op.revert(); // all or nothing
            throw e;
        }
    }

    @Override
    public Allocation allocateUpdate(Service oldService, Service newService, boolean dryRun) {
        ServiceRef owner = ServiceRef.of(newService);
        ServiceSpec old = Specs.specToRead(oldService);
        ServiceSpec spec = Specs.specToFill(newService);
        carryOverAllocatedValues(old, spec);
        dropValuesTheNewTypeDoesNotUse(old, spec);
        Operation op = new Operation(owner, dryRun, clock.instant());
        try {
            String oldIP = heldIP(old);
            if (needsClusterIP(spec)) {
                initIPFamilies(newService, spec, needsClusterIP(old) ? old : null);
                assignClusterIP(newService, spec, oldIP, needsClusterIP(old) && isHeadless(old), op);
            }
            if (oldIP != null && !oldIP.equals(heldIP(spec))) op.releaseOnCommit(ips, Ipv4.parse(oldIP));

            Set<Integer> oldNodePorts = usesNodePorts(old) ? nodePorts(old) : Set.of();
            int oldHealthCheck = needsHealthCheck(old) ? orZero(old.getHealthCheckNodePort()) : 0;
            if (usesNodePorts(spec)) assignNodePorts(newService, spec, oldNodePorts, op);
            if (needsHealthCheck(spec)) assignHealthCheckNodePort(newService, spec, oldHealthCheck, op);
            Set<Integer> kept = heldPorts(spec);
            for (int port : heldPorts(old)) {
                if (!kept.contains(port)) op.releaseOnCommit(ports, port);
            }
            return op;
        } catch (RuntimeException e) {
            op.revert();
            throw e;
        }
    }

    @Override
    public List<Allocated> release(Service service) {
        ServiceRef owner = ServiceRef.of(service);
        ServiceSpec spec = Specs.specToRead(service);
        List<Allocated> released = new ArrayList<>();
        // everything the Service names, whatever its type says: the owner check makes releasing a value it did
        // not hold harmless, and a value it held under an earlier type must not leak
        Set<Long> addresses = new LinkedHashSet<>();
        if (spec.getClusterIPs() != null) spec.getClusterIPs().forEach(ip -> addresses.add(Ipv4.parse(ip)));
        addresses.add(Ipv4.parse(spec.getClusterIP()));
        for (long ip : addresses) {
            if (ip >= 0 && ips.releaseIfOwned(ip, owner)) released.add(ips.allocated(ip, owner));
        }
        Set<Integer> held = new LinkedHashSet<>(nodePorts(spec));
        if (orZero(spec.getHealthCheckNodePort()) != 0) held.add(spec.getHealthCheckNodePort());
        for (int port : held) {
            if (ports.releaseIfOwned(port, owner)) released.add(ports.allocated(port, owner));
        }
        return released;
    }

    @Override
    public RepairReport repair(Collection<Service> services) {
        return new RepairPass(ips, ports, clock.instant(), config.leakGrace()).run(services);
    }

    @Override
    public RangeUsage clusterIPUsage() {
        return new RangeUsage(Kind.CLUSTER_IP, ips.text, ips.size(), ips.used());
    }

    @Override
    public RangeUsage nodePortUsage() {
        return new RangeUsage(Kind.NODE_PORT, ports.text, ports.size(), ports.used());
    }

    // ---- ClusterIPs ----

    /**
     * Defaults and checks the IP family fields as kube-apiserver does on a single-stack IPv4 cluster: policy
     * SingleStack and families [IPv4], except that a headless Service without selector may name both families
     * (it needs no address of either). Anything that asks for IPv6 addresses is refused.
     */
    private static void initIPFamilies(Service service, ServiceSpec spec, ServiceSpec old) {
        if (old != null) {
            // an update that leaves these out keeps what the Service had, as a PATCH would
            if (spec.getIpFamilyPolicy() == null) spec.setIpFamilyPolicy(old.getIpFamilyPolicy());
            if (isEmpty(spec.getIpFamilies()) && !isEmpty(old.getIpFamilies())) spec.setIpFamilies(new ArrayList<>(old.getIpFamilies()));
        }
        boolean headlessWithoutSelector = isHeadless(spec) && (spec.getSelector() == null || spec.getSelector().isEmpty());
        if (spec.getIpFamilyPolicy() == null) spec.setIpFamilyPolicy(headlessWithoutSelector ? REQUIRE_DUAL_STACK : SINGLE_STACK);
        String policy = spec.getIpFamilyPolicy();
        List<String> families = spec.getIpFamilies() == null ? new ArrayList<>() : new ArrayList<>(spec.getIpFamilies());
        if (headlessWithoutSelector) {
            if (families.isEmpty()) families.add(IPV4);
            if (families.size() < 2 && !SINGLE_STACK.equals(policy)) families.add(IPV6.equals(families.get(0)) ? IPV4 : IPV6);
            spec.setIpFamilies(families);
            return;
        }
        List<String> clusterIPs = spec.getClusterIPs() == null ? List.of() : spec.getClusterIPs();
        List<FieldError> errors = new ArrayList<>();
        if (SINGLE_STACK.equals(policy) && clusterIPs.size() > 1) {
            errors.add(FieldError.invalid("spec.ipFamilyPolicy", policy,
                    "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified"));
        }
        if (SINGLE_STACK.equals(policy) && families.size() > 1) {
            errors.add(FieldError.invalid("spec.ipFamilyPolicy", policy,
                    "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified"));
        }
        if (REQUIRE_DUAL_STACK.equals(policy)) {
            errors.add(FieldError.invalid("spec.ipFamilyPolicy", policy, "this cluster is not configured for dual-stack services"));
        }
        if (!SINGLE_STACK.equals(policy)) {
            for (int i = 1; i < clusterIPs.size(); i++) {
                errors.add(invalidClusterIPs("spec.clusterIPs[" + i + "]", clusterIPs, Ipv4.looksLikeIpv6(clusterIPs.get(i))
                        ? "IPv6 is not configured on this cluster" : "may specify no more than one IP for each IP family"));
            }
        }
        for (int i = 0; i < families.size(); i++) {
            if (!IPV4.equals(families.get(i))) {
                errors.add(FieldError.invalid("spec.ipFamilies[" + i + "]", families.get(i), "not configured on this cluster"));
            }
        }
        if (!errors.isEmpty()) throw invalid(service, errors);
        if (families.isEmpty()) families.add(IPV4);
        spec.setIpFamilies(families);
    }

    /**
     * Gives the Service its ClusterIP: the one it had (an update may not change it), none when headless, the
     * requested one if it is in the range and free, else a random free one.
     *
     * @param oldIP       the address the Service held before this update, or null
     * @param oldHeadless the Service was headless before this update
     */
    private void assignClusterIP(Service service, ServiceSpec spec, String oldIP, boolean oldHeadless, Operation op) {
        String requested = requestedIP(spec);
        List<String> shown = isEmpty(spec.getClusterIPs())
                ? (requested == null ? List.of() : List.of(requested)) : spec.getClusterIPs();
        if (oldIP != null || oldHeadless) {
            String before = oldHeadless ? NONE : oldIP;
            boolean same = requested == null || requested.equals(before)
                    || !oldHeadless && Ipv4.parse(requested) >= 0 && Ipv4.parse(requested) == Ipv4.parse(before);
            if (!same) throw invalid(service, List.of(invalidClusterIPs("spec.clusterIPs[0]", shown, "may not change once set")));
            setClusterIP(spec, before);
            return;
        }
        if (NONE.equals(requested)) {
            setClusterIP(spec, NONE);
            return;
        }
        if (requested == null) {
            long ip = op.claimNext(ips);
            // kube-apiserver answers an exhausted range with 500: no field of the request is wrong
            if (ip < 0) throw ApiException.internal("failed to allocate a serviceIP: range is full");
            setClusterIP(spec, Ipv4.format(ip));
            return;
        }
        long ip = Ipv4.parse(requested);
        if (ip < 0) {
            FieldError e = Ipv4.looksLikeIpv6(requested)
                    ? invalidClusterIPs("spec.clusterIPs[0]", shown, "IPv6 is not configured on this cluster")
                    : FieldError.invalid("spec.clusterIPs[0]", requested, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)");
            throw invalid(service, List.of(e));
        }
        String why = null;
        if (!ips.contains(ip)) {
            why = "the provided IP (" + Ipv4.format(ip) + ") is not in the valid range. The range of valid IPs is " + ips.text;
        } else if (!op.claim(ips, ip)) {
            why = ALREADY_ALLOCATED_IP;
        }
        if (why != null) {
            throw invalid(service, List.of(invalidClusterIPs("spec.clusterIPs", shown, "failed to allocate IP " + requested + ": " + why)));
        }
        setClusterIP(spec, Ipv4.format(ip));
    }

    private static void setClusterIP(ServiceSpec spec, String ip) {
        spec.setClusterIP(ip);
        spec.setClusterIPs(new ArrayList<>(List.of(ip)));
    }

    /** The address a spec holds in the range's terms, or null (none, headless, ExternalName, not an address). */
    private static String heldIP(ServiceSpec spec) {
        if (!needsClusterIP(spec)) return null;
        long ip = Ipv4.parse(requestedIP(spec));
        return ip < 0 ? null : Ipv4.format(ip);
    }

    /** kube-apiserver prints spec.clusterIPs whole, as Go prints a []string. */
    private static FieldError invalidClusterIPs(String field, List<String> clusterIPs, String detail) {
        return new FieldError(FieldError.Type.FieldValueInvalid, field, "Invalid value: " + goStrings(clusterIPs) + ": " + detail);
    }

    // ---- NodePorts ----

    /**
     * Gives each port its NodePort: the requested one (honoured if free and in the range), else the one another
     * port with the same port number got (53/TCP and 53/UDP share one, as in kube-apiserver), else a random one.
     *
     * @param held NodePorts the Service held before this update: kept without asking the store again
     */
    private void assignNodePorts(Service service, ServiceSpec spec, Set<Integer> held, Operation op) {
        List<ServicePort> list = ports(spec);
        // kube-apiserver's rule: one nodePort may serve two ports of a Service only when their protocols differ
        Set<String> seen = new HashSet<>();
        List<FieldError> duplicates = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            int np = orZero(list.get(i).getNodePort());
            if (np != 0 && !seen.add(np + "/" + protocol(list.get(i)))) {
                duplicates.add(FieldError.duplicate("spec.ports[" + i + "].nodePort", np));
            }
        }
        if (!duplicates.isEmpty()) throw invalid(service, duplicates);

        boolean allocate = allocatesNodePorts(spec);
        Set<Integer> taken = new HashSet<>();
        Map<Integer, Integer> byPortNumber = new HashMap<>();
        for (int i = 0; i < list.size(); i++) {
            ServicePort p = list.get(i);
            int np = orZero(p.getNodePort());
            if (np == 0) {
                if (!allocate) continue; // a LoadBalancer without NodePorts still gets the ones it asks for
                Integer shared = p.getPort() == null ? null : byPortNumber.get(p.getPort());
                if (shared == null) shared = requestedForPortNumber(p.getPort(), list);
                if (shared != null) {
                    np = shared;
                } else {
                    long port = op.claimNext(ports);
                    if (port < 0) throw ApiException.internal("failed to allocate a nodePort: range is full");
                    np = (int) port;
                    taken.add(np);
                }
                p.setNodePort(np);
            }
            if (!held.contains(np) && taken.add(np)) {
                String why = !ports.contains(np) ? portNotInRange() : !op.claim(ports, np) ? ALREADY_ALLOCATED_PORT : null;
                if (why != null) throw invalid(service, List.of(FieldError.invalid("spec.ports[" + i + "].nodePort", np, why)));
            }
            if (p.getPort() != null) byPortNumber.putIfAbsent(p.getPort(), np);
        }
    }

    /** The nodePort a port with this port number asks for, anywhere in the list; null when none does. */
    private static Integer requestedForPortNumber(Integer port, List<ServicePort> list) {
        if (port == null) return null;
        for (ServicePort p : list) {
            if (port.equals(p.getPort()) && orZero(p.getNodePort()) != 0) return p.getNodePort();
        }
        return null;
    }

    /**
     * The health-check NodePort of a LoadBalancer with externalTrafficPolicy Local. Failures are 500s worded as
     * kube-apiserver words them (it reports them as internal errors, not field errors).
     *
     * @param before the port the Service had before this update, 0 if none: it may not change
     */
    private void assignHealthCheckNodePort(Service service, ServiceSpec spec, int before, Operation op) {
        int requested = orZero(spec.getHealthCheckNodePort());
        if (before != 0) {
            if (requested == 0 || requested == before) {
                spec.setHealthCheckNodePort(before);
                return;
            }
            throw invalid(service, List.of(FieldError.invalid("spec.healthCheckNodePort", requested,
                    "cannot change healthCheckNodePort on loadBalancer service with externalTraffic=Local during update")));
        }
        if (requested == 0) {
            long port = op.claimNext(ports);
            if (port < 0) throw ApiException.internal("failed to allocate a HealthCheck NodePort: range is full");
            spec.setHealthCheckNodePort((int) port);
            return;
        }
        String why = !ports.contains(requested) ? portNotInRange()
                : nodePorts(spec).contains(requested) || !op.claim(ports, requested) ? ALREADY_ALLOCATED_PORT : null;
        if (why != null) throw ApiException.internal("failed to allocate requested HealthCheck NodePort " + requested + ": " + why);
    }

    private String portNotInRange() {
        return "provided port is not in the valid range. The range of valid ports is " + ports.text;
    }

    /** The ports a spec holds from the NodePort range: its nodePorts (for types that have them) and health-check port. */
    private static Set<Integer> heldPorts(ServiceSpec spec) {
        Set<Integer> held = new LinkedHashSet<>();
        if (usesNodePorts(spec)) held.addAll(nodePorts(spec));
        if (needsHealthCheck(spec) && orZero(spec.getHealthCheckNodePort()) != 0) held.add(spec.getHealthCheckNodePort());
        return held;
    }

    // ---- what an update leaves out ----

    /**
     * kube-apiserver's patchAllocatedValues: a PUT (kubectl replace, or apply of a manifest without the
     * allocated values) that leaves out the ClusterIPs, NodePorts or health-check port keeps the old ones instead
     * of getting new ones. NodePorts follow the port's name, unless the new spec uses that value elsewhere.
     */
    private static void carryOverAllocatedValues(ServiceSpec old, ServiceSpec spec) {
        if (needsClusterIP(old) && needsClusterIP(spec)) {
            if (spec.getClusterIP() == null || spec.getClusterIP().isEmpty()) spec.setClusterIP(old.getClusterIP());
            if (isEmpty(spec.getClusterIPs()) && !isEmpty(old.getClusterIPs())) spec.setClusterIPs(new ArrayList<>(old.getClusterIPs()));
        }
        if (usesNodePorts(old) && usesNodePorts(spec)) {
            Set<Integer> inBoth = new HashSet<>(nodePorts(old));
            inBoth.retainAll(nodePorts(spec));
            Map<String, Integer> byName = new HashMap<>();
            for (ServicePort p : ports(old)) byName.put(Objects.toString(p.getName(), ""), orZero(p.getNodePort()));
            for (ServicePort p : ports(spec)) {
                if (orZero(p.getNodePort()) != 0) continue;
                int before = byName.getOrDefault(Objects.toString(p.getName(), ""), 0);
                if (before != 0 && !inBoth.contains(before)) p.setNodePort(before);
            }
        }
        if (needsHealthCheck(old) && needsHealthCheck(spec) && orZero(spec.getHealthCheckNodePort()) == 0) {
            spec.setHealthCheckNodePort(old.getHealthCheckNodePort());
        }
    }

    /**
     * kube-apiserver's dropTypeDependentFields: when the type changes to one that has no use for a value the
     * update merely carried along (a ClusterIP for ExternalName, NodePorts for ClusterIP), the value is dropped
     * (and released on commit) instead of failing validation. A value the user changed is left for validation.
     */
    private static void dropValuesTheNewTypeDoesNotUse(ServiceSpec old, ServiceSpec spec) {
        if (needsClusterIP(old) && !needsClusterIP(spec)) {
            if (Objects.equals(requestedIP(old), requestedIP(spec))) {
                spec.setClusterIP(null);
                spec.setClusterIPs(new ArrayList<>());
            }
            if (Objects.equals(emptyIfNull(old.getIpFamilies()), emptyIfNull(spec.getIpFamilies()))) spec.setIpFamilies(new ArrayList<>());
            if (Objects.equals(old.getIpFamilyPolicy(), spec.getIpFamilyPolicy())) spec.setIpFamilyPolicy(null);
        }
        if (usesNodePorts(old) && !usesNodePorts(spec) && sameNodePorts(old, spec)) {
            for (ServicePort p : ports(spec)) p.setNodePort(null);
        }
        if (needsHealthCheck(old) && !needsHealthCheck(spec)
                && orZero(old.getHealthCheckNodePort()) == orZero(spec.getHealthCheckNodePort())) {
            spec.setHealthCheckNodePort(null);
        }
    }

    private static boolean sameNodePorts(ServiceSpec a, ServiceSpec b) {
        List<ServicePort> pa = ports(a);
        List<ServicePort> pb = ports(b);
        if (pa.size() != pb.size()) return false;
        for (int i = 0; i < pa.size(); i++) {
            if (orZero(pa.get(i).getNodePort()) != orZero(pb.get(i).getNodePort())) return false;
        }
        return true;
    }

    private static List<String> emptyIfNull(List<String> list) {
        return list == null ? List.of() : list;
    }

    private static ApiException invalid(Service service, List<FieldError> errors) {
        String name = service.getMetadata() == null ? null : service.getMetadata().getName();
        return ApiException.invalid("", "Service", name, errors);
    }
}
