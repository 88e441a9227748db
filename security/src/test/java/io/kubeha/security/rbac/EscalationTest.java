package io.kubeha.security.rbac;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.kubeha.security.auth.UserInfo;

class EscalationTest {

    private static PolicyRule rule(List<String> verbs, String group, String... resources) {
        return PolicyRule.resourceRule(verbs, List.of(group), List.of(resources));
    }

    @Test
    void coversWithWildcardsSubresourcesNamesAndUrls() {
        List<PolicyRule> owner = List.of(
                rule(List.of("get", "list"), "", "pods", "*/status"),
                new PolicyRule(List.of("get"), List.of(""), List.of("configmaps"), List.of("a", "b"), List.of()),
                PolicyRule.nonResourceRule(List.of("get"), List.of("/healthz/*")));
        assertThat(Escalation.covers(owner, List.of(rule(List.of("get"), "", "pods")))).isTrue();
        assertThat(Escalation.covers(owner, List.of(rule(List.of("get"), "", "pods/status")))).isTrue();
        assertThat(Escalation.covers(owner, List.of(rule(List.of("get"), "", "pods/log")))).isFalse();
        assertThat(Escalation.covers(owner, List.of(
                new PolicyRule(List.of("get"), List.of(""), List.of("configmaps"), List.of("a"), List.of())))).isTrue();
        // a rule without names asks for all of them
        assertThat(Escalation.covers(owner, List.of(rule(List.of("get"), "", "configmaps")))).isFalse();
        assertThat(Escalation.covers(owner, List.of(PolicyRule.nonResourceRule(List.of("get"), List.of("/healthz/x")))))
                .isTrue();
        assertThat(Escalation.covers(owner, List.of(PolicyRule.nonResourceRule(List.of("get"), List.of("/metrics")))))
                .isFalse();
        assertThat(Escalation.covers(Escalation.FULL_AUTHORITY, owner)).isTrue();
        assertThat(Escalation.covers(List.of(), List.of())).isTrue();
    }

    @Test
    void uncoveredIsBrokenDown() {
        List<PolicyRule> owner = List.of(rule(List.of("get", "list"), "", "pods"));
        assertThat(Escalation.uncovered(owner, List.of(rule(List.of("get", "delete", "patch"), "", "pods", "secrets"))))
                .containsExactly(
                        rule(List.of("delete"), "", "pods"), rule(List.of("patch"), "", "pods"),
                        rule(List.of("get"), "", "secrets"), rule(List.of("delete"), "", "secrets"),
                        rule(List.of("patch"), "", "secrets"));
    }

    @Test
    void messageIsKubes() {
        UserInfo bob = UserInfo.of("bob", "system:authenticated");
        assertThat(Escalation.message("clusterroles", "x", bob, List.of(rule(List.of("delete"), "", "pods"))))
                .isEqualTo("clusterroles.rbac.authorization.k8s.io \"x\" is forbidden: user \"bob\" "
                        + "(groups=[\"system:authenticated\"]) is attempting to grant RBAC permissions not currently "
                        + "held:\n{APIGroups:[\"\"], Resources:[\"pods\"], Verbs:[\"delete\"]}");
        List<PolicyRule> missing = Escalation.uncovered(List.of(),
                List.of(rule(List.of("get", "delete"), "", "secrets", "pods"),
                        PolicyRule.nonResourceRule(List.of("get"), List.of("/metrics"))));
        assertThat(Escalation.message("roles", "r", UserInfo.of("bob", "a", "b"), missing))
                .isEqualTo("roles.rbac.authorization.k8s.io \"r\" is forbidden: user \"bob\" (groups=[\"a\" \"b\"]) "
                        + "is attempting to grant RBAC permissions not currently held:\n"
                        + "{APIGroups:[\"\"], Resources:[\"pods\"], Verbs:[\"get\" \"delete\"]}\n"
                        + "{APIGroups:[\"\"], Resources:[\"secrets\"], Verbs:[\"get\" \"delete\"]}\n"
                        + "{NonResourceURLs:[\"/metrics\"], Verbs:[\"get\"]}");
    }

    @Test
    void checksRoleAndBindingWrites() {
        MemoryRbacObjects objects = new MemoryRbacObjects().add(
                "{'kind':'ClusterRole','metadata':{'name':'pod-reader'},'rules':[{'verbs':['get','list'],'apiGroups':[''],'resources':['pods']}]}",
                "{'kind':'ClusterRole','metadata':{'name':'admin'},'rules':[{'verbs':['*'],'apiGroups':['*'],'resources':['*']}]}",
                "{'kind':'RoleBinding','metadata':{'name':'bob','namespace':'team'},'roleRef':{'apiGroup':'rbac.authorization.k8s.io','kind':'ClusterRole','name':'pod-reader'},'subjects':[{'kind':'User','name':'bob'}]}",
                "{'kind':'ClusterRole','metadata':{'name':'binder'},'rules':[{'verbs':['bind'],'apiGroups':['rbac.authorization.k8s.io'],'resources':['clusterroles'],'resourceNames':['admin']}]}",
                "{'kind':'RoleBinding','metadata':{'name':'carol-binds','namespace':'team'},'roleRef':{'apiGroup':'rbac.authorization.k8s.io','kind':'ClusterRole','name':'binder'},'subjects':[{'kind':'User','name':'carol'}]}");
        RbacAuthorizer rbac = new RbacAuthorizer(objects);
        UserInfo bob = UserInfo.of("bob", "system:authenticated");
        UserInfo carol = UserInfo.of("carol");
        var ok = MemoryRbacObjects.json("{'kind':'Role','metadata':{'name':'r','namespace':'team'},"
                + "'rules':[{'verbs':['get'],'apiGroups':[''],'resources':['pods']}]}");
        var tooMuch = MemoryRbacObjects.json("{'kind':'Role','metadata':{'name':'r','namespace':'team'},"
                + "'rules':[{'verbs':['get','delete'],'apiGroups':[''],'resources':['pods']}]}");
        assertThat(Escalation.checkRole(rbac, rbac, bob, ok, null)).isEmpty();
        assertThat(Escalation.checkRole(rbac, rbac, bob, tooMuch, null)).contains(
                "roles.rbac.authorization.k8s.io \"r\" is forbidden: user \"bob\" (groups=[\"system:authenticated\"]) "
                        + "is attempting to grant RBAC permissions not currently held:\n"
                        + "{APIGroups:[\"\"], Resources:[\"pods\"], Verbs:[\"delete\"]}");
        assertThat(Escalation.checkRole(rbac, rbac, UserInfo.of("root", "system:masters"), tooMuch, null)).isEmpty();

        var bindAdmin = MemoryRbacObjects.json("{'kind':'RoleBinding','metadata':{'name':'x','namespace':'team'},"
                + "'roleRef':{'apiGroup':'rbac.authorization.k8s.io','kind':'ClusterRole','name':'admin'},"
                + "'subjects':[{'kind':'User','name':'dave'}]}");
        var bindReader = MemoryRbacObjects.json("{'kind':'RoleBinding','metadata':{'name':'y','namespace':'team'},"
                + "'roleRef':{'apiGroup':'rbac.authorization.k8s.io','kind':'ClusterRole','name':'pod-reader'},"
                + "'subjects':[{'kind':'User','name':'dave'}]}");
        assertThat(Escalation.checkBinding(rbac, rbac, bob, bindReader)).isEmpty();
        assertThat(Escalation.checkBinding(rbac, rbac, bob, bindAdmin).orElseThrow())
                .startsWith("rolebindings.rbac.authorization.k8s.io \"x\" is forbidden: user \"bob\"");
        // carol holds "bind" on clusterroles/admin in team
        assertThat(Escalation.checkBinding(rbac, rbac, carol, bindAdmin)).isEmpty();
        // but not on pod-reader, whose rules she does not hold
        assertThat(Escalation.checkBinding(rbac, rbac, carol, bindReader)).isPresent();
        var bindMissing = MemoryRbacObjects.json("{'kind':'ClusterRoleBinding','metadata':{'name':'z'},"
                + "'roleRef':{'apiGroup':'rbac.authorization.k8s.io','kind':'ClusterRole','name':'nope'}}");
        assertThat(Escalation.checkBinding(rbac, rbac, bob, bindMissing))
                .contains("clusterrole.rbac.authorization.k8s.io \"nope\" not found");
    }
}
