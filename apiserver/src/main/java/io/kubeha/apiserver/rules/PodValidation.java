package io.kubeha.apiserver.rules;

import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarSource;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.HTTPHeader;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LifecycleHandler;
import io.fabric8.kubernetes.api.model.NodeSelector;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import io.fabric8.kubernetes.api.model.ObjectFieldSelector;
import io.fabric8.kubernetes.api.model.PodAffinityTerm;
import io.fabric8.kubernetes.api.model.PodDNSConfig;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.PreferredSchedulingTerm;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.WeightedPodAffinityTerm;
import io.kubeha.apiserver.api.FieldError;
import io.kubeha.apiserver.api.Json;
import tools.jackson.databind.JsonNode;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.kubeha.apiserver.rules.Meta.list;
import static io.kubeha.apiserver.rules.Meta.map;
import static io.kubeha.apiserver.rules.Meta.nz;

/**
 * Validation of pod specs and pod templates (k8s pkg/apis/core/validation: ValidatePodSpec and what it calls), in
 * kube's order and with its messages. Volume sources are checked for being exactly one and for their key fields;
 * security contexts, OS-specific rules and resource claims are not checked.
 */
final class PodValidation {
    private PodValidation() {}

    /** Volume source fields in the order kube checks them, with the name kube prints for each (typos included). */
    static final Map<String, String> VOLUME_SOURCES = new LinkedHashMap<>();

    static {
        for (String s : new String[] {"emptyDir", "hostPath", "gitRepo", "gcePersistentDisk", "awsElasticBlockStore",
                "secret", "nfs", "iscsi", "glusterfs", "flocker", "persistentVolumeClaim", "rbd", "cinder", "cephfs:cephFS",
                "quobyte", "downwardAPI:downwarAPI", "fc", "flexVolume", "configMap", "azureFile", "vsphereVolume",
                "photonPersistentDisk", "portworxVolume", "azureDisk", "storageos", "projected", "scaleIO", "csi",
                "ephemeral", "image"}) {
            String[] kv = s.split(":");
            VOLUME_SOURCES.put(kv[0], kv.length > 1 ? kv[1] : kv[0]);
        }
    }

    private static final List<String> PROTOCOLS = List.of("SCTP", "TCP", "UDP");
    private static final List<String> PULL_POLICIES = List.of("Always", "IfNotPresent", "Never");
    private static final List<String> RESTART_POLICIES = List.of("Always", "OnFailure", "Never");
    private static final List<String> DNS_POLICIES = List.of("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None");
    private static final List<String> ENV_FIELD_PATHS = List.of("metadata.name", "metadata.namespace", "metadata.uid",
            "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs");
    private static final Set<String> STANDARD_CONTAINER_RESOURCES = Set.of("cpu", "memory", "ephemeral-storage");
    private static final Pattern SUBSCRIPTED = Pattern.compile("^(metadata\\.(?:labels|annotations))\\['(.*)'\\]$");
    private static final long MAX_INT32 = Integer.MAX_VALUE;

    /** ValidatePodTemplateSpec: the template of a workload, at {@code p} (e.g. {@code spec.template}). */
    static List<FieldError> template(PodTemplateSpec t, Path p) {
        List<FieldError> errs = new ArrayList<>();
        if (t == null) t = new PodTemplateSpec();
        var meta = t.getMetadata();
        errs.addAll(Meta.labels(meta == null ? null : meta.getLabels(), p.child("labels")));
        errs.addAll(Meta.annotations(meta == null ? null : meta.getAnnotations(), p.child("annotations")));
        PodSpec spec = t.getSpec() == null ? new PodSpec() : t.getSpec();
        errs.addAll(spec(spec, p.child("spec"), false));
        if (!list(spec.getEphemeralContainers()).isEmpty()) {
            errs.add(Errs.forbidden(p.child("spec", "ephemeralContainers"), "ephemeral containers not allowed in pod template"));
        }
        return errs;
    }

    /** ValidatePodSpec; {@code isPod} adds the checks kube makes only for Pods (not for templates). */
    static List<FieldError> spec(PodSpec s, Path p, boolean isPod) {
        List<FieldError> errs = new ArrayList<>();
        if (s.getTerminationGracePeriodSeconds() == null) errs.add(Errs.required(p.child("terminationGracePeriodSeconds")));
        Long grace = s.getTerminationGracePeriodSeconds();
        Set<String> volumes = volumes(list(s.getVolumes()), p.child("volumes"), errs);
        errs.addAll(containers(list(s.getContainers()), volumes, grace, p.child("containers"), s));
        errs.addAll(initContainers(list(s.getInitContainers()), list(s.getContainers()), volumes, grace, p.child("initContainers"), s));
        errs.addAll(hostNetworkDeps(s, p, isPod));
        errs.addAll(restartPolicy(nz(s.getRestartPolicy()), p.child("restartPolicy")));
        errs.addAll(dnsPolicy(nz(s.getDnsPolicy()), p.child("dnsPolicy")));
        errs.addAll(Meta.labels(s.getNodeSelector(), p.child("nodeSelector")));
        errs.addAll(affinity(s.getAffinity(), p.child("affinity")));
        errs.addAll(dnsConfig(s.getDnsConfig(), nz(s.getDnsPolicy()), p.child("dnsConfig")));
        var gates = list(s.getReadinessGates());
        for (int i = 0; i < gates.size(); i++) {
            String t = nz(gates.get(i).getConditionType());
            for (String msg : Names.qualifiedName(t)) errs.add(Errs.invalid(p.child("readinessGates").index(i).child("conditionType"), t, msg));
        }
        var sched = list(s.getSchedulingGates());
        Set<String> seenGates = new HashSet<>();
        for (int i = 0; i < sched.size(); i++) {
            String n = nz(sched.get(i).getName());
            for (String msg : Names.qualifiedName(n)) errs.add(Errs.invalid(p.child("schedulingGates").index(i), n, msg));
            if (!seenGates.add(n)) errs.add(Errs.duplicate(p.child("schedulingGates").index(i), n));
        }
        nameField(errs, s.getServiceAccountName(), p.child("serviceAccountName"), Names::dns1123Subdomain);
        nameField(errs, s.getNodeName(), p.child("nodeName"), Names::dns1123Subdomain);
        if (s.getActiveDeadlineSeconds() != null) {
            long v = s.getActiveDeadlineSeconds();
            if (v < 1 || v > MAX_INT32) errs.add(Errs.invalid(p.child("activeDeadlineSeconds"), v, Names.inclusiveRange(1, MAX_INT32)));
        }
        nameField(errs, s.getHostname(), p.child("hostname"), Names::dns1123Label);
        nameField(errs, s.getSubdomain(), p.child("subdomain"), Names::dns1123Label);
        if (!list(s.getTolerations()).isEmpty()) errs.addAll(tolerations(s.getTolerations(), p.child("tolerations")));
        var aliases = list(s.getHostAliases());
        for (int i = 0; i < aliases.size(); i++) {
            Path ap = p.child("hostAliases").index(i);
            errs.addAll(Names.validIp(ap.child("ip"), nz(aliases.get(i).getIp())));
            var hosts = list(aliases.get(i).getHostnames());
            for (int j = 0; j < hosts.size(); j++) {
                for (String msg : Names.dns1123Subdomain(nz(hosts.get(j)))) errs.add(Errs.invalid(ap.child("hostnames").index(j), nz(hosts.get(j)), msg));
            }
        }
        nameField(errs, s.getPriorityClassName(), p.child("priorityClassName"), Names::dns1123Subdomain);
        if (s.getRuntimeClassName() != null) {
            for (String msg : Names.dns1123Subdomain(s.getRuntimeClassName())) errs.add(Errs.invalid(p.child("runtimeClassName"), s.getRuntimeClassName(), msg));
        }
        if (s.getPreemptionPolicy() != null) {
            switch (s.getPreemptionPolicy()) {
                case "PreemptLowerPriority", "Never" -> { }
                case "" -> errs.add(Errs.required(p.child("preemptionPolicy")));
                default -> errs.add(Errs.notSupported(p.child("preemptionPolicy"), s.getPreemptionPolicy(), List.of("PreemptLowerPriority", "Never")));
            }
        }
        if (isPod) {
            onlyForPod(list(s.getContainers()), p.child("containers"), errs);
            onlyForPod(list(s.getInitContainers()), p.child("initContainers"), errs);
        }
        return errs;
    }

    private static void nameField(List<FieldError> errs, String v, Path p, java.util.function.Function<String, List<String>> check) {
        if (v == null || v.isEmpty()) return;
        for (String msg : check.apply(v)) errs.add(Errs.invalid(p, v, msg));
    }

    private static void onlyForPod(List<Container> cs, Path p, List<FieldError> errs) {
        for (int i = 0; i < cs.size(); i++) {
            String img = nz(cs.get(i).getImage());
            if (img.length() != img.strip().length()) errs.add(Errs.invalid(p.index(i).child("image"), img, "must not have leading or trailing whitespace"));
        }
    }

    // ---- volumes ----

    private static Set<String> volumes(List<Volume> vols, Path p, List<FieldError> errs) {
        Set<String> names = new HashSet<>();
        for (int i = 0; i < vols.size(); i++) {
            Volume v = vols.get(i);
            Path vp = p.index(i);
            List<FieldError> el = new ArrayList<>(volumeSource(v, vp));
            String name = nz(v.getName());
            if (name.isEmpty()) el.add(Errs.required(vp.child("name")));
            else for (String msg : Names.dns1123Label(name)) el.add(Errs.invalid(vp.child("name"), name, msg));
            if (names.contains(name)) el.add(Errs.duplicate(vp.child("name"), name));
            if (el.isEmpty()) names.add(name);
            else errs.addAll(el);
        }
        return names;
    }

    private static List<FieldError> volumeSource(Volume v, Path p) {
        List<FieldError> errs = new ArrayList<>();
        JsonNode tree = Json.tree(v);
        int n = 0;
        for (var e : VOLUME_SOURCES.entrySet()) {
            if (!tree.has(e.getKey())) continue;
            if (n++ > 0) errs.add(Errs.forbidden(p.child(e.getValue()), "may not specify more than 1 volume type"));
        }
        if (n == 0) {
            errs.add(Errs.required(p, "must specify a volume type"));
            return errs;
        }
        // the key fields of the sources this cluster can serve
        if (v.getHostPath() != null && nz(v.getHostPath().getPath()).isEmpty()) errs.add(Errs.required(p.child("hostPath", "path")));
        if (v.getSecret() != null && nz(v.getSecret().getSecretName()).isEmpty()) errs.add(Errs.required(p.child("secret", "secretName")));
        if (v.getConfigMap() != null && nz(v.getConfigMap().getName()).isEmpty()) errs.add(Errs.required(p.child("configMap", "name")));
        if (v.getPersistentVolumeClaim() != null && nz(v.getPersistentVolumeClaim().getClaimName()).isEmpty()) {
            errs.add(Errs.required(p.child("persistentVolumeClaim", "claimName")));
        }
        if (v.getEmptyDir() != null && v.getEmptyDir().getSizeLimit() != null && negative(v.getEmptyDir().getSizeLimit())) {
            errs.add(Errs.forbidden(p.child("emptyDir", "sizeLimit"), "SizeLimit field must be a valid resource quantity"));
        }
        return errs;
    }

    // ---- containers ----

    private static List<FieldError> containers(List<Container> cs, Set<String> volumes, Long grace, Path p, PodSpec s) {
        List<FieldError> errs = new ArrayList<>();
        if (cs.isEmpty()) {
            errs.add(Errs.required(p));
            return errs;
        }
        Set<String> names = new HashSet<>();
        for (int i = 0; i < cs.size(); i++) {
            Container c = cs.get(i);
            Path cp = p.index(i);
            errs.addAll(common(c, volumes, cp, s));
            if (!names.add(nz(c.getName()))) errs.add(Errs.duplicate(cp.child("name"), nz(c.getName())));
            if (c.getLifecycle() != null) errs.addAll(lifecycle(c, grace, cp));
            errs.addAll(probe(c.getLivenessProbe(), grace, cp.child("livenessProbe"), ProbeKind.LIVENESS));
            errs.addAll(probe(c.getReadinessProbe(), grace, cp.child("readinessProbe"), ProbeKind.READINESS));
            errs.addAll(probe(c.getStartupProbe(), grace, cp.child("startupProbe"), ProbeKind.STARTUP));
            if (c.getRestartPolicy() != null) errs.add(Errs.forbidden(cp.child("restartPolicy"), "may not be set for non-init containers"));
        }
        errs.addAll(hostPortConflicts(cs, p));
        return errs;
    }

    private static List<FieldError> initContainers(List<Container> cs, List<Container> regular, Set<String> volumes, Long grace,
                                                   Path p, PodSpec s) {
        List<FieldError> errs = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (Container c : regular) names.add(nz(c.getName()));
        for (int i = 0; i < cs.size(); i++) {
            Container c = cs.get(i);
            Path cp = p.index(i);
            errs.addAll(common(c, volumes, cp, s));
            boolean always = false;
            if (c.getRestartPolicy() != null) {
                if (!"Always".equals(c.getRestartPolicy())) {
                    errs.add(Errs.notSupported(cp.child("restartPolicy"), c.getRestartPolicy(), List.of("Always")));
                }
                always = "Always".equals(c.getRestartPolicy());
            }
            String name = nz(c.getName());
            if (names.contains(name)) errs.add(Errs.duplicate(cp.child("name"), name));
            else if (!name.isEmpty()) names.add(name);
            errs.addAll(hostPortConflicts(List.of(c), p));
            if (always) {
                if (c.getLifecycle() != null) errs.addAll(lifecycle(c, grace, cp));
                errs.addAll(probe(c.getLivenessProbe(), grace, cp.child("livenessProbe"), ProbeKind.LIVENESS));
                errs.addAll(probe(c.getReadinessProbe(), grace, cp.child("readinessProbe"), ProbeKind.READINESS));
                errs.addAll(probe(c.getStartupProbe(), grace, cp.child("startupProbe"), ProbeKind.STARTUP));
            } else {
                String why = "may not be set for init containers without restartPolicy=Always";
                if (c.getLifecycle() != null) errs.add(Errs.forbidden(cp.child("lifecycle"), why));
                if (c.getLivenessProbe() != null) errs.add(Errs.forbidden(cp.child("livenessProbe"), why));
                if (c.getReadinessProbe() != null) errs.add(Errs.forbidden(cp.child("readinessProbe"), why));
                if (c.getStartupProbe() != null) errs.add(Errs.forbidden(cp.child("startupProbe"), why));
            }
        }
        return errs;
    }

    private static List<FieldError> common(Container c, Set<String> volumes, Path p, PodSpec s) {
        List<FieldError> errs = new ArrayList<>();
        String name = nz(c.getName());
        if (name.isEmpty()) errs.add(Errs.required(p.child("name")));
        else for (String msg : Names.dns1123Label(name)) errs.add(Errs.invalid(p.child("name"), name, msg));
        if (nz(c.getImage()).isEmpty()) errs.add(Errs.required(p.child("image")));
        switch (nz(c.getTerminationMessagePolicy())) {
            case "File", "FallbackToLogsOnError" -> { }
            case "" -> errs.add(Errs.required(p.child("terminationMessagePolicy")));
            default -> errs.add(Errs.notSupported(p.child("terminationMessagePolicy"), c.getTerminationMessagePolicy(),
                    List.of("File", "FallbackToLogsOnError")));
        }
        errs.addAll(ports(list(c.getPorts()), p.child("ports")));
        errs.addAll(env(list(c.getEnv()), p.child("env")));
        errs.addAll(envFrom(list(c.getEnvFrom()), p.child("envFrom")));
        errs.addAll(volumeMounts(list(c.getVolumeMounts()), volumes, p.child("volumeMounts")));
        switch (nz(c.getImagePullPolicy())) {
            case "Always", "IfNotPresent", "Never" -> { }
            case "" -> errs.add(Errs.required(p.child("imagePullPolicy")));
            default -> errs.add(Errs.notSupported(p.child("imagePullPolicy"), c.getImagePullPolicy(), PULL_POLICIES));
        }
        errs.addAll(resources(c.getResources(), p.child("resources")));
        return errs;
    }

    private static List<FieldError> ports(List<ContainerPort> ports, Path p) {
        List<FieldError> errs = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < ports.size(); i++) {
            ContainerPort port = ports.get(i);
            Path pp = p.index(i);
            String name = nz(port.getName());
            if (!name.isEmpty()) {
                List<String> msgs = Names.portName(name);
                if (!msgs.isEmpty()) for (String msg : msgs) errs.add(Errs.invalid(pp.child("name"), name, msg));
                else if (!names.add(name)) errs.add(Errs.duplicate(pp.child("name"), name));
            }
            int cport = port.getContainerPort() == null ? 0 : port.getContainerPort();
            if (cport == 0) errs.add(Errs.required(pp.child("containerPort")));
            else for (String msg : Names.portNum(cport)) errs.add(Errs.invalid(pp.child("containerPort"), cport, msg));
            int hport = port.getHostPort() == null ? 0 : port.getHostPort();
            if (hport != 0) for (String msg : Names.portNum(hport)) errs.add(Errs.invalid(pp.child("hostPort"), hport, msg));
            String proto = nz(port.getProtocol());
            if (proto.isEmpty()) errs.add(Errs.required(pp.child("protocol")));
            else if (!PROTOCOLS.contains(proto)) errs.add(Errs.notSupported(pp.child("protocol"), proto, PROTOCOLS));
        }
        return errs;
    }

    private static List<FieldError> hostPortConflicts(List<Container> cs, Path p) {
        List<FieldError> errs = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (int ci = 0; ci < cs.size(); ci++) {
            var ports = list(cs.get(ci).getPorts());
            for (int pi = 0; pi < ports.size(); pi++) {
                ContainerPort port = ports.get(pi);
                int hp = port.getHostPort() == null ? 0 : port.getHostPort();
                if (hp == 0) continue;
                String key = nz(port.getProtocol()) + "/" + nz(port.getHostIP()) + "/" + hp;
                if (!seen.add(key)) errs.add(Errs.duplicate(p.index(ci).child("ports").index(pi).child("hostPort"), key));
            }
        }
        return errs;
    }

    private static List<FieldError> env(List<EnvVar> vars, Path p) {
        List<FieldError> errs = new ArrayList<>();
        for (int i = 0; i < vars.size(); i++) {
            EnvVar e = vars.get(i);
            Path ep = p.index(i);
            String name = nz(e.getName());
            if (name.isEmpty()) errs.add(Errs.required(ep.child("name")));
            else for (String msg : Names.envVarName(name)) errs.add(Errs.invalid(ep.child("name"), name, msg));
            errs.addAll(valueFrom(e, ep.child("valueFrom")));
        }
        return errs;
    }

    private static List<FieldError> valueFrom(EnvVar e, Path p) {
        List<FieldError> errs = new ArrayList<>();
        EnvVarSource vf = e.getValueFrom();
        if (vf == null) return errs;
        int n = 0;
        if (vf.getFieldRef() != null) {
            n++;
            errs.addAll(fieldRef(vf.getFieldRef(), p.child("fieldRef")));
        }
        if (vf.getResourceFieldRef() != null) {
            n++;
            if (nz(vf.getResourceFieldRef().getResource()).isEmpty()) errs.add(Errs.required(p.child("resourceFieldRef", "resource")));
        }
        if (vf.getConfigMapKeyRef() != null) {
            n++;
            errs.addAll(keySelector(vf.getConfigMapKeyRef().getName(), vf.getConfigMapKeyRef().getKey(), p.child("configMapKeyRef")));
        }
        if (vf.getSecretKeyRef() != null) {
            n++;
            errs.addAll(keySelector(vf.getSecretKeyRef().getName(), vf.getSecretKeyRef().getKey(), p.child("secretKeyRef")));
        }
        if (n == 0) errs.add(Errs.invalid(p, "", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`"));
        else if (!nz(e.getValue()).isEmpty()) errs.add(Errs.invalid(p, "", "may not be specified when `value` is not empty"));
        else if (n > 1) errs.add(Errs.invalid(p, "", "may not have more than one field specified at a time"));
        return errs;
    }

    private static List<FieldError> fieldRef(ObjectFieldSelector f, Path p) {
        List<FieldError> errs = new ArrayList<>();
        if (nz(f.getApiVersion()).isEmpty()) {
            errs.add(Errs.required(p.child("apiVersion")));
            return errs;
        }
        String fp = nz(f.getFieldPath());
        if (fp.isEmpty()) {
            errs.add(Errs.required(p.child("fieldPath")));
            return errs;
        }
        Matcher m = SUBSCRIPTED.matcher(fp);
        if (m.matches()) {
            String key = m.group(1).endsWith("annotations") ? m.group(2).toLowerCase(java.util.Locale.ROOT) : m.group(2);
            for (String msg : Names.qualifiedName(key)) errs.add(Errs.invalid(p, key, msg));
        } else if (!ENV_FIELD_PATHS.contains(fp)) {
            errs.add(Errs.notSupported(p.child("fieldPath"), fp, ENV_FIELD_PATHS));
        }
        return errs;
    }

    private static List<FieldError> keySelector(String name, String key, Path p) {
        List<FieldError> errs = new ArrayList<>();
        for (String msg : Names.dns1123Subdomain(nz(name))) errs.add(Errs.invalid(p.child("name"), nz(name), msg));
        if (nz(key).isEmpty()) errs.add(Errs.required(p.child("key")));
        else for (String msg : Names.configMapKey(key)) errs.add(Errs.invalid(p.child("key"), key, msg));
        return errs;
    }

    private static List<FieldError> envFrom(List<EnvFromSource> sources, Path p) {
        List<FieldError> errs = new ArrayList<>();
        for (int i = 0; i < sources.size(); i++) {
            EnvFromSource s = sources.get(i);
            Path sp = p.index(i);
            if (!nz(s.getPrefix()).isEmpty()) {
                for (String msg : Names.envVarName(s.getPrefix())) errs.add(Errs.invalid(sp.child("prefix"), s.getPrefix(), msg));
            }
            int n = 0;
            if (s.getConfigMapRef() != null) {
                n++;
                errs.addAll(refName(s.getConfigMapRef().getName(), sp.child("configMapRef")));
            }
            if (s.getSecretRef() != null) {
                n++;
                errs.addAll(refName(s.getSecretRef().getName(), sp.child("secretRef")));
            }
            if (n == 0) errs.add(Errs.invalid(p, "", "must specify one of: `configMapRef` or `secretRef`"));
            else if (n > 1) errs.add(Errs.invalid(p, "", "may not have more than one field specified at a time"));
        }
        return errs;
    }

    private static List<FieldError> refName(String name, Path p) {
        if (nz(name).isEmpty()) return List.of(Errs.required(p.child("name")));
        List<FieldError> errs = new ArrayList<>();
        // a prefix check: the name is checked as if it might still get a suffix
        String masked = name.endsWith("-") ? name.substring(0, Math.max(0, name.length() - 2)) + "a" : name;
        for (String msg : Names.dns1123Subdomain(masked)) errs.add(Errs.invalid(p.child("name"), name, msg));
        return errs;
    }

    private static List<FieldError> volumeMounts(List<VolumeMount> mounts, Set<String> volumes, Path p) {
        List<FieldError> errs = new ArrayList<>();
        Set<String> paths = new HashSet<>();
        for (int i = 0; i < mounts.size(); i++) {
            VolumeMount m = mounts.get(i);
            Path mp = p.index(i);
            String name = nz(m.getName());
            if (name.isEmpty()) errs.add(Errs.required(mp.child("name")));
            if (!volumes.contains(name)) errs.add(Errs.notFound(mp.child("name"), name));
            String path = nz(m.getMountPath());
            if (path.isEmpty()) errs.add(Errs.required(mp.child("mountPath")));
            if (!paths.add(path)) errs.add(Errs.invalid(mp.child("mountPath"), path, "must be unique"));
            if (!nz(m.getSubPath()).isEmpty()) errs.addAll(localDescendingPath(m.getSubPath(), p.child("subPath")));
            if (!nz(m.getSubPathExpr()).isEmpty()) {
                if (!nz(m.getSubPath()).isEmpty()) {
                    errs.add(Errs.invalid(mp.child("subPathExpr"), m.getSubPathExpr(), "subPathExpr and subPath are mutually exclusive"));
                }
                errs.addAll(localDescendingPath(m.getSubPathExpr(), p.child("subPathExpr")));
            }
        }
        return errs;
    }

    private static List<FieldError> localDescendingPath(String path, Path p) {
        List<FieldError> errs = new ArrayList<>();
        if (path.startsWith("/")) errs.add(Errs.invalid(p, path, "must be a relative path"));
        for (String part : path.split("[/\\\\]")) {
            if (part.equals("..")) {
                errs.add(Errs.invalid(p, path, "must not contain '..'"));
                break;
            }
        }
        return errs;
    }

    // ---- resources ----

    private static List<FieldError> resources(ResourceRequirements r, Path p) {
        List<FieldError> errs = new ArrayList<>();
        if (r == null) return errs;
        Path limPath = p.child("limits"), reqPath = p.child("requests");
        Map<String, Quantity> limits = map(r.getLimits()), requests = map(r.getRequests());
        for (var e : limits.entrySet()) {
            Path fp = limPath.key(e.getKey());
            errs.addAll(resourceName(e.getKey(), fp));
            errs.addAll(quantityValue(e.getKey(), e.getValue(), fp));
        }
        for (var e : requests.entrySet()) {
            String name = e.getKey();
            Path fp = reqPath.key(name);
            errs.addAll(resourceName(name, fp));
            errs.addAll(quantityValue(name, e.getValue(), fp));
            Quantity limit = limits.get(name);
            Quantity q = e.getValue();
            if (limit != null) {
                int cmp = compare(q, limit);
                if (cmp != 0 && !overcommitAllowed(name)) {
                    errs.add(Errs.invalid(reqPath, q.toString(), "must be equal to " + name + " limit of " + limit));
                } else if (cmp > 0) {
                    errs.add(Errs.invalid(reqPath, q.toString(), "must be less than or equal to " + name + " limit of " + limit));
                }
            } else if (!overcommitAllowed(name)) {
                errs.add(Errs.required(limPath, "Limit must be set for non overcommitable resources"));
            }
        }
        return errs;
    }

    private static List<FieldError> resourceName(String name, Path p) {
        List<FieldError> errs = new ArrayList<>();
        for (String msg : Names.qualifiedName(name)) errs.add(Errs.invalid(p, name, msg));
        if (!errs.isEmpty()) return errs;
        if (!name.contains("/")) {
            if (!STANDARD_CONTAINER_RESOURCES.contains(name) && !name.startsWith("hugepages-")) {
                errs.add(Errs.invalid(p, name, "must be a standard resource for containers"));
            }
        } else if (!isNative(name) && !isExtended(name)) {
            errs.add(Errs.invalid(p, name, "doesn't follow extended resource name standard"));
        }
        return errs;
    }

    private static List<FieldError> quantityValue(String name, Quantity q, Path p) {
        List<FieldError> errs = new ArrayList<>();
        if (negative(q)) errs.add(Errs.invalid(p, q.toString(), "must be greater than or equal to 0"));
        if (isExtended(name)) {
            BigDecimal v = amount(q);
            if (v != null && v.stripTrailingZeros().scale() > 0) errs.add(Errs.invalidRaw(p, q.toString(), "must be an integer"));
        }
        return errs;
    }

    private static boolean isNative(String name) {
        return !name.contains("/") || name.contains("kubernetes.io/");
    }

    private static boolean isExtended(String name) {
        if (isNative(name) || name.startsWith("requests.")) return false;
        return Names.qualifiedName("requests." + name).isEmpty();
    }

    /** Requests may be below limits only for native resources other than huge pages. */
    private static boolean overcommitAllowed(String name) {
        return isNative(name) && !name.startsWith("hugepages-");
    }

    static boolean negative(Quantity q) {
        BigDecimal v = amount(q);
        return v != null && v.signum() < 0;
    }

    static int compare(Quantity a, Quantity b) {
        BigDecimal x = amount(a), y = amount(b);
        if (x == null || y == null) return 0;
        return x.compareTo(y);
    }

    static BigDecimal amount(Quantity q) {
        try {
            return q == null ? null : q.getNumericalAmount();
        } catch (RuntimeException e) {
            return null;
        }
    }

    // ---- probes and lifecycle ----

    private enum ProbeKind { LIVENESS, READINESS, STARTUP }

    private static List<FieldError> probe(Probe probe, Long grace, Path p, ProbeKind kind) {
        List<FieldError> errs = new ArrayList<>();
        if (probe == null) return errs;
        errs.addAll(handler(probe.getExec() != null, probe.getExec() == null ? null : probe.getExec().getCommand(),
                probe.getHttpGet(), probe.getTcpSocket() == null ? null : probe.getTcpSocket().getPort(),
                probe.getTcpSocket() != null, probe.getGrpc() == null ? null : probe.getGrpc().getPort(), probe.getGrpc() != null,
                null, false, grace, p));
        nonNegative(errs, probe.getInitialDelaySeconds(), p.child("initialDelaySeconds"));
        nonNegative(errs, probe.getTimeoutSeconds(), p.child("timeoutSeconds"));
        nonNegative(errs, probe.getPeriodSeconds(), p.child("periodSeconds"));
        nonNegative(errs, probe.getSuccessThreshold(), p.child("successThreshold"));
        nonNegative(errs, probe.getFailureThreshold(), p.child("failureThreshold"));
        Long tgps = probe.getTerminationGracePeriodSeconds();
        if (tgps != null && tgps <= 0) errs.add(Errs.invalid(p.child("terminationGracePeriodSeconds"), tgps, "must be greater than 0"));
        int success = probe.getSuccessThreshold() == null ? 0 : probe.getSuccessThreshold();
        if (kind != ProbeKind.READINESS && success != 1) errs.add(Errs.invalid(p.child("successThreshold"), success, "must be 1"));
        if (kind == ProbeKind.READINESS && tgps != null) {
            errs.add(Errs.invalid(p.child("terminationGracePeriodSeconds"), tgps, "must not be set for readinessProbes"));
        }
        return errs;
    }

    private static void nonNegative(List<FieldError> errs, Integer v, Path p) {
        if (v != null && v < 0) errs.add(Errs.invalid(p, v, "must be greater than or equal to 0"));
    }

    private static List<FieldError> lifecycle(Container c, Long grace, Path p) {
        List<FieldError> errs = new ArrayList<>();
        LifecycleHandler post = c.getLifecycle().getPostStart(), pre = c.getLifecycle().getPreStop();
        if (post != null) errs.addAll(lifecycleHandler(post, grace, p.child("lifecycle", "postStart")));
        if (pre != null) errs.addAll(lifecycleHandler(pre, grace, p.child("lifecycle", "preStop")));
        return errs;
    }

    private static List<FieldError> lifecycleHandler(LifecycleHandler h, Long grace, Path p) {
        return handler(h.getExec() != null, h.getExec() == null ? null : h.getExec().getCommand(), h.getHttpGet(),
                h.getTcpSocket() == null ? null : h.getTcpSocket().getPort(), h.getTcpSocket() != null,
                null, false, h.getSleep() == null ? null : h.getSleep().getSeconds(), h.getSleep() != null, grace, p);
    }

    /** validateHandler: exactly one of exec, httpGet, tcpSocket, grpc (probes) or sleep (lifecycle). */
    private static List<FieldError> handler(boolean hasExec, List<String> command, HTTPGetAction http, IntOrString tcpPort,
                                            boolean hasTcp, Integer grpcPort, boolean hasGrpc, Long sleep, boolean hasSleep,
                                            Long grace, Path p) {
        List<FieldError> errs = new ArrayList<>();
        int n = 0;
        String more = "may not specify more than 1 handler type";
        if (hasExec) {
            n++;
            if (list(command).isEmpty()) errs.add(Errs.required(p.child("exec", "command")));
        }
        if (http != null) {
            if (n++ > 0) errs.add(Errs.forbidden(p.child("httpGet"), more));
            else errs.addAll(httpGet(http, p.child("httpGet")));
        }
        if (hasTcp) {
            if (n++ > 0) errs.add(Errs.forbidden(p.child("tcpSocket"), more));
            else errs.addAll(portNumOrName(tcpPort, p.child("tcpSocket", "port")));
        }
        if (hasGrpc) {
            if (n++ > 0) errs.add(Errs.forbidden(p.child("grpc"), more));
            else {
                int port = grpcPort == null ? 0 : grpcPort;
                for (String msg : Names.portNum(port)) errs.add(Errs.invalid(p.child("grpc", "port"), port, msg));
            }
        }
        if (hasSleep) {
            if (n++ > 0) errs.add(Errs.forbidden(p.child("sleep"), more));
            else {
                long secs = sleep == null ? 0 : sleep;
                if (grace != null && (secs < 0 || secs > grace)) {
                    errs.add(Errs.invalid(p.child("sleep"), secs, "must be non-negative and less than terminationGracePeriodSeconds (" + grace + ")"));
                }
            }
        }
        if (n == 0) errs.add(Errs.required(p, "must specify a handler type"));
        return errs;
    }

    private static List<FieldError> httpGet(HTTPGetAction a, Path p) {
        List<FieldError> errs = new ArrayList<>();
        if (nz(a.getPath()).isEmpty()) errs.add(Errs.required(p.child("path")));
        errs.addAll(portNumOrName(a.getPort(), p.child("port")));
        String scheme = nz(a.getScheme());
        if (!scheme.equals("HTTP") && !scheme.equals("HTTPS")) errs.add(Errs.notSupported(p.child("scheme"), scheme, List.of("HTTP", "HTTPS")));
        for (HTTPHeader h : list(a.getHttpHeaders())) {
            for (String msg : Names.httpHeaderName(nz(h.getName()))) errs.add(Errs.invalid(p.child("httpHeaders"), nz(h.getName()), msg));
        }
        return errs;
    }

    static List<FieldError> portNumOrName(IntOrString port, Path p) {
        List<FieldError> errs = new ArrayList<>();
        if (port != null && port.getStrVal() != null) {
            for (String msg : Names.portName(port.getStrVal())) errs.add(Errs.invalid(p, port.getStrVal(), msg));
        } else {
            int v = port == null || port.getIntVal() == null ? 0 : port.getIntVal();
            for (String msg : Names.portNum(v)) errs.add(Errs.invalid(p, v, msg));
        }
        return errs;
    }

    // ---- pod-level fields ----

    private static List<FieldError> hostNetworkDeps(PodSpec s, Path p, boolean isPod) {
        List<FieldError> errs = new ArrayList<>();
        if (!Boolean.TRUE.equals(s.getHostNetwork())) return errs;
        var cs = list(s.getContainers());
        for (int i = 0; i < cs.size(); i++) {
            var ports = list(cs.get(i).getPorts());
            for (int j = 0; j < ports.size(); j++) {
                int hp = ports.get(j).getHostPort() == null ? 0 : ports.get(j).getHostPort();
                int cp = ports.get(j).getContainerPort() == null ? 0 : ports.get(j).getContainerPort();
                if ((isPod || hp != 0) && hp != cp) {
                    errs.add(Errs.invalid(p.child("containers").index(i).child("ports").index(j).child("hostPort"), hp,
                            "must match `containerPort` when `hostNetwork` is true"));
                }
            }
        }
        return errs;
    }

    static List<FieldError> restartPolicy(String v, Path p) {
        return switch (v) {
            case "Always", "OnFailure", "Never" -> List.of();
            case "" -> List.of(Errs.required(p));
            default -> List.of(Errs.notSupported(p, v, RESTART_POLICIES));
        };
    }

    private static List<FieldError> dnsPolicy(String v, Path p) {
        return switch (v) {
            case "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None" -> List.of();
            case "" -> List.of(Errs.required(p));
            default -> List.of(Errs.notSupported(p, v, DNS_POLICIES));
        };
    }

    private static List<FieldError> dnsConfig(PodDNSConfig c, String policy, Path p) {
        List<FieldError> errs = new ArrayList<>();
        if (policy.equals("None")) {
            if (c == null) return List.of(Errs.required(p, "must provide `dnsConfig` when `dnsPolicy` is None"));
            if (list(c.getNameservers()).isEmpty()) {
                return List.of(Errs.required(p.child("nameservers"), "must provide at least one DNS nameserver when `dnsPolicy` is None"));
            }
        }
        if (c == null) return errs;
        var ns = list(c.getNameservers());
        if (ns.size() > 3) errs.add(Errs.invalidRaw(p.child("nameservers"), Go.strings(ns), "must not have more than 3 nameservers"));
        for (int i = 0; i < ns.size(); i++) errs.addAll(Names.validIp(p.child("nameservers").index(i), nz(ns.get(i))));
        var searches = list(c.getSearches());
        if (searches.size() > 32) errs.add(Errs.invalidRaw(p.child("searches"), Go.strings(searches), "must not have more than 32 search paths"));
        if (String.join(" ", searches).length() > 2048) {
            errs.add(Errs.invalidRaw(p.child("searches"), Go.strings(searches), "must not have more than 2048 characters (including spaces) in the search list"));
        }
        for (int i = 0; i < searches.size(); i++) {
            String s = nz(searches.get(i));
            if (s.equals(".")) continue;
            s = s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
            for (String msg : Names.dns1123Subdomain(s.replace('_', 'a'))) errs.add(Errs.invalid(p.child("searches").index(i), s, msg));
        }
        var opts = list(c.getOptions());
        for (int i = 0; i < opts.size(); i++) {
            if (nz(opts.get(i).getName()).isEmpty()) errs.add(Errs.required(p.child("options").index(i), "must not be empty"));
        }
        return errs;
    }

    static List<FieldError> tolerations(List<Toleration> ts, Path p) {
        List<FieldError> errs = new ArrayList<>();
        for (int i = 0; i < ts.size(); i++) {
            Toleration t = ts.get(i);
            Path tp = p.index(i);
            String key = nz(t.getKey()), op = nz(t.getOperator()), effect = nz(t.getEffect()), value = nz(t.getValue());
            if (!key.isEmpty()) errs.addAll(Meta.labelName(key, tp.child("key")));
            if (key.isEmpty() && !op.equals("Exists")) {
                errs.add(Errs.invalid(tp.child("operator"), op, "operator must be Exists when `key` is empty, which means \"match all values and all keys\""));
            }
            if (t.getTolerationSeconds() != null && !effect.equals("NoExecute")) {
                errs.add(Errs.invalid(tp.child("effect"), effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"));
            }
            switch (op) {
                case "Equal", "" -> {
                    List<String> msgs = Names.labelValue(value);
                    if (!msgs.isEmpty()) errs.add(Errs.invalid(tp.child("operator"), value, String.join(";", msgs)));
                }
                case "Exists" -> {
                    if (!value.isEmpty()) errs.add(Errs.invalid(tp.child("operator"), value, "value must be empty when `operator` is 'Exists'"));
                }
                default -> errs.add(Errs.notSupported(tp.child("operator"), op, List.of("Equal", "Exists")));
            }
            if (!effect.isEmpty()) errs.addAll(taintEffect(effect, tp.child("effect")));
        }
        return errs;
    }

    static List<FieldError> taintEffect(String effect, Path p) {
        return switch (effect) {
            case "NoSchedule", "PreferNoSchedule", "NoExecute" -> List.of();
            default -> List.of(Errs.notSupported(p, effect, List.of("NoSchedule", "PreferNoSchedule", "NoExecute")));
        };
    }

    private static List<FieldError> affinity(Affinity a, Path p) {
        List<FieldError> errs = new ArrayList<>();
        if (a == null) return errs;
        if (a.getNodeAffinity() != null) {
            Path np = p.child("nodeAffinity");
            NodeSelector req = a.getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution();
            if (req != null) errs.addAll(nodeSelector(req, np.child("requiredDuringSchedulingIgnoredDuringExecution")));
            List<PreferredSchedulingTerm> pref = list(a.getNodeAffinity().getPreferredDuringSchedulingIgnoredDuringExecution());
            for (int i = 0; i < pref.size(); i++) {
                Path tp = np.child("preferredDuringSchedulingIgnoredDuringExecution").index(i);
                int w = pref.get(i).getWeight() == null ? 0 : pref.get(i).getWeight();
                if (w <= 0 || w > 100) errs.add(Errs.invalid(tp.child("weight"), w, "must be in the range 1-100"));
                errs.addAll(nodeSelectorTerm(pref.get(i).getPreference(), tp.child("preference"), true));
            }
        }
        if (a.getPodAffinity() != null) {
            errs.addAll(podAffinityTerms(a.getPodAffinity().getRequiredDuringSchedulingIgnoredDuringExecution(),
                    a.getPodAffinity().getPreferredDuringSchedulingIgnoredDuringExecution(), p.child("podAffinity")));
        }
        if (a.getPodAntiAffinity() != null) {
            errs.addAll(podAffinityTerms(a.getPodAntiAffinity().getRequiredDuringSchedulingIgnoredDuringExecution(),
                    a.getPodAntiAffinity().getPreferredDuringSchedulingIgnoredDuringExecution(), p.child("podAntiAffinity")));
        }
        return errs;
    }

    private static List<FieldError> nodeSelector(NodeSelector ns, Path p) {
        List<FieldError> errs = new ArrayList<>();
        var terms = list(ns.getNodeSelectorTerms());
        if (terms.isEmpty()) return List.of(Errs.required(p.child("nodeSelectorTerms"), "must have at least one node selector term"));
        for (int i = 0; i < terms.size(); i++) errs.addAll(nodeSelectorTerm(terms.get(i), p.child("nodeSelectorTerms").index(i), false));
        return errs;
    }

    private static List<FieldError> nodeSelectorTerm(NodeSelectorTerm t, Path p, boolean allowInvalidValues) {
        List<FieldError> errs = new ArrayList<>();
        if (t == null) return errs;
        var exprs = list(t.getMatchExpressions());
        for (int j = 0; j < exprs.size(); j++) {
            NodeSelectorRequirement r = exprs.get(j);
            Path rp = p.child("matchExpressions").index(j);
            int n = list(r.getValues()).size();
            switch (nz(r.getOperator())) {
                case "In", "NotIn" -> {
                    if (n == 0) errs.add(Errs.required(rp.child("values"), "must be specified when `operator` is 'In' or 'NotIn'"));
                }
                case "Exists", "DoesNotExist" -> {
                    if (n > 0) errs.add(Errs.forbidden(rp.child("values"), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
                }
                case "Gt", "Lt" -> {
                    if (n != 1) errs.add(Errs.required(rp.child("values"), "must be specified single value when `operator` is 'Lt' or 'Gt'"));
                }
                default -> errs.add(Errs.invalid(rp.child("operator"), nz(r.getOperator()), "not a valid selector operator"));
            }
            errs.addAll(Meta.labelName(nz(r.getKey()), rp.child("key")));
            if (!allowInvalidValues) {
                var values = list(r.getValues());
                for (int v = 0; v < values.size(); v++) {
                    for (String msg : Names.labelValue(nz(values.get(v)))) errs.add(Errs.invalid(rp.child("values").index(v), nz(values.get(v)), msg));
                }
            }
        }
        var fields = list(t.getMatchFields());
        for (int j = 0; j < fields.size(); j++) {
            NodeSelectorRequirement r = fields.get(j);
            Path rp = p.child("matchFields").index(j);
            switch (nz(r.getOperator())) {
                case "In", "NotIn" -> {
                    if (list(r.getValues()).size() != 1) {
                        errs.add(Errs.required(rp.child("values"), "must be only one value when `operator` is 'In' or 'NotIn' for node field selector"));
                    }
                }
                default -> errs.add(Errs.invalid(rp.child("operator"), nz(r.getOperator()), "not a valid selector operator"));
            }
            if (!"metadata.name".equals(r.getKey())) errs.add(Errs.invalid(rp.child("key"), nz(r.getKey()), "not a valid field selector key"));
            else {
                var values = list(r.getValues());
                for (int v = 0; v < values.size(); v++) {
                    for (String msg : Names.dns1123Subdomain(nz(values.get(v)))) errs.add(Errs.invalid(rp.child("values").index(v), nz(values.get(v)), msg));
                }
            }
        }
        return errs;
    }

    private static List<FieldError> podAffinityTerms(List<PodAffinityTerm> required, List<WeightedPodAffinityTerm> preferred, Path p) {
        List<FieldError> errs = new ArrayList<>();
        var req = list(required);
        for (int i = 0; i < req.size(); i++) errs.addAll(podAffinityTerm(req.get(i), p.child("requiredDuringSchedulingIgnoredDuringExecution").index(i)));
        var pref = list(preferred);
        for (int j = 0; j < pref.size(); j++) {
            Path tp = p.child("preferredDuringSchedulingIgnoredDuringExecution").index(j);
            int w = pref.get(j).getWeight() == null ? 0 : pref.get(j).getWeight();
            if (w <= 0 || w > 100) errs.add(Errs.invalid(tp.child("weight"), w, "must be in the range 1-100"));
            errs.addAll(podAffinityTerm(pref.get(j).getPodAffinityTerm(), tp.child("podAffinityTerm")));
        }
        return errs;
    }

    private static List<FieldError> podAffinityTerm(PodAffinityTerm t, Path p) {
        List<FieldError> errs = new ArrayList<>();
        if (t == null) t = new PodAffinityTerm();
        errs.addAll(Selectors.validate(t.getLabelSelector(), p.child("labelSelector")));
        errs.addAll(Selectors.validate(t.getNamespaceSelector(), p.child("namespaceSelector")));
        for (String ns : list(t.getNamespaces())) {
            for (String msg : Names.dns1123Label(nz(ns))) errs.add(Errs.invalid(p.child("namespace"), nz(ns), msg));
        }
        String key = nz(t.getTopologyKey());
        if (key.isEmpty()) errs.add(Errs.required(p.child("topologyKey"), "can not be empty"));
        errs.addAll(Meta.labelName(key, p.child("topologyKey")));
        return errs;
    }
}
