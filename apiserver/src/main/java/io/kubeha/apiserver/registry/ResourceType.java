package io.kubeha.apiserver.registry;

import io.fabric8.kubernetes.api.model.HasMetadata;

import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * One resource the API serves, with the facts discovery publishes about it and what the handlers need.
 *
 * @param group         "" for the core group
 * @param version       served (and stored) version
 * @param kind          the object's kind
 * @param resource      the plural name in URLs ({@code pods})
 * @param singular      the singular name ({@code pod})
 * @param namespaced    whether objects live in a namespace
 * @param shortNames    kubectl's short names ({@code po})
 * @param categories    discovery categories ({@code all} for what {@code kubectl get all} lists)
 * @param model         the fabric8 model class
 * @param subresources  the subresources served ({@code status}, {@code scale}, {@code binding}, {@code eviction}, {@code log},
 *                      {@code finalize}, {@code approval})
 * @param verbs         the verbs allowed on the resource itself
 */
public record ResourceType(String group, String version, String kind, String resource, String singular, boolean namespaced,
                           List<String> shortNames, List<String> categories, Class<? extends HasMetadata> model,
                           Set<String> subresources, List<String> verbs) {
    public static final List<String> ALL_VERBS =
            List.of("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch");

    public ResourceType {
        Objects.requireNonNull(group);
        Objects.requireNonNull(version);
        shortNames = List.copyOf(shortNames);
        categories = List.copyOf(categories);
        subresources = Set.copyOf(subresources);
        verbs = List.copyOf(verbs);
    }

    /** {@code v1} or {@code apps/v1}. */
    public String apiVersion() {
        return group.isEmpty() ? version : group + "/" + version;
    }

    /** {@code pods} or {@code deployments.apps}: how kube-apiserver names the resource in messages. */
    public String qualifiedResource() {
        return group.isEmpty() ? resource : resource + "." + group;
    }

    public String listKind() {
        return kind + "List";
    }

    public boolean has(String subresource) {
        return subresources.contains(subresource);
    }

    /** Where objects of this type live in the store: {@code /registry/apps/deployments/}. */
    public String storagePrefix() {
        return "/registry/" + (group.isEmpty() ? "core" : group) + "/" + resource + "/";
    }

    /** The store key of one object; {@code namespace} is ignored for cluster-scoped types. */
    public String key(String namespace, String name) {
        return namespaced ? storagePrefix() + namespace + "/" + name : storagePrefix() + name;
    }

    /** The store prefix of every object in a namespace, or of all objects when {@code namespace} is null. */
    public String prefix(String namespace) {
        return namespaced && namespace != null ? storagePrefix() + namespace + "/" : storagePrefix();
    }
}
