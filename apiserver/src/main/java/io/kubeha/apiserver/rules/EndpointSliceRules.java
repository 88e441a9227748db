package io.kubeha.apiserver.rules;

import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.kubeha.apiserver.api.FieldError;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static io.kubeha.apiserver.rules.Meta.list;
import static io.kubeha.apiserver.rules.Meta.nz;

/** EndpointSlices (discovery.k8s.io/v1); loopback addresses are allowed, as for Endpoints. */
final class EndpointSliceRules extends KindRules<EndpointSlice> {
    private static final List<String> ADDRESS_TYPES = List.of("FQDN", "IPv4", "IPv6");
    private static final List<String> PROTOCOLS = List.of("SCTP", "TCP", "UDP");

    EndpointSliceRules() {
        super(true, NameRule.DNS_SUBDOMAIN);
    }

    @Override
    public void applyDefaults(EndpointSlice s) {
        for (EndpointPort p : list(s.getPorts())) {
            if (p.getName() == null) p.setName("");
            if (p.getProtocol() == null) p.setProtocol("TCP");
        }
    }

    @Override
    List<FieldError> validateKind(EndpointSlice s) {
        return validate(s, ADDRESS_TYPES);
    }

    @Override
    List<FieldError> validateKindUpdate(EndpointSlice s, EndpointSlice old) {
        List<FieldError> errs = new ArrayList<>(validate(s, List.of("FQDN", "IP", "IPv4", "IPv6")));
        if (!nz(s.getAddressType()).equals(nz(old.getAddressType()))) errs.add(Errs.immutable(Path.of("addressType"), Go.quote(nz(s.getAddressType()))));
        return errs;
    }

    private static List<FieldError> validate(EndpointSlice s, List<String> types) {
        List<FieldError> errs = new ArrayList<>();
        String type = nz(s.getAddressType());
        if (type.isEmpty()) errs.add(Errs.required(Path.of("addressType")));
        else if (!types.contains(type)) errs.add(Errs.notSupported(Path.of("addressType"), type, types));
        List<Endpoint> eps = list(s.getEndpoints());
        Path ep = Path.of("endpoints");
        if (eps.size() > 1000) {
            errs.add(Errs.tooMany(ep, eps.size(), 1000));
        } else {
            for (int i = 0; i < eps.size(); i++) {
                Endpoint e = eps.get(i);
                Path ap = ep.index(i).child("addresses");
                List<String> addrs = list(e.getAddresses());
                if (addrs.isEmpty()) errs.add(Errs.required(ap, "must contain at least 1 address"));
                else if (addrs.size() > 100) errs.add(Errs.tooMany(ap, addrs.size(), 100));
                for (int a = 0; a < addrs.size(); a++) {
                    String addr = nz(addrs.get(a));
                    Path p = ap.index(a);
                    switch (type) {
                        case "IPv4", "IPv6" -> {
                            var ip = Names.parseIp(addr);
                            boolean v6 = ip instanceof java.net.Inet6Address;
                            if (ip == null || v6 != type.equals("IPv6")) errs.add(Errs.invalid(p, addr, "must be a valid " + type + " address"));
                            errs.addAll(Endpoints.nonSpecialIp(addr, p));
                        }
                        case "IP" -> errs.addAll(Names.validIp(p, addr));
                        case "FQDN" -> errs.addAll(fqdn(p, addr));
                        default -> { }
                    }
                }
                var topo = e.getDeprecatedTopology();
                if (topo != null && topo.size() > 16) errs.add(Errs.tooMany(ep.index(i).child("topology"), topo.size(), 16));
                errs.addAll(Meta.labels(topo, ep.index(i).child("topology")));
                if (e.getHostname() != null) {
                    for (String msg : Names.dns1123Label(e.getHostname())) errs.add(Errs.invalid(ep.index(i).child("hostname"), e.getHostname(), msg));
                }
            }
        }
        List<EndpointPort> ports = list(s.getPorts());
        Path pp = Path.of("ports");
        if (ports.size() > 100) {
            errs.add(Errs.tooMany(pp, ports.size(), 100));
            return errs;
        }
        Set<String> names = new HashSet<>();
        for (int i = 0; i < ports.size(); i++) {
            EndpointPort p = ports.get(i);
            String name = nz(p.getName());
            if (!name.isEmpty()) for (String msg : Names.dns1123Label(name)) errs.add(Errs.invalid(pp.index(i).child("name"), name, msg));
            if (!names.add(name)) errs.add(Errs.duplicate(pp.index(i).child("name"), name));
            if (p.getProtocol() == null) errs.add(Errs.required(pp.index(i).child("protocol")));
            else if (!PROTOCOLS.contains(p.getProtocol())) errs.add(Errs.notSupported(pp.index(i).child("protocol"), p.getProtocol(), PROTOCOLS));
            if (p.getAppProtocol() != null) {
                for (String msg : Names.qualifiedName(p.getAppProtocol())) errs.add(Errs.invalid(pp.index(i).child("appProtocol"), p.getAppProtocol(), msg));
            }
        }
        return errs;
    }

    private static List<FieldError> fqdn(Path p, String name) {
        if (name.isEmpty()) return List.of(Errs.required(p));
        String n = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
        List<String> msgs = Names.dns1123Subdomain(n);
        if (!msgs.isEmpty()) return List.of(Errs.invalid(p, n, String.join(",", msgs)));
        if (n.split("\\.").length < 2) return List.of(Errs.invalid(p, n, "should be a domain with at least two segments separated by dots"));
        for (String label : n.split("\\.")) {
            List<String> l = Names.dns1123Label(label);
            if (!l.isEmpty()) return List.of(Errs.invalid(p, label, String.join(",", l)));
        }
        return List.of();
    }
}
