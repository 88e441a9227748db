package io.kubeha.apiserver.rules;

import io.fabric8.kubernetes.api.model.EndpointAddress;
import io.fabric8.kubernetes.api.model.EndpointPort;
import io.fabric8.kubernetes.api.model.EndpointSubset;
import io.kubeha.apiserver.api.FieldError;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

import static io.kubeha.apiserver.rules.Meta.list;
import static io.kubeha.apiserver.rules.Meta.nz;

/**
 * Endpoints (core/v1) and the IP checks EndpointSlices and Services share.
 *
 * <p>Deliberate difference from kube: loopback addresses are allowed. kube rejects 127.0.0.0/8 in endpoints
 * because pods never have such addresses there; here, in loopback mode, every pod has one (pod CIDRs come from
 * 127.34.0.0/16), and its endpoints must be writable.
 */
final class Endpoints extends KindRules<io.fabric8.kubernetes.api.model.Endpoints> {
    private static final List<String> PROTOCOLS = List.of("SCTP", "TCP", "UDP");

    Endpoints() {
        super(true, NameRule.DNS_SUBDOMAIN);
    }

    @Override
    public void applyDefaults(io.fabric8.kubernetes.api.model.Endpoints e) {
        for (EndpointSubset ss : list(e.getSubsets())) {
            for (EndpointPort p : list(ss.getPorts())) {
                if (nz(p.getProtocol()).isEmpty()) p.setProtocol("TCP");
            }
        }
    }

    @Override
    List<FieldError> validateKind(io.fabric8.kubernetes.api.model.Endpoints e) {
        List<FieldError> errs = new ArrayList<>();
        var subsets = list(e.getSubsets());
        for (int i = 0; i < subsets.size(); i++) {
            EndpointSubset ss = subsets.get(i);
            Path sp = Path.of("subsets").index(i);
            if (list(ss.getAddresses()).isEmpty() && list(ss.getNotReadyAddresses()).isEmpty()) {
                errs.add(Errs.required(sp, "must specify `addresses` or `notReadyAddresses`"));
            }
            var addrs = list(ss.getAddresses());
            for (int a = 0; a < addrs.size(); a++) errs.addAll(address(addrs.get(a), sp.child("addresses").index(a)));
            var notReady = list(ss.getNotReadyAddresses());
            for (int a = 0; a < notReady.size(); a++) errs.addAll(address(notReady.get(a), sp.child("notReadyAddresses").index(a)));
            var ports = list(ss.getPorts());
            for (int p = 0; p < ports.size(); p++) errs.addAll(port(ports.get(p), ports.size() > 1, sp.child("ports").index(p)));
        }
        return errs;
    }

    private static List<FieldError> address(EndpointAddress a, Path p) {
        List<FieldError> errs = new ArrayList<>(Names.validIp(p.child("ip"), nz(a.getIp())));
        if (!nz(a.getHostname()).isEmpty()) {
            for (String msg : Names.dns1123Label(a.getHostname())) errs.add(Errs.invalid(p.child("hostname"), a.getHostname(), msg));
        }
        if (a.getNodeName() != null) {
            for (String msg : Names.dns1123Subdomain(a.getNodeName())) errs.add(Errs.invalid(p.child("nodeName"), a.getNodeName(), msg));
        }
        errs.addAll(nonSpecialIp(nz(a.getIp()), p.child("ip")));
        return errs;
    }

    private static List<FieldError> port(EndpointPort port, boolean requireName, Path p) {
        List<FieldError> errs = new ArrayList<>();
        String name = nz(port.getName());
        if (requireName && name.isEmpty()) errs.add(Errs.required(p.child("name")));
        else if (!name.isEmpty()) for (String msg : Names.dns1123Label(name)) errs.add(Errs.invalid(p.child("name"), name, msg));
        int num = port.getPort() == null ? 0 : port.getPort();
        for (String msg : Names.portNum(num)) errs.add(Errs.invalid(p.child("port"), num, msg));
        String proto = nz(port.getProtocol());
        if (proto.isEmpty()) errs.add(Errs.required(p.child("protocol")));
        else if (!PROTOCOLS.contains(proto)) errs.add(Errs.notSupported(p.child("protocol"), proto, PROTOCOLS));
        if (port.getAppProtocol() != null) {
            for (String msg : Names.qualifiedName(port.getAppProtocol())) errs.add(Errs.invalid(p.child("appProtocol"), port.getAppProtocol(), msg));
        }
        return errs;
    }

    /** kube's ValidateNonSpecialIP, without the loopback rule (see the class comment). */
    static List<FieldError> nonSpecialIp(String ip, Path p) {
        InetAddress a = Names.parseIp(ip);
        if (a == null) return List.of(Errs.invalid(p, ip, "must be a valid IP address"));
        List<FieldError> errs = new ArrayList<>();
        if (a.isAnyLocalAddress()) errs.add(Errs.invalid(p, ip, "may not be unspecified (" + ip + ")"));
        if (a.isLinkLocalAddress()) errs.add(Errs.invalid(p, ip, "may not be in the link-local range (169.254.0.0/16, fe80::/10)"));
        byte[] b = a.getAddress();
        boolean llMulticast = (b.length == 4 && (b[0] & 0xff) == 224 && b[1] == 0 && b[2] == 0)
                || (b.length == 16 && (b[0] & 0xff) == 0xff && (b[1] & 0x0f) == 0x02);
        if (llMulticast) errs.add(Errs.invalid(p, ip, "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)"));
        return errs;
    }
}
