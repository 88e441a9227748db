package io.kubeha.apiserver.registry;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Endpoints;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.ControllerRevision;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequest;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The built-in resources kubeha serves, with the group, version, kind, names, scope, short names and
 * categories kube-apiserver 1.33 publishes for them.
 */
public final class Resources {
    private static final List<String> ALL = List.of("all");
    private static final List<String> NONE = List.of();

    private final List<ResourceType> types;
    private final Map<String, ResourceType> byGroupVersionResource = new LinkedHashMap<>();

    private Resources(List<ResourceType> types) {
        this.types = List.copyOf(types);
        for (ResourceType t : types) byGroupVersionResource.put(t.apiVersion() + "/" + t.resource(), t);
    }

    public static Resources builtIn() {
        List<ResourceType> t = new ArrayList<>();
        t.add(core("Namespace", "namespaces", "namespace", false, List.of("ns"), NONE, Namespace.class, Set.of("status", "finalize")));
        t.add(core("Node", "nodes", "node", false, List.of("no"), NONE, Node.class, Set.of("status")));
        t.add(core("Pod", "pods", "pod", true, List.of("po"), ALL, Pod.class, Set.of("status", "binding", "eviction", "log")));
        t.add(core("Service", "services", "service", true, List.of("svc"), ALL, Service.class, Set.of("status")));
        t.add(core("Endpoints", "endpoints", "endpoints", true, List.of("ep"), NONE, Endpoints.class, Set.of()));
        t.add(core("ConfigMap", "configmaps", "configmap", true, List.of("cm"), NONE, ConfigMap.class, Set.of()));
        t.add(core("Secret", "secrets", "secret", true, NONE, NONE, Secret.class, Set.of()));
        t.add(core("ServiceAccount", "serviceaccounts", "serviceaccount", true, List.of("sa"), NONE, ServiceAccount.class, Set.of("token")));
        t.add(core("Event", "events", "event", true, List.of("ev"), NONE, Event.class, Set.of()));
        t.add(apps("Deployment", "deployments", "deployment", List.of("deploy"), Deployment.class, Set.of("status", "scale")));
        t.add(apps("ReplicaSet", "replicasets", "replicaset", List.of("rs"), ReplicaSet.class, Set.of("status", "scale")));
        t.add(apps("DaemonSet", "daemonsets", "daemonset", List.of("ds"), DaemonSet.class, Set.of("status")));
        t.add(new ResourceType("apps", "v1", "ControllerRevision", "controllerrevisions", "controllerrevision", true, NONE, NONE,
                ControllerRevision.class, Set.of(), ResourceType.ALL_VERBS));
        t.add(new ResourceType("coordination.k8s.io", "v1", "Lease", "leases", "lease", true, NONE, NONE, Lease.class, Set.of(),
                ResourceType.ALL_VERBS));
        t.add(new ResourceType("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", "endpointslice", true, NONE, NONE,
                EndpointSlice.class, Set.of(), ResourceType.ALL_VERBS));
        t.add(new ResourceType("events.k8s.io", "v1", "Event", "events", "event", true, List.of("ev"), NONE,
                io.fabric8.kubernetes.api.model.events.v1.Event.class, Set.of(), ResourceType.ALL_VERBS));
        t.add(rbac("Role", "roles", "role", true, Role.class));
        t.add(rbac("ClusterRole", "clusterroles", "clusterrole", false, ClusterRole.class));
        t.add(rbac("RoleBinding", "rolebindings", "rolebinding", true, RoleBinding.class));
        t.add(rbac("ClusterRoleBinding", "clusterrolebindings", "clusterrolebinding", false, ClusterRoleBinding.class));
        t.add(new ResourceType("certificates.k8s.io", "v1", "CertificateSigningRequest", "certificatesigningrequests",
                "certificatesigningrequest", false, List.of("csr"), NONE, CertificateSigningRequest.class, Set.of("status", "approval"),
                ResourceType.ALL_VERBS));
        return new Resources(t);
    }

    private static ResourceType core(String kind, String resource, String singular, boolean namespaced, List<String> shortNames,
                                     List<String> categories, Class<? extends io.fabric8.kubernetes.api.model.HasMetadata> model,
                                     Set<String> subresources) {
        return new ResourceType("", "v1", kind, resource, singular, namespaced, shortNames, categories, model, subresources,
                ResourceType.ALL_VERBS);
    }

    private static ResourceType apps(String kind, String resource, String singular, List<String> shortNames,
                                     Class<? extends io.fabric8.kubernetes.api.model.HasMetadata> model, Set<String> subresources) {
        return new ResourceType("apps", "v1", kind, resource, singular, true, shortNames, ALL, model, subresources,
                ResourceType.ALL_VERBS);
    }

    /** rbac.authorization.k8s.io/v1: no short names, no categories, no subresources, as kube-apiserver serves them. */
    private static ResourceType rbac(String kind, String resource, String singular, boolean namespaced,
                                     Class<? extends io.fabric8.kubernetes.api.model.HasMetadata> model) {
        return new ResourceType("rbac.authorization.k8s.io", "v1", kind, resource, singular, namespaced, NONE, NONE, model,
                Set.of(), ResourceType.ALL_VERBS);
    }

    public List<ResourceType> all() {
        return types;
    }

    /** The resource at {@code /api/v1/pods} or {@code /apis/apps/v1/deployments}. */
    public Optional<ResourceType> find(String group, String version, String resource) {
        return Optional.ofNullable(byGroupVersionResource.get((group.isEmpty() ? version : group + "/" + version) + "/" + resource));
    }

    public Optional<ResourceType> byKind(String apiVersion, String kind) {
        return types.stream().filter(t -> t.apiVersion().equals(apiVersion) && t.kind().equals(kind)).findFirst();
    }

    /** The groups served, core first, each with its versions: what /api and /apis publish. */
    public Map<String, List<String>> groups() {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (ResourceType t : types) {
            List<String> versions = out.computeIfAbsent(t.group(), g -> new ArrayList<>());
            if (!versions.contains(t.version())) versions.add(t.version());
        }
        return out;
    }
}
