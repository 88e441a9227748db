package io.kubeha.apiserver.rules;

import io.fabric8.kubernetes.api.model.ClientIPConfig;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServiceSpec;
import io.fabric8.kubernetes.api.model.ServiceStatus;
import io.fabric8.kubernetes.api.model.SessionAffinityConfig;
import io.kubeha.apiserver.api.FieldError;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

import static io.kubeha.apiserver.rules.Meta.list;
import static io.kubeha.apiserver.rules.Meta.map;
import static io.kubeha.apiserver.rules.Meta.nz;

/**
 * Services (core/v1): defaults.go, ValidateService/ValidateServiceUpdate, and the parts of the service registry
 * that decide values before validation (IP families, clusterIPs normalisation, keeping allocated values on
 * update). Allocating ClusterIPs and NodePorts is the API server's.
 */
final class ServiceRules extends KindRules<Service> {
    static final List<String> TYPES = List.of("ClusterIP", "ExternalName", "LoadBalancer", "NodePort");
    private static final List<String> PROTOCOLS = List.of("SCTP", "TCP", "UDP");
    private static final int MAX_CLIENT_IP_SECONDS = 86400;

    ServiceRules() {
        super(true, NameRule.DNS1035_LABEL);
    }

    @Override
    public void applyDefaults(Service svc) {
        if (svc.getSpec() == null) svc.setSpec(new ServiceSpec());
        ServiceSpec s = svc.getSpec();
        if (nz(s.getSessionAffinity()).isEmpty()) s.setSessionAffinity("None");
        if (s.getSessionAffinity().equals("None")) s.setSessionAffinityConfig(null);
        if (s.getSessionAffinity().equals("ClientIP")) {
            SessionAffinityConfig c = s.getSessionAffinityConfig();
            if (c == null || c.getClientIP() == null || c.getClientIP().getTimeoutSeconds() == null) {
                SessionAffinityConfig d = new SessionAffinityConfig();
                ClientIPConfig ip = new ClientIPConfig();
                ip.setTimeoutSeconds(10800);
                d.setClientIP(ip);
                s.setSessionAffinityConfig(d);
            }
        }
        if (nz(s.getType()).isEmpty()) s.setType("ClusterIP");
        for (ServicePort p : list(s.getPorts())) {
            if (nz(p.getProtocol()).isEmpty()) p.setProtocol("TCP");
            IntOrString t = p.getTargetPort();
            boolean unset = t == null || (t.getStrVal() == null && (t.getIntVal() == null || t.getIntVal() == 0))
                    || (t.getStrVal() != null && t.getStrVal().isEmpty());
            if (unset) p.setTargetPort(new IntOrString(p.getPort() == null ? 0 : p.getPort()));
        }
        if (externallyAccessible(s) && nz(s.getExternalTrafficPolicy()).isEmpty()) s.setExternalTrafficPolicy("Cluster");
        if (s.getInternalTrafficPolicy() == null && List.of("NodePort", "LoadBalancer", "ClusterIP").contains(s.getType())) {
            s.setInternalTrafficPolicy("Cluster");
        }
        if (s.getType().equals("LoadBalancer") && s.getAllocateLoadBalancerNodePorts() == null) s.setAllocateLoadBalancerNodePorts(true);
        ipFamilies(s);
    }

    /**
     * The registry's IP family defaulting for this single-stack IPv4 cluster: a family per given clusterIP, else
     * IPv4; SingleStack, except headless Services without a selector, which kube makes RequireDualStack.
     */
    private static void ipFamilies(ServiceSpec s) {
        if (s.getType().equals("ExternalName")) return;
        List<String> ips = list(s.getClusterIPs()).isEmpty() && Meta.notEmpty(s.getClusterIP()) ? List.of(s.getClusterIP()) : list(s.getClusterIPs());
        boolean headless = ips.size() == 1 && ips.get(0).equals("None");
        if (headless && map(s.getSelector()).isEmpty() && s.getType().equals("ClusterIP")) {
            if (s.getIpFamilyPolicy() == null && list(s.getIpFamilies()).isEmpty()) s.setIpFamilyPolicy("RequireDualStack");
            if (list(s.getIpFamilies()).isEmpty()) s.setIpFamilies(new ArrayList<>(List.of("IPv4")));
            if (s.getIpFamilies().size() < 2 && !"SingleStack".equals(s.getIpFamilyPolicy())) {
                List<String> f = new ArrayList<>(s.getIpFamilies());
                f.add(f.get(0).equals("IPv4") ? "IPv6" : "IPv4");
                s.setIpFamilies(f);
            }
            return;
        }
        if (s.getIpFamilyPolicy() == null) {
            s.setIpFamilyPolicy(list(s.getIpFamilies()).size() == 2 || ips.size() == 2 ? "RequireDualStack" : "SingleStack");
        }
        if (list(s.getIpFamilies()).isEmpty()) {
            List<String> f = new ArrayList<>();
            for (String ip : ips) if (!ip.equals("None") && Names.parseIp(ip) != null) f.add(Names.isIpv6(ip) ? "IPv6" : "IPv4");
            if (f.isEmpty()) f.add("IPv4");
            s.setIpFamilies(f);
        }
    }

    @Override
    public void prepareForCreate(Service svc) {
        svc.setStatus(new ServiceStatus());
        ServiceSpec s = svc.getSpec();
        // an old client sets only clusterIP; the plural field follows it
        if (Meta.notEmpty(s.getClusterIP()) && list(s.getClusterIPs()).isEmpty()) s.setClusterIPs(new ArrayList<>(List.of(s.getClusterIP())));
    }

    /**
     * Keeps what the server allocated when the client sent the Service without it (kube's patchAllocatedValues),
     * clears what the new type no longer has (dropTypeDependentFields), and keeps the stored status.
     */
    @Override
    void prepareKindUpdate(Service svc, Service old) {
        svc.setStatus(old.getStatus());
        ServiceSpec s = svc.getSpec(), o = old.getSpec() == null ? new ServiceSpec() : old.getSpec();
        if (needsClusterIP(o) && needsClusterIP(s)) {
            if (nz(s.getClusterIP()).isEmpty()) s.setClusterIP(o.getClusterIP());
            if (list(s.getClusterIPs()).isEmpty() && !list(o.getClusterIPs()).isEmpty()) s.setClusterIPs(new ArrayList<>(o.getClusterIPs()));
        }
        if (needsNodePorts(o) && needsNodePorts(s)) {
            for (ServicePort np : list(s.getPorts())) {
                if (np.getNodePort() != null && np.getNodePort() != 0) continue;
                for (ServicePort op : list(o.getPorts())) {
                    if (Objects.equals(op.getPort(), np.getPort()) && Objects.equals(op.getProtocol(), np.getProtocol())) {
                        np.setNodePort(op.getNodePort());
                        break;
                    }
                }
            }
        }
        if (needsHealthCheck(o) && needsHealthCheck(s) && (s.getHealthCheckNodePort() == null || s.getHealthCheckNodePort() == 0)) {
            s.setHealthCheckNodePort(o.getHealthCheckNodePort());
        }
        if (!Meta.notEmpty(s.getClusterIP()) && list(s.getClusterIPs()).size() > 0 && Objects.equals(s.getClusterIPs(), o.getClusterIPs())
                && Meta.notEmpty(o.getClusterIP())) {
            // an old client cleared the singular field only: it meant both
            s.setClusterIPs(null);
        }
        if (Meta.notEmpty(s.getClusterIP()) && list(s.getClusterIPs()).isEmpty()) s.setClusterIPs(new ArrayList<>(List.of(s.getClusterIP())));
        if (!needsClusterIP(s) && needsClusterIP(o)) {
            if (Objects.equals(s.getClusterIP(), o.getClusterIP())) s.setClusterIP(null);
            if (Objects.equals(s.getClusterIPs(), o.getClusterIPs())) s.setClusterIPs(null);
            if (Objects.equals(s.getIpFamilies(), o.getIpFamilies())) s.setIpFamilies(null);
            if (Objects.equals(s.getIpFamilyPolicy(), o.getIpFamilyPolicy())) s.setIpFamilyPolicy(null);
        }
        if (!needsNodePorts(s) && needsNodePorts(o)) {
            for (ServicePort np : list(s.getPorts())) {
                for (ServicePort op : list(o.getPorts())) {
                    if (Objects.equals(op.getPort(), np.getPort()) && Objects.equals(op.getProtocol(), np.getProtocol())
                            && Objects.equals(op.getNodePort(), np.getNodePort())) {
                        np.setNodePort(null);
                    }
                }
            }
        }
        if (!needsHealthCheck(s) && Objects.equals(s.getHealthCheckNodePort(), o.getHealthCheckNodePort())) s.setHealthCheckNodePort(null);
        if (!"LoadBalancer".equals(s.getType())) {
            if (Objects.equals(s.getAllocateLoadBalancerNodePorts(), o.getAllocateLoadBalancerNodePorts())) s.setAllocateLoadBalancerNodePorts(null);
            if (Objects.equals(s.getLoadBalancerClass(), o.getLoadBalancerClass())) s.setLoadBalancerClass(null);
        }
        if (!externallyAccessible(s) && Objects.equals(s.getExternalTrafficPolicy(), o.getExternalTrafficPolicy())) s.setExternalTrafficPolicy(null);
    }

    static boolean needsClusterIP(ServiceSpec s) {
        return !"ExternalName".equals(s.getType());
    }

    static boolean needsNodePorts(ServiceSpec s) {
        return "NodePort".equals(s.getType()) || ("LoadBalancer".equals(s.getType()) && !Boolean.FALSE.equals(s.getAllocateLoadBalancerNodePorts()));
    }

    static boolean needsHealthCheck(ServiceSpec s) {
        return "LoadBalancer".equals(s.getType()) && "Local".equals(s.getExternalTrafficPolicy());
    }

    static boolean externallyAccessible(ServiceSpec s) {
        return "LoadBalancer".equals(s.getType()) || "NodePort".equals(s.getType())
                || ("ClusterIP".equals(s.getType()) && !list(s.getExternalIPs()).isEmpty());
    }

    static boolean headless(ServiceSpec s) {
        return list(s.getClusterIPs()).size() == 1 && "None".equals(s.getClusterIPs().get(0));
    }

    @Override
    List<FieldError> validateKind(Service svc) {
        List<FieldError> errs = new ArrayList<>();
        ServiceSpec s = svc.getSpec() == null ? new ServiceSpec() : svc.getSpec();
        Path spec = Path.of("spec");
        String type = nz(s.getType());
        List<ServicePort> ports = list(s.getPorts());
        if (ports.isEmpty() && !headless(s) && !type.equals("ExternalName")) errs.add(Errs.required(spec.child("ports")));
        switch (type) {
            case "LoadBalancer", "NodePort" -> {
                if (headless(s)) {
                    errs.add(Errs.invalid(spec.child("clusterIPs").index(0), "None", "may not be set to 'None' for " + type + " services"));
                }
            }
            case "ExternalName" -> {
                if (!list(s.getClusterIPs()).isEmpty()) errs.add(Errs.forbidden(spec.child("clusterIPs"), "may not be set for ExternalName services"));
                if (!list(s.getIpFamilies()).isEmpty()) errs.add(Errs.forbidden(spec.child("ipFamilies"), "may not be set for ExternalName services"));
                if (s.getIpFamilyPolicy() != null) errs.add(Errs.forbidden(spec.child("ipFamilyPolicy"), "may not be set for ExternalName services"));
                String cname = nz(s.getExternalName());
                if (cname.endsWith(".")) cname = cname.substring(0, cname.length() - 1);
                if (cname.isEmpty()) errs.add(Errs.required(spec.child("externalName")));
                else for (String msg : Names.dns1123Subdomain(cname)) errs.add(Errs.invalid(spec.child("externalName"), cname, msg));
            }
            default -> { }
        }
        Set<String> names = new HashSet<>();
        for (int i = 0; i < ports.size(); i++) errs.addAll(port(ports.get(i), ports.size() > 1, names, spec.child("ports").index(i)));
        if (s.getSelector() != null) errs.addAll(Meta.labels(s.getSelector(), spec.child("selector")));
        String affinity = nz(s.getSessionAffinity());
        if (affinity.isEmpty()) errs.add(Errs.required(spec.child("sessionAffinity")));
        else if (!affinity.equals("ClientIP") && !affinity.equals("None")) {
            errs.add(Errs.notSupported(spec.child("sessionAffinity"), affinity, List.of("ClientIP", "None")));
        }
        if (affinity.equals("ClientIP")) errs.addAll(clientIPConfig(s.getSessionAffinityConfig(), spec.child("sessionAffinityConfig")));
        else if (affinity.equals("None") && s.getSessionAffinityConfig() != null) {
            errs.add(Errs.forbidden(spec.child("sessionAffinityConfig"), "must not be set when session affinity is None"));
        }
        errs.addAll(clusterIPs(s));
        var ext = list(s.getExternalIPs());
        for (int i = 0; i < ext.size(); i++) {
            List<FieldError> ipErrs = Names.validIp(spec.child("externalIPs").index(i), nz(ext.get(i)));
            errs.addAll(ipErrs.isEmpty() ? Endpoints.nonSpecialIp(nz(ext.get(i)), spec.child("externalIPs").index(i)) : ipErrs);
        }
        if (type.isEmpty()) errs.add(Errs.required(spec.child("type")));
        else if (!TYPES.contains(type)) errs.add(Errs.notSupported(spec.child("type"), type, TYPES));
        if (type.equals("ClusterIP")) {
            for (int i = 0; i < ports.size(); i++) {
                if (ports.get(i).getNodePort() != null && ports.get(i).getNodePort() != 0) {
                    errs.add(Errs.forbidden(spec.child("ports").index(i).child("nodePort"), "may not be used when `type` is 'ClusterIP'"));
                }
            }
        }
        Set<String> nodePorts = new HashSet<>(), portKeys = new HashSet<>();
        for (int i = 0; i < ports.size(); i++) {
            ServicePort p = ports.get(i);
            int np = p.getNodePort() == null ? 0 : p.getNodePort();
            if (np != 0 && !nodePorts.add(nz(p.getProtocol()) + "/" + np)) errs.add(Errs.duplicateRaw(spec.child("ports").index(i).child("nodePort"), Integer.toString(np)));
        }
        for (int i = 0; i < ports.size(); i++) {
            ServicePort p = ports.get(i);
            int port = p.getPort() == null ? 0 : p.getPort();
            if (!portKeys.add(nz(p.getProtocol()) + "/" + port)) {
                errs.add(Errs.duplicateRaw(spec.child("ports").index(i), "core.ServicePort{Name:\"\", Protocol:" + Go.quote(nz(p.getProtocol()))
                        + ", AppProtocol:(*string)(nil), Port:" + port + ", TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}, NodePort:0}"));
            }
        }
        var ranges = list(s.getLoadBalancerSourceRanges());
        if (!ranges.isEmpty()) {
            Path rp = spec.child("LoadBalancerSourceRanges");
            if (!type.equals("LoadBalancer")) errs.add(Errs.forbidden(rp, "may only be used when `type` is 'LoadBalancer'"));
            for (int i = 0; i < ranges.size(); i++) errs.addAll(Names.validCidr(rp.index(i), nz(ranges.get(i)).strip()));
        }
        if (s.getAllocateLoadBalancerNodePorts() != null && !type.equals("LoadBalancer")) {
            errs.add(Errs.forbidden(spec.child("allocateLoadBalancerNodePorts"), "may only be used when `type` is 'LoadBalancer'"));
        }
        if (type.equals("LoadBalancer") && s.getAllocateLoadBalancerNodePorts() == null) {
            errs.add(Errs.required(Path.of("allocateLoadBalancerNodePorts")));
        }
        if (type.equals("LoadBalancer")) {
            if (s.getLoadBalancerClass() != null) {
                for (String msg : Names.qualifiedName(s.getLoadBalancerClass())) errs.add(Errs.invalid(spec.child("loadBalancerClass"), s.getLoadBalancerClass(), msg));
            }
        } else if (s.getLoadBalancerClass() != null) {
            errs.add(Errs.forbidden(spec.child("loadBalancerClass"), "may only be used when `type` is 'LoadBalancer'"));
        }
        errs.addAll(trafficPolicies(s, spec));
        return errs;
    }

    private static List<FieldError> port(ServicePort p, boolean requireName, Set<String> names, Path pp) {
        List<FieldError> errs = new ArrayList<>();
        String name = nz(p.getName());
        if (requireName && name.isEmpty()) errs.add(Errs.required(pp.child("name")));
        else if (!name.isEmpty()) {
            for (String msg : Names.dns1123Label(name)) errs.add(Errs.invalid(pp.child("name"), name, msg));
            if (!names.add(name)) errs.add(Errs.duplicate(pp.child("name"), name));
        }
        int port = p.getPort() == null ? 0 : p.getPort();
        for (String msg : Names.portNum(port)) errs.add(Errs.invalid(pp.child("port"), port, msg));
        String proto = nz(p.getProtocol());
        if (proto.isEmpty()) errs.add(Errs.required(pp.child("protocol")));
        else if (!PROTOCOLS.contains(proto)) errs.add(Errs.notSupported(pp.child("protocol"), proto, PROTOCOLS));
        errs.addAll(PodValidation.portNumOrName(p.getTargetPort(), pp.child("targetPort")));
        if (p.getAppProtocol() != null) {
            for (String msg : Names.qualifiedName(p.getAppProtocol())) errs.add(Errs.invalid(pp.child("appProtocol"), p.getAppProtocol(), msg));
        }
        return errs;
    }

    private static List<FieldError> clientIPConfig(SessionAffinityConfig c, Path p) {
        String why = "when session affinity type is ClientIP";
        if (c == null) return List.of(Errs.required(p, why));
        if (c.getClientIP() == null) return List.of(Errs.required(p.child("clientIP"), why));
        Integer t = c.getClientIP().getTimeoutSeconds();
        if (t == null) return List.of(Errs.required(p.child("clientIP", "timeoutSeconds"), why));
        if (t <= 0 || t > MAX_CLIENT_IP_SECONDS) {
            return List.of(Errs.invalid(p.child("clientIP", "timeoutSeconds"), t, "must be greater than 0 and less than " + MAX_CLIENT_IP_SECONDS));
        }
        return List.of();
    }

    /** ValidateServiceClusterIPsRelatedFields. */
    private static List<FieldError> clusterIPs(ServiceSpec s) {
        List<FieldError> errs = new ArrayList<>();
        if ("ExternalName".equals(s.getType())) return errs;
        Path spec = Path.of("spec"), ipsPath = spec.child("clusterIPs");
        List<String> ips = list(s.getClusterIPs());
        if (Meta.notEmpty(s.getClusterIP())) {
            if (ips.isEmpty()) errs.add(Errs.required(ipsPath));
            else if (!ips.get(0).equals(s.getClusterIP())) errs.add(Errs.invalidRaw(ipsPath, Go.strings(ips), "first value must match `clusterIP`"));
        } else if (!ips.isEmpty()) {
            errs.add(Errs.invalidRaw(ipsPath, Go.strings(ips), "must be empty when `clusterIP` is not specified"));
        }
        var families = list(s.getIpFamilies());
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < families.size(); i++) {
            String f = nz(families.get(i));
            if (!f.equals("IPv4") && !f.equals("IPv6")) errs.add(Errs.notSupported(spec.child("ipFamilies").index(i), f, List.of("IPv4", "IPv6")));
            if (!seen.add(f)) errs.add(Errs.duplicate(spec.child("ipFamilies").index(i), f));
        }
        if (s.getIpFamilyPolicy() != null && !List.of("PreferDualStack", "RequireDualStack", "SingleStack").contains(s.getIpFamilyPolicy())) {
            errs.add(Errs.notSupported(spec.child("ipFamilyPolicy"), s.getIpFamilyPolicy(), List.of("PreferDualStack", "RequireDualStack", "SingleStack")));
        }
        boolean invalid = false;
        for (int i = 0; i < ips.size(); i++) {
            String ip = nz(ips.get(i));
            if (i == 0 && ip.equals("None")) {
                if (ips.size() > 1) {
                    invalid = true;
                    errs.add(Errs.invalidRaw(ipsPath, Go.strings(ips), "'None' must be the first and only value"));
                }
                continue;
            }
            List<FieldError> e = Names.validIp(ipsPath.index(i), ip);
            invalid |= !e.isEmpty();
            errs.addAll(e);
        }
        if (ips.size() > 2) errs.add(Errs.invalidRaw(ipsPath, Go.strings(ips), "may only hold up to 2 values"));
        if (invalid) return errs;
        if (ips.size() > 1 && Names.isIpv6(ips.get(0)) == Names.isIpv6(ips.get(1))) {
            errs.add(Errs.invalidRaw(ipsPath, Go.strings(ips), "may specify no more than one IP for each IP family"));
        }
        if (!headless(s) && !ips.isEmpty() && !families.isEmpty()) {
            for (int i = 0; i < ips.size() && i < families.size(); i++) {
                boolean v6 = Names.isIpv6(ips.get(i));
                if (families.get(i).equals("IPv4") && v6) {
                    errs.add(Errs.invalid(ipsPath.index(i), ips.get(i), "expected an IPv4 value as indicated by `ipFamilies[" + i + "]`"));
                }
                if (families.get(i).equals("IPv6") && !v6) {
                    errs.add(Errs.invalid(ipsPath.index(i), ips.get(i), "expected an IPv6 value as indicated by `ipFamilies[" + i + "]`"));
                }
            }
        }
        return errs;
    }

    private static List<FieldError> trafficPolicies(ServiceSpec s, Path spec) {
        List<FieldError> errs = new ArrayList<>();
        String etp = nz(s.getExternalTrafficPolicy());
        if (!externallyAccessible(s)) {
            if (!etp.isEmpty()) errs.add(Errs.invalid(spec.child("externalTrafficPolicy"), etp, "may only be set for externally-accessible services"));
        } else if (etp.isEmpty()) {
            errs.add(Errs.required(spec.child("externalTrafficPolicy")));
        } else if (!etp.equals("Cluster") && !etp.equals("Local")) {
            errs.add(Errs.notSupported(spec.child("externalTrafficPolicy"), etp, List.of("Cluster", "Local")));
        }
        int hc = s.getHealthCheckNodePort() == null ? 0 : s.getHealthCheckNodePort();
        if (!needsHealthCheck(s)) {
            if (hc != 0) {
                errs.add(Errs.invalid(spec.child("healthCheckNodePort"), hc, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"));
            }
        } else if (hc == 0) {
            // the server allocates it; a Service still without one is reported as kube does
            errs.add(Errs.required(spec.child("healthCheckNodePort")));
        } else {
            for (String msg : Names.portNum(hc)) errs.add(Errs.invalid(spec.child("healthCheckNodePort"), hc, msg));
        }
        String itp = s.getInternalTrafficPolicy();
        if (itp == null) {
            if (List.of("NodePort", "LoadBalancer", "ClusterIP").contains(s.getType())) errs.add(Errs.required(spec.child("internalTrafficPolicy")));
        } else if (!itp.equals("Cluster") && !itp.equals("Local")) {
            errs.add(Errs.notSupported(spec.child("internalTrafficPolicy"), itp, List.of("Cluster", "Local")));
        }
        String td = s.getTrafficDistribution();
        if (td != null && !List.of("PreferClose", "PreferSameZone", "PreferSameNode").contains(td)) {
            errs.add(Errs.notSupported(spec.child("trafficDistribution"), td, List.of("PreferClose", "PreferSameZone", "PreferSameNode")));
        }
        return errs;
    }

    @Override
    List<FieldError> validateKindUpdate(Service svc, Service old) {
        List<FieldError> errs = new ArrayList<>();
        ServiceSpec s = svc.getSpec() == null ? new ServiceSpec() : svc.getSpec();
        ServiceSpec o = old.getSpec() == null ? new ServiceSpec() : old.getSpec();
        errs.addAll(upgradeDowngradeClusterIPs(o, s));
        errs.addAll(upgradeDowngradeIPFamilies(o, s));
        if ("LoadBalancer".equals(o.getType()) && "LoadBalancer".equals(s.getType()) && !Objects.equals(o.getLoadBalancerClass(), s.getLoadBalancerClass())) {
            errs.add(Errs.invalidRaw(Path.of("spec", "loadBalancerClass"), s.getLoadBalancerClass() == null ? "null" : Go.quote(s.getLoadBalancerClass()),
                    "may not change once set"));
        }
        if (needsHealthCheck(o) && needsHealthCheck(s) && !Objects.equals(o.getHealthCheckNodePort(), s.getHealthCheckNodePort())) {
            errs.add(Errs.forbidden(Path.of("spec", "healthCheckNodePort"), "field is immutable"));
        }
        errs.addAll(validateKind(svc));
        return errs;
    }

    /** The clusterIPs may gain or lose a secondary IP, never change the primary, except to or from ExternalName. */
    private static List<FieldError> upgradeDowngradeClusterIPs(ServiceSpec o, ServiceSpec s) {
        List<FieldError> errs = new ArrayList<>();
        if ("ExternalName".equals(s.getType()) || "ExternalName".equals(o.getType())) return errs;
        if (headless(o) && headless(s)) return errs;
        List<String> oips = list(o.getClusterIPs()), nips = list(s.getClusterIPs());
        Path p = Path.of("spec", "clusterIPs");
        String rendered = Go.strings(nips);
        if (oips.size() == nips.size()) {
            for (int i = 0; i < oips.size(); i++) {
                if (!oips.get(i).equals(nips.get(i))) errs.add(Errs.invalidRaw(p.index(i), rendered, "may not change once set"));
            }
        } else if (oips.size() > nips.size()) {
            if (nips.isEmpty()) errs.add(Errs.invalidRaw(p.index(0), rendered, "primary clusterIP can not be unset"));
            if (!oips.isEmpty() && !nips.isEmpty() && !nips.get(0).equals(oips.get(0))) errs.add(Errs.invalidRaw(p.index(0), rendered, "may not change once set"));
            if (nips.size() == 1 && !"SingleStack".equals(s.getIpFamilyPolicy())) {
                errs.add(Errs.invalidRaw(Path.of("spec", "ipFamilyPolicy"), s.getIpFamilyPolicy() == null ? "null" : Go.quote(s.getIpFamilyPolicy()),
                        "must be set to 'SingleStack' when releasing the secondary clusterIP"));
            }
        } else if (!oips.isEmpty() && !nips.get(0).equals(oips.get(0))) {
            errs.add(Errs.invalidRaw(p.index(0), rendered, "may not change once set"));
        }
        return errs;
    }

    private static List<FieldError> upgradeDowngradeIPFamilies(ServiceSpec o, ServiceSpec s) {
        List<FieldError> errs = new ArrayList<>();
        if ("ExternalName".equals(s.getType()) || "ExternalName".equals(o.getType())) return errs;
        if (headless(o) != headless(s) || headless(s)) return errs;
        List<String> of = list(o.getIpFamilies()), nf = list(s.getIpFamilies());
        Path p = Path.of("spec", "ipFamilies");
        if (of.size() == nf.size()) {
            for (int i = 0; i < of.size(); i++) {
                if (!of.get(i).equals(nf.get(i))) errs.add(Errs.invalidRaw(p.index(0), Go.strings(nf).replace("[]string", "[]core.IPFamily"), "may not change once set"));
            }
        } else if (of.size() > nf.size()) {
            if (list(s.getClusterIPs()).isEmpty()) errs.add(Errs.invalidRaw(p.index(0), Go.strings(nf).replace("[]string", "[]core.IPFamily"), "primary ipFamily can not be unset"));
            if (!nf.isEmpty() && !nf.get(0).equals(of.get(0))) errs.add(Errs.invalidRaw(p.index(0), Go.strings(list(s.getClusterIPs())), "may not change once set"));
            if (nf.size() == 1 && !"SingleStack".equals(s.getIpFamilyPolicy())) {
                errs.add(Errs.invalidRaw(Path.of("spec", "ipFamilyPolicy"), s.getIpFamilyPolicy() == null ? "null" : Go.quote(s.getIpFamilyPolicy()),
                        "must be set to 'SingleStack' when releasing the secondary ipFamily"));
            }
        } else if (!of.isEmpty() && !nf.isEmpty() && !nf.get(0).equals(of.get(0))) {
            errs.add(Errs.invalidRaw(p.index(0), Go.strings(list(s.getClusterIPs())), "may not change once set"));
        }
        return errs;
    }
}
