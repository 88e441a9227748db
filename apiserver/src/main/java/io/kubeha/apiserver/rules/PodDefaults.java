package io.kubeha.apiserver.rules;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EmptyDirVolumeSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EphemeralContainer;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.Lifecycle;
import io.fabric8.kubernetes.api.model.LifecycleHandler;
import io.fabric8.kubernetes.api.model.ObjectFieldSelector;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeProjection;
import io.kubeha.apiserver.api.Json;
import tools.jackson.databind.JsonNode;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.kubeha.apiserver.rules.Meta.list;
import static io.kubeha.apiserver.rules.Meta.nz;

/**
 * Defaulting of pod specs as k8s pkg/apis/core/v1/defaults.go (and its generated walker) does it. A pod spec inside
 * a workload's template gets {@link #spec}; a Pod itself also gets {@link #podOnly}, as kube keeps some defaults
 * (enableServiceLinks, requests from limits) out of templates on purpose.
 */
final class PodDefaults {
    private PodDefaults() {}

    /** Default mode of secret, configMap, downwardAPI and projected volume files: 0644. */
    static final int DEFAULT_MODE = 0644;

    static void spec(PodSpec s) {
        if (s == null) return;
        if (nz(s.getDnsPolicy()).isEmpty()) s.setDnsPolicy("ClusterFirst");
        if (nz(s.getRestartPolicy()).isEmpty()) s.setRestartPolicy("Always");
        if (s.getSecurityContext() == null) s.setSecurityContext(new PodSecurityContext());
        if (s.getTerminationGracePeriodSeconds() == null) s.setTerminationGracePeriodSeconds(30L);
        if (nz(s.getSchedulerName()).isEmpty()) s.setSchedulerName("default-scheduler");
        // v1's deprecated serviceAccount mirrors serviceAccountName (the conversion to the internal type does this)
        if (nz(s.getServiceAccountName()).isEmpty() && !nz(s.getServiceAccount()).isEmpty()) {
            s.setServiceAccountName(s.getServiceAccount());
        }
        if (!nz(s.getServiceAccountName()).isEmpty()) s.setServiceAccount(s.getServiceAccountName());
        for (Volume v : list(s.getVolumes())) volume(v);
        for (Container c : list(s.getInitContainers())) container(c);
        for (Container c : list(s.getContainers())) container(c);
        for (EphemeralContainer c : list(s.getEphemeralContainers())) {
            if (nz(c.getImagePullPolicy()).isEmpty()) c.setImagePullPolicy(pullPolicy(c.getImage()));
            if (nz(c.getTerminationMessagePath()).isEmpty()) c.setTerminationMessagePath("/dev/termination-log");
            if (nz(c.getTerminationMessagePolicy()).isEmpty()) c.setTerminationMessagePolicy("File");
            ports(c.getPorts());
            env(c.getEnv());
        }
    }

    /** What SetDefaults_Pod adds on top of the spec defaults, for Pods only. */
    static void podOnly(PodSpec s) {
        if (s == null) return;
        for (Container c : list(s.getContainers())) requestsFromLimits(c);
        for (Container c : list(s.getInitContainers())) requestsFromLimits(c);
        if (s.getEnableServiceLinks() == null) s.setEnableServiceLinks(true);
        if (Boolean.TRUE.equals(s.getHostNetwork())) {
            // with the host's network a container port is a host port
            for (Container c : list(s.getContainers())) hostPorts(c);
            for (Container c : list(s.getInitContainers())) hostPorts(c);
        }
    }

    private static void requestsFromLimits(Container c) {
        ResourceRequirements r = c.getResources();
        if (r == null || r.getLimits() == null || r.getLimits().isEmpty()) return;
        Map<String, Quantity> requests = r.getRequests() == null ? new LinkedHashMap<>() : new LinkedHashMap<>(r.getRequests());
        for (var e : r.getLimits().entrySet()) {
            requests.putIfAbsent(e.getKey(), new Quantity(e.getValue().getAmount(), e.getValue().getFormat()));
        }
        r.setRequests(requests);
    }

    private static void hostPorts(Container c) {
        for (ContainerPort p : list(c.getPorts())) {
            if (p.getHostPort() == null || p.getHostPort() == 0) p.setHostPort(p.getContainerPort());
        }
    }

    static void container(Container c) {
        if (nz(c.getImagePullPolicy()).isEmpty()) c.setImagePullPolicy(pullPolicy(c.getImage()));
        if (nz(c.getTerminationMessagePath()).isEmpty()) c.setTerminationMessagePath("/dev/termination-log");
        if (nz(c.getTerminationMessagePolicy()).isEmpty()) c.setTerminationMessagePolicy("File");
        ports(c.getPorts());
        env(c.getEnv());
        probe(c.getLivenessProbe());
        probe(c.getReadinessProbe());
        probe(c.getStartupProbe());
        Lifecycle l = c.getLifecycle();
        if (l != null) {
            handler(l.getPostStart());
            handler(l.getPreStop());
        }
    }

    private static void ports(List<ContainerPort> ports) {
        for (ContainerPort p : list(ports)) {
            if (nz(p.getProtocol()).isEmpty()) p.setProtocol("TCP");
        }
    }

    private static void env(List<EnvVar> env) {
        for (EnvVar e : list(env)) {
            if (e.getValueFrom() != null) fieldRef(e.getValueFrom().getFieldRef());
        }
    }

    private static void fieldRef(ObjectFieldSelector f) {
        if (f != null && nz(f.getApiVersion()).isEmpty()) f.setApiVersion("v1");
    }

    /**
     * Always for an image tagged latest or not tagged at all (which means latest), IfNotPresent otherwise; an image
     * pinned by digest counts as tagged.
     */
    static String pullPolicy(String image) {
        String img = nz(image);
        if (img.contains("@")) return "IfNotPresent";
        int slash = img.lastIndexOf('/');
        int colon = img.lastIndexOf(':');
        String tag = colon > slash ? img.substring(colon + 1) : "";
        return tag.isEmpty() || tag.equals("latest") ? "Always" : "IfNotPresent";
    }

    static void probe(Probe p) {
        if (p == null) return;
        if (zero(p.getTimeoutSeconds())) p.setTimeoutSeconds(1);
        if (zero(p.getPeriodSeconds())) p.setPeriodSeconds(10);
        if (zero(p.getSuccessThreshold())) p.setSuccessThreshold(1);
        if (zero(p.getFailureThreshold())) p.setFailureThreshold(3);
        httpGet(p.getHttpGet());
    }

    private static void handler(LifecycleHandler h) {
        if (h != null) httpGet(h.getHttpGet());
    }

    private static void httpGet(HTTPGetAction a) {
        if (a == null) return;
        if (nz(a.getPath()).isEmpty()) a.setPath("/");
        if (nz(a.getScheme()).isEmpty()) a.setScheme("HTTP");
    }

    private static boolean zero(Integer i) {
        return i == null || i == 0;
    }

    static void volume(Volume v) {
        if (!hasSource(v)) v.setEmptyDir(new EmptyDirVolumeSource());
        if (v.getSecret() != null && v.getSecret().getDefaultMode() == null) v.getSecret().setDefaultMode(DEFAULT_MODE);
        if (v.getConfigMap() != null && v.getConfigMap().getDefaultMode() == null) v.getConfigMap().setDefaultMode(DEFAULT_MODE);
        if (v.getDownwardAPI() != null) {
            if (v.getDownwardAPI().getDefaultMode() == null) v.getDownwardAPI().setDefaultMode(DEFAULT_MODE);
            for (var item : list(v.getDownwardAPI().getItems())) fieldRef(item.getFieldRef());
        }
        if (v.getHostPath() != null && v.getHostPath().getType() == null) v.getHostPath().setType("");
        if (v.getProjected() != null) {
            if (v.getProjected().getDefaultMode() == null) v.getProjected().setDefaultMode(DEFAULT_MODE);
            for (VolumeProjection p : list(v.getProjected().getSources())) {
                if (p.getServiceAccountToken() != null && p.getServiceAccountToken().getExpirationSeconds() == null) {
                    p.getServiceAccountToken().setExpirationSeconds(3600L);
                }
                if (p.getDownwardAPI() != null) {
                    for (var item : list(p.getDownwardAPI().getItems())) fieldRef(item.getFieldRef());
                }
            }
        }
    }

    static boolean hasSource(Volume v) {
        JsonNode tree = Json.tree(v);
        for (String k : PodValidation.VOLUME_SOURCES.keySet()) {
            if (tree.has(k)) return true;
        }
        return false;
    }
}
