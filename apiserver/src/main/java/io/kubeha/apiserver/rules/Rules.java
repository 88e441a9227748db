package io.kubeha.apiserver.rules;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.ControllerRevision;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;

import java.util.Map;

/** The rules of each kind. Stateless and thread-safe: the same instance serves every request. */
public final class Rules {
    private Rules() {}

    private static final Map<Class<?>, TypeRules<?>> RULES = Map.ofEntries(
            Map.entry(Pod.class, new PodRules()),
            Map.entry(Deployment.class, new DeploymentRules()),
            Map.entry(ReplicaSet.class, new ReplicaSetRules()),
            Map.entry(DaemonSet.class, new DaemonSetRules()),
            Map.entry(Service.class, new ServiceRules()),
            Map.entry(Namespace.class, new NamespaceRules()),
            Map.entry(Node.class, new NodeRules()),
            Map.entry(ConfigMap.class, new ConfigMapRules()),
            Map.entry(Secret.class, new SecretRules()),
            Map.entry(ServiceAccount.class, new SimpleRules.ServiceAccountRules()),
            Map.entry(io.fabric8.kubernetes.api.model.Endpoints.class, new Endpoints()),
            Map.entry(EndpointSlice.class, new EndpointSliceRules()),
            Map.entry(Event.class, new SimpleRules.EventRules()),
            Map.entry(Lease.class, new SimpleRules.LeaseRules()),
            Map.entry(ControllerRevision.class, new SimpleRules.ControllerRevisionRules()),
            Map.entry(io.fabric8.kubernetes.api.model.rbac.Role.class, new RbacRules.RoleRules()),
            Map.entry(io.fabric8.kubernetes.api.model.rbac.ClusterRole.class, new RbacRules.ClusterRoleRules()),
            Map.entry(io.fabric8.kubernetes.api.model.rbac.RoleBinding.class, new RbacRules.RoleBindingRules()),
            Map.entry(io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding.class, new RbacRules.ClusterRoleBindingRules()),
            Map.entry(io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequest.class, new CsrRules()));

    /**
     * The rules of {@code type}. A kind without rules of its own gets metadata checks only, namespaced when the
     * fabric8 type says so ({@link Namespaced}), with names that must be DNS subdomains, or URL path segments for
     * RBAC kinds.
     */
    @SuppressWarnings("unchecked")
    public static <T extends HasMetadata> TypeRules<T> forKind(Class<T> type) {
        TypeRules<?> r = RULES.get(type);
        if (r != null) return (TypeRules<T>) r;
        return forKind(type, Namespaced.class.isAssignableFrom(type));
    }

    /**
     * As {@link #forKind(Class)}, stating the scope, for types that do not carry it (such as
     * GenericKubernetesResource, whose scope the API server knows from its resource table).
     */
    @SuppressWarnings("unchecked")
    public static <T extends HasMetadata> TypeRules<T> forKind(Class<T> type, boolean namespaced) {
        TypeRules<?> r = RULES.get(type);
        if (r != null) return (TypeRules<T>) r;
        boolean rbac = type.getPackageName().startsWith("io.fabric8.kubernetes.api.model.rbac");
        return new SimpleRules.MetadataOnly<>(namespaced, rbac ? NameRule.PATH_SEGMENT : NameRule.DNS_SUBDOMAIN);
    }

    /** The rules of {@code obj}'s class. */
    @SuppressWarnings("unchecked")
    public static <T extends HasMetadata> TypeRules<T> forObject(T obj) {
        return forKind((Class<T>) obj.getClass());
    }
}
