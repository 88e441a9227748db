package io.kubeha.apiserver.auth;

import io.kubeha.security.auth.Attributes;
import io.kubeha.security.auth.AuthorizationResult;
import io.kubeha.security.auth.Authorizer;
import io.kubeha.security.auth.Decision;
import io.kubeha.security.auth.UnionAuthorizer;
import io.kubeha.security.rbac.RbacAuthorizer;
import io.kubeha.security.rbac.RbacObjects;
import tools.jackson.databind.JsonNode;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * kube-apiserver's authorizer chain: the system:masters group is always allowed (kube's privileged-group short
 * cut, so an admin can never lock themselves out through RBAC), then Node, then RBAC.
 */
public final class Authorization implements Authorizer {
    public static final String MASTERS = "system:masters";

    private final RbacAuthorizer rbac;
    private final Authorizer chain;

    public Authorization(Lookup lookup) {
        this.rbac = new RbacAuthorizer(rbacObjects(lookup));
        Authorizer masters = a -> a.user().groups().contains(MASTERS) ? new AuthorizationResult(Decision.ALLOW, "")
                : new AuthorizationResult(Decision.NO_OPINION, "");
        this.chain = new UnionAuthorizer(List.of(masters, new NodeAuthorizer(lookup), rbac));
    }

    @Override
    public AuthorizationResult authorize(Attributes a) {
        return chain.authorize(a);
    }

    /** The node a user is (system:node:NAME in system:nodes), or null. */
    public static String nodeName(io.kubeha.security.auth.UserInfo user) {
        return NodeAuthorizer.nodeName(user);
    }

    public RbacAuthorizer rbac() {
        return rbac;
    }

    private static final String RBAC = "rbac.authorization.k8s.io";

    /** RBAC reads its objects from the caches; an aggregated ClusterRole is read with the rules it aggregates. */
    static RbacObjects rbacObjects(Lookup lookup) {
        return new RbacObjects() {
            @Override
            public Optional<JsonNode> role(String namespace, String name) {
                return lookup.get(RBAC, "roles", namespace, name).map(n -> n);
            }

            /** the rules an aggregated role aggregates, computed again only when some ClusterRole changed */
            private volatile Map.Entry<String, Map<String, List<io.kubeha.security.rbac.PolicyRule>>> aggregated;

            @Override
            public Optional<JsonNode> clusterRole(String name) {
                Optional<tools.jackson.databind.node.ObjectNode> role = lookup.get(RBAC, "clusterroles", null, name);
                if (role.isEmpty() || !io.kubeha.security.rbac.Aggregation.isAggregated(role.get())) return role.map(n -> n);
                List<tools.jackson.databind.node.ObjectNode> all = lookup.list(RBAC, "clusterroles", null);
                StringBuilder key = new StringBuilder();
                for (var r : all) key.append(r.path("metadata").path("resourceVersion").asString("")).append(',');
                var memo = aggregated;
                if (memo == null || !memo.getKey().contentEquals(key)) {
                    memo = Map.entry(key.toString(), io.kubeha.security.rbac.Aggregation.aggregateAll(List.<JsonNode>copyOf(all)));
                    aggregated = memo;
                }
                List<io.kubeha.security.rbac.PolicyRule> rules = memo.getValue().get(name);
                return Optional.of(rules == null ? role.get() : io.kubeha.security.rbac.Aggregation.withRules(role.get(), rules));
            }

            @Override
            public List<JsonNode> roleBindings(String namespace) {
                return java.util.Collections.unmodifiableList(lookup.list(RBAC, "rolebindings", namespace));
            }

            @Override
            public List<JsonNode> clusterRoleBindings() {
                return java.util.Collections.unmodifiableList(lookup.list(RBAC, "clusterrolebindings", null));
            }
        };
    }
}
