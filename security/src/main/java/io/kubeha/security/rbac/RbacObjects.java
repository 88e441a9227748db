package io.kubeha.security.rbac;

import java.util.List;
import java.util.Optional;

import tools.jackson.databind.JsonNode;

/**
 * Where RBAC reads its objects from (the API's JSON of rbac.authorization.k8s.io/v1 objects): the API server backs it
 * with its watch caches. Implementations must be thread-safe and cheap: the authorizer calls them on every request.
 */
public interface RbacObjects {

    Optional<JsonNode> role(String namespace, String name);

    Optional<JsonNode> clusterRole(String name);

    /** The RoleBindings of one namespace. */
    List<JsonNode> roleBindings(String namespace);

    List<JsonNode> clusterRoleBindings();
}
