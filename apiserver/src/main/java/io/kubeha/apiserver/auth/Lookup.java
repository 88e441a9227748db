package io.kubeha.apiserver.auth;

import tools.jackson.databind.node.ObjectNode;

import java.util.List;
import java.util.Optional;

/**
 * The objects authentication and authorization read (Secrets, ServiceAccounts, Pods, RBAC objects), from the API
 * server's watch caches: a request is never held up by a store read, except when the cache misses an object that
 * must exist (a freshly created ServiceAccount), when the store is asked.
 */
public interface Lookup {
    /** One object, or empty when there is no such object (or no such resource is served). */
    Optional<ObjectNode> get(String group, String resource, String namespace, String name);

    /** Every object of a resource in a namespace (null: all namespaces) as the cache has it. */
    List<ObjectNode> list(String group, String resource, String namespace);
}
