package io.kubeha.dns;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.NSRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.ReverseMap;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The cluster's records, as the Kubernetes DNS-based service discovery specification (schema 1.1.0) lays them
 * out, computed per query from a {@link ClusterView}:
 * <ul>
 *   <li>{@code SVC.NS.svc.ZONE}: A/AAAA to the ClusterIPs; for a headless service one per ready endpoint address;
 *       for an ExternalName service a CNAME to the external name;</li>
 *   <li>{@code _PORT._PROTO.SVC.NS.svc.ZONE}: SRV per named port (headless: per ready endpoint, to its
 *       {@code HOST.SVC.NS.svc.ZONE} and the endpoint's port); {@code SVC.NS.svc.ZONE} SRV lists every port;</li>
 *   <li>{@code HOST.SVC.NS.svc.ZONE} of a headless service: the endpoint's {@code hostname}, or its dashed IP
 *       (CoreDNS' form of the "system-assigned identifier");</li>
 *   <li>{@code A-B-C-D.NS.pod.ZONE}: A for a pod with that IP in that namespace (CoreDNS' "pods verified");</li>
 *   <li>PTR for ClusterIPs and the ready endpoint addresses of headless services;</li>
 *   <li>{@code dns-version.ZONE} TXT, the SOA and NS at the apex.</li>
 * </ul>
 * A name with no records but with records below it (such as {@code svc.ZONE} or {@code NS.svc.ZONE}) answers
 * NOERROR with no data; a name that does not exist answers NXDOMAIN. Both carry the zone's SOA in the
 * authority section, so resolvers cache the negative answer for the SOA's minimum TTL, as from CoreDNS.
 */
final class ClusterZone {
    static final String SCHEMA_VERSION = "1.1.0";

    /** Sections of an answer: the handler turns it into a message. */
    record Answer(int rcode, List<Record> answer, List<Record> authority, List<Record> additional) {
        Answer {
            answer = List.copyOf(answer);
            authority = List.copyOf(authority);
            additional = List.copyOf(additional);
        }
    }

    private static final Name IN_ADDR = Name.fromConstantString("in-addr.arpa.");
    private static final Name IP6 = Name.fromConstantString("ip6.arpa.");

    private final ClusterView view;
    private final Name zone;
    private final long ttl;
    private final Name nsName;
    private final SOARecord soa;

    ClusterZone(ClusterView view, Name zone, long ttlSeconds, long serial) {
        this.view = Objects.requireNonNull(view);
        this.zone = Objects.requireNonNull(zone);
        this.ttl = ttlSeconds;
        this.nsName = child("ns.dns");
        this.soa = new SOARecord(zone, DClass.IN, ttl, nsName, child("hostmaster"), serial, 7200, 1800, 86400, ttl);
    }

    Name zone() {
        return zone;
    }

    boolean inZone(Name qname) {
        return qname.subdomain(zone);
    }

    static boolean isReverse(Name qname) {
        return qname.subdomain(IN_ADDR) || qname.subdomain(IP6);
    }

    private Name child(String relative) {
        try {
            return Name.concatenate(Name.fromString(relative), zone);
        } catch (TextParseException | org.xbill.DNS.NameTooLongException e) {
            throw new IllegalArgumentException("bad name " + relative + "." + zone, e);
        }
    }

    private Name name(String relative) {
        try {
            return child(relative);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    // ---------------------------------------------------------------- forward zone

    /** The answer for a name in the zone (always authoritative: an unknown name is NXDOMAIN, never forwarded). */
    Answer answer(Name qname, int qtype) {
        int n = qname.labels() - zone.labels();
        List<String> l = new ArrayList<>(n);
        for (int i = 0; i < n; i++) l.add(qname.getLabelString(i).toLowerCase(Locale.ROOT));

        if (n == 0) return apex(qname, qtype);
        String last = l.get(n - 1);
        if (n == 1 && last.equals("dns-version")) {
            return qtype == Type.TXT || qtype == Type.ANY
                    ? records(List.of(new TXTRecord(qname, DClass.IN, ttl, SCHEMA_VERSION)), List.of())
                    : nodata();
        }
        switch (last) {
            case "svc":
                return services(qname, qtype, l);
            case "pod":
                return pods(qname, qtype, l);
            case "dns":
                if (n == 1) return nodata();
                if (n == 2 && l.get(0).equals("ns")) return nameserver(qname, qtype);
                return nxdomain();
            default:
                return nxdomain();
        }
    }

    private Answer apex(Name qname, int qtype) {
        List<Record> out = new ArrayList<>();
        if (qtype == Type.SOA || qtype == Type.ANY) out.add(soa.withName(qname));
        if (qtype == Type.NS || qtype == Type.ANY) out.add(new NSRecord(qname, DClass.IN, ttl, nsName));
        return records(out, List.of());
    }

    /** ns.dns.ZONE, the NS of the zone: the ClusterIP of kube-system/kube-dns when there is one. */
    private Answer nameserver(Name qname, int qtype) {
        Service dns = view.service("kube-system", "kube-dns");
        if (dns == null || isHeadless(dns)) return nodata();
        return records(addressRecords(qname, qtype, clusterIps(dns)), List.of());
    }

    private Answer services(Name qname, int qtype, List<String> l) {
        int n = l.size();
        if (n == 1) return nodata();
        String ns = l.get(n - 2);
        if (n == 2) return view.hasServices(ns) ? nodata() : nxdomain();
        Service svc = view.service(ns, l.get(n - 3));
        if (svc == null) return nxdomain();
        if (n == 3) return service(qname, qtype, svc);
        Name svcName = suffix(qname, 3);
        String first = l.get(0);
        if (n == 4 && !first.startsWith("_")) return endpointHost(qname, qtype, svc, first);
        if (n == 4) {
            // _PROTO.SVC...: a name only when some named port has that protocol
            boolean any = ports(svc).stream().anyMatch(p -> p.getName() != null && !p.getName().isEmpty()
                    && ("_" + protocol(p.getProtocol())).equals(first));
            return any ? nodata() : nxdomain();
        }
        if (n == 5 && first.startsWith("_") && l.get(1).startsWith("_")) {
            return namedPort(qname, qtype, svc, svcName, first.substring(1), l.get(1).substring(1));
        }
        return nxdomain();
    }

    /** The last {@code k} labels below the zone of {@code qname}, as an absolute name with the query's case. */
    private Name suffix(Name qname, int k) {
        int n = qname.labels() - zone.labels();
        return new Name(qname, n - k);
    }

    private Answer service(Name qname, int qtype, Service svc) {
        String type = svc.getSpec() == null ? null : svc.getSpec().getType();
        if ("ExternalName".equals(type)) {
            Name target = externalName(svc);
            if (target == null) return nodata();
            return records(List.of(new CNAMERecord(qname, DClass.IN, ttl, target)), List.of());
        }
        if (qtype == Type.SRV) {
            List<Record> srv = new ArrayList<>();
            List<Record> extra = new ArrayList<>();
            if (isHeadless(svc)) {
                for (Target t : endpoints(svc, qname)) {
                    for (EndpointPort p : t.ports()) {
                        if (p.getPort() != null) srv.add(srv(qname, p.getPort(), t.name()));
                    }
                    extra.addAll(addressRecords(t.name(), Type.ANY, List.of(t.address())));
                }
            } else {
                for (ServicePort p : ports(svc)) {
                    if (p.getPort() != null) srv.add(srv(qname, p.getPort(), qname));
                }
                if (!srv.isEmpty()) extra.addAll(addressRecords(qname, Type.ANY, clusterIps(svc)));
            }
            return records(weighted(srv), dedupe(extra));
        }
        List<InetAddress> ips = isHeadless(svc)
                ? endpoints(svc, qname).stream().map(Target::address).distinct().toList()
                : clusterIps(svc);
        return records(addressRecords(qname, qtype, ips), List.of());
    }

    private Answer namedPort(Name qname, int qtype, Service svc, Name svcName, String port, String proto) {
        boolean declared = ports(svc).stream().anyMatch(p -> port.equalsIgnoreCase(p.getName()) && proto.equals(protocol(p.getProtocol())));
        if (!declared || "ExternalName".equals(svc.getSpec().getType())) return nxdomain();
        if (qtype != Type.SRV && qtype != Type.ANY) return nodata();
        List<Record> srv = new ArrayList<>();
        List<Record> extra = new ArrayList<>();
        if (isHeadless(svc)) {
            for (Target t : endpoints(svc, svcName)) {
                for (EndpointPort p : t.ports()) {
                    if (port.equalsIgnoreCase(p.getName()) && proto.equals(protocol(p.getProtocol())) && p.getPort() != null) {
                        srv.add(srv(qname, p.getPort(), t.name()));
                        extra.addAll(addressRecords(t.name(), Type.ANY, List.of(t.address())));
                    }
                }
            }
        } else {
            for (ServicePort p : ports(svc)) {
                if (port.equalsIgnoreCase(p.getName()) && proto.equals(protocol(p.getProtocol())) && p.getPort() != null) {
                    srv.add(srv(qname, p.getPort(), svcName));
                }
            }
            if (!srv.isEmpty()) extra.addAll(addressRecords(svcName, Type.ANY, clusterIps(svc)));
        }
        return records(weighted(srv), dedupe(extra));
    }

    /** HOST.SVC.NS.svc.ZONE: the ready endpoints of a headless service with that hostname (or dashed IP). */
    private Answer endpointHost(Name qname, int qtype, Service svc, String host) {
        if (!isHeadless(svc)) return nxdomain();
        List<InetAddress> ips = new ArrayList<>();
        for (Target t : endpoints(svc, suffix(qname, 3))) {
            if (t.label().equals(host) && !ips.contains(t.address())) ips.add(t.address());
        }
        if (ips.isEmpty()) return nxdomain();
        return records(addressRecords(qname, qtype, ips), List.of());
    }

    private Answer pods(Name qname, int qtype, List<String> l) {
        int n = l.size();
        if (n == 1) return nodata();
        String ns = l.get(n - 2);
        if (n == 2) return view.hasPods(ns) ? nodata() : nxdomain();
        if (n != 3) return nxdomain();
        InetAddress ip = Ips.undash(l.get(0));
        if (ip == null) return nxdomain();
        boolean exists = view.podsWithIp(ip.getHostAddress()).stream().anyMatch(p -> ns.equals(p.getMetadata().getNamespace()));
        if (!exists) return nxdomain();
        return records(addressRecords(qname, qtype, List.of(ip)), List.of());
    }

    // ---------------------------------------------------------------- reverse

    /**
     * PTR for a ClusterIP or a ready endpoint address of a headless service; null when no cluster object has
     * the address, so the query goes upstream (CoreDNS' fallthrough for in-addr.arpa and ip6.arpa).
     */
    Answer reverse(Name qname, int qtype) {
        if (qtype != Type.PTR && qtype != Type.ANY) return null;
        InetAddress ip;
        try {
            ip = ReverseMap.fromName(qname);
        } catch (UnknownHostException | RuntimeException e) {
            return null;
        }
        String key = ip.getHostAddress();
        Set<Name> targets = new LinkedHashSet<>();
        for (Service s : view.servicesWithClusterIp(key)) {
            Name n = name(s.getMetadata().getName() + "." + s.getMetadata().getNamespace() + ".svc");
            if (n != null) targets.add(n);
        }
        for (EndpointSlice slice : view.slicesWithAddress(key)) {
            Map<String, String> labels = slice.getMetadata().getLabels();
            String svcName = labels == null ? null : labels.get(InformerView.SERVICE_NAME_LABEL);
            if (svcName == null) continue;
            Service svc = view.service(slice.getMetadata().getNamespace(), svcName);
            if (svc == null || !isHeadless(svc)) continue;
            Name base = name(svcName + "." + svc.getMetadata().getNamespace() + ".svc");
            if (base == null) continue;
            for (Target t : targets(svc, List.of(slice), base)) {
                if (t.address().equals(ip)) targets.add(t.name());
            }
        }
        if (targets.isEmpty()) return null;
        List<Record> out = new ArrayList<>();
        for (Name t : targets) out.add(new PTRRecord(qname, DClass.IN, ttl, t));
        return new Answer(Rcode.NOERROR, out, List.of(), List.of());
    }

    // ---------------------------------------------------------------- helpers

    /** One ready endpoint address of a headless service, with its DNS name and the ports of its slice. */
    private record Target(String label, Name name, InetAddress address, List<EndpointPort> ports) { }

    private List<Target> endpoints(Service svc, Name svcName) {
        return targets(svc, view.slices(svc.getMetadata().getNamespace(), svc.getMetadata().getName()), svcName);
    }

    private static List<Target> targets(Service svc, List<EndpointSlice> slices, Name svcName) {
        boolean publishNotReady = svc.getSpec() != null && Boolean.TRUE.equals(svc.getSpec().getPublishNotReadyAddresses());
        Map<String, Target> out = new LinkedHashMap<>();
        for (EndpointSlice slice : slices) {
            if ("FQDN".equals(slice.getAddressType()) || slice.getEndpoints() == null) continue;
            List<EndpointPort> ports = slice.getPorts() == null ? List.of() : slice.getPorts();
            for (Endpoint e : slice.getEndpoints()) {
                boolean ready = publishNotReady || e.getConditions() == null || e.getConditions().getReady() == null
                        || e.getConditions().getReady();
                if (!ready || e.getAddresses() == null) continue;
                for (String a : e.getAddresses()) {
                    InetAddress ip = Ips.parse(a);
                    if (ip == null) continue;
                    String label = e.getHostname() != null && !e.getHostname().isEmpty()
                            ? e.getHostname().toLowerCase(Locale.ROOT) : Ips.dashed(ip);
                    Name name;
                    try {
                        name = Name.concatenate(Name.fromString(label), svcName);
                    } catch (TextParseException | org.xbill.DNS.NameTooLongException ex) {
                        continue;
                    }
                    out.putIfAbsent(label + " " + ip.getHostAddress(), new Target(label, name, ip, ports));
                }
            }
        }
        return List.copyOf(out.values());
    }

    private List<Record> addressRecords(Name owner, int qtype, List<InetAddress> ips) {
        List<Record> out = new ArrayList<>();
        for (InetAddress ip : ips) {
            if (Ips.isV4(ip) && (qtype == Type.A || qtype == Type.ANY)) out.add(new ARecord(owner, DClass.IN, ttl, ip));
            if (Ips.isV6(ip) && (qtype == Type.AAAA || qtype == Type.ANY)) out.add(new AAAARecord(owner, DClass.IN, ttl, ip));
        }
        return out;
    }

    private Record srv(Name owner, int port, Name target) {
        return new SRVRecord(owner, DClass.IN, ttl, 0, 100, port, target);
    }

    /** Equal priority, weights shared out of 100 as CoreDNS does, so clients spread evenly. */
    private List<Record> weighted(List<Record> srv) {
        if (srv.size() <= 1) return srv;
        int w = Math.max(1, (int) Math.round(100.0 / srv.size()));
        List<Record> out = new ArrayList<>(srv.size());
        for (Record r : srv) {
            SRVRecord s = (SRVRecord) r;
            out.add(new SRVRecord(s.getName(), DClass.IN, ttl, 0, w, s.getPort(), s.getTarget()));
        }
        return out;
    }

    private static List<Record> dedupe(List<Record> records) {
        return List.copyOf(new LinkedHashSet<>(records));
    }

    private static List<ServicePort> ports(Service svc) {
        return svc.getSpec() == null || svc.getSpec().getPorts() == null ? List.of() : svc.getSpec().getPorts();
    }

    private static String protocol(String p) {
        return p == null ? "tcp" : p.toLowerCase(Locale.ROOT);
    }

    static boolean isHeadless(Service svc) {
        return svc.getSpec() != null && "None".equals(svc.getSpec().getClusterIP());
    }

    private static List<InetAddress> clusterIps(Service svc) {
        Set<String> texts = new LinkedHashSet<>();
        if (svc.getSpec() == null) return List.of();
        if (svc.getSpec().getClusterIPs() != null) texts.addAll(svc.getSpec().getClusterIPs());
        if (svc.getSpec().getClusterIP() != null) texts.add(svc.getSpec().getClusterIP());
        List<InetAddress> out = new ArrayList<>();
        for (String t : texts) {
            InetAddress a = Ips.parse(t);
            if (a != null && !out.contains(a)) out.add(a);
        }
        return out;
    }

    private static Name externalName(Service svc) {
        String e = svc.getSpec().getExternalName();
        if (e == null || e.isBlank()) return null;
        try {
            return Name.fromString(e.endsWith(".") ? e : e + ".");
        } catch (TextParseException ex) {
            return null;
        }
    }

    private Answer records(List<Record> answer, List<Record> additional) {
        return answer.isEmpty() ? nodata() : new Answer(Rcode.NOERROR, answer, List.of(), additional);
    }

    Answer nodata() {
        return new Answer(Rcode.NOERROR, List.of(), List.of(soa), List.of());
    }

    Answer nxdomain() {
        return new Answer(Rcode.NXDOMAIN, List.of(), List.of(soa), List.of());
    }
}
