package io.kubeha.apiserver.alloc;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Service;

import java.util.Objects;

/**
 * The Service an allocation belongs to. The uid tells a Service from a later one of the same name, so that
 * deleting the old one can never release what the new one holds.
 *
 * @param uid null only for a Service that has none yet; then namespace and name alone identify it
 */
public record ServiceRef(String namespace, String name, String uid) {
    public ServiceRef {
        if (namespace == null || namespace.isEmpty() || name == null || name.isEmpty()) {
            throw new IllegalArgumentException("a Service needs metadata.namespace and metadata.name to own allocations");
        }
    }

    public static ServiceRef of(Service service) {
        ObjectMeta m = Objects.requireNonNull(service, "service").getMetadata();
        if (m == null) throw new IllegalArgumentException("a Service needs metadata to own allocations");
        return new ServiceRef(m.getNamespace(), m.getName(), m.getUid() == null || m.getUid().isEmpty() ? null : m.getUid());
    }

    /** Same namespace and name, and the same uid where both have one. */
    public boolean isSameService(ServiceRef other) {
        return other != null && namespace.equals(other.namespace) && name.equals(other.name)
                && (uid == null || other.uid == null || uid.equals(other.uid));
    }

    @Override
    public String toString() {
        return namespace + "/" + name;
    }
}
