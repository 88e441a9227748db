package io.kubeha.controllers.rbac;

import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.kubeha.controllers.ControllerContext;
import io.kubeha.controllers.InformerController;
import io.kubeha.security.rbac.Aggregation;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * kube's clusterrole-aggregation controller: a ClusterRole with an aggregationRule gets, as its rules, the union of
 * the rules of every ClusterRole its selectors match (admin, edit and view are built this way from the
 * aggregate-to-* roles), rewritten whenever any ClusterRole changes. The API server also reads aggregated roles
 * with their aggregated rules, so authorization never waits for this controller; this keeps the objects as kube
 * shows them.
 */
public final class ClusterRoleAggregationController extends InformerController {
    public static final String NAME = "clusterrole-aggregation";
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private SharedIndexInformer<ClusterRole> roles;

    public ClusterRoleAggregationController(ControllerContext ctx) {
        super(ctx);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    protected void setUp() {
        // any change may alter what an aggregating role gathers: every aggregating role is looked at again
        roles = inform(ctx.client().rbac().clusterRoles(), enqueueing((ClusterRole r) -> roles == null ? List.of()
                : roles.getStore().list().stream().filter(x -> x.getAggregationRule() != null).map(x -> x.getMetadata().getName()).toList()));
    }

    @Override
    public Duration reconcile(String name) {
        ClusterRole role = roles.getStore().getByKey(name);
        if (role == null || role.getAggregationRule() == null) return null;
        List<JsonNode> all = new ArrayList<>();
        for (ClusterRole r : roles.getStore().list()) all.add(JSON.valueToTree(r));
        Map<String, List<io.kubeha.security.rbac.PolicyRule>> aggregated = Aggregation.aggregateAll(all);
        List<io.kubeha.security.rbac.PolicyRule> wanted = aggregated.getOrDefault(name, List.of());
        List<PolicyRule> rules = new ArrayList<>();
        for (var r : wanted) rules.add(JSON.treeToValue(r.toJson(), PolicyRule.class));
        List<PolicyRule> have = role.getRules() == null ? List.of() : role.getRules();
        if (JSON.valueToTree(have).equals(JSON.valueToTree(rules))) return null;
        ctx.checkActing();
        ClusterRole next = JSON.treeToValue(JSON.valueToTree(role), ClusterRole.class);
        next.setRules(rules);
        try {
            ctx.client().rbac().clusterRoles().resource(next).update();
        } catch (KubernetesClientException e) {
            if (e.getCode() == 409) return Duration.ofMillis(200);
            throw e;
        }
        return null;
    }
}
