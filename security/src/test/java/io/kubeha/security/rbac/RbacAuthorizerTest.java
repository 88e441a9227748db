package io.kubeha.security.rbac;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.kubeha.security.auth.Attributes;
import io.kubeha.security.auth.AuthorizationResult;
import io.kubeha.security.auth.Decision;
import io.kubeha.security.auth.UserInfo;

class RbacAuthorizerTest {

    private static final UserInfo ALICE = UserInfo.of("alice", "system:authenticated", "devs");
    private static final UserInfo VIEWER = UserInfo.of("system:serviceaccount:default:viewer",
            "system:serviceaccounts", "system:serviceaccounts:default", "system:authenticated");

    private static Attributes pods(UserInfo u, String verb, String ns) {
        return Attributes.resource(u, verb, "", "v1", "pods", "", ns, "");
    }

    private static String clusterRole(String name, String rules) {
        return "{'apiVersion':'rbac.authorization.k8s.io/v1','kind':'ClusterRole','metadata':{'name':'" + name
                + "'},'rules':" + rules + "}";
    }

    private static String role(String ns, String name, String rules) {
        return "{'apiVersion':'rbac.authorization.k8s.io/v1','kind':'Role','metadata':{'name':'" + name
                + "','namespace':'" + ns + "'},'rules':" + rules + "}";
    }

    private static String clusterBinding(String name, String roleKind, String role, String subjects) {
        return "{'apiVersion':'rbac.authorization.k8s.io/v1','kind':'ClusterRoleBinding','metadata':{'name':'"
                + name + "'},'roleRef':{'apiGroup':'rbac.authorization.k8s.io','kind':'" + roleKind + "','name':'"
                + role + "'},'subjects':" + subjects + "}";
    }

    private static String binding(String ns, String name, String roleKind, String role, String subjects) {
        return "{'apiVersion':'rbac.authorization.k8s.io/v1','kind':'RoleBinding','metadata':{'name':'" + name
                + "','namespace':'" + ns + "'},'roleRef':{'apiGroup':'rbac.authorization.k8s.io','kind':'"
                + roleKind + "','name':'" + role + "'},'subjects':" + subjects + "}";
    }

    private static final String READ_PODS = "[{'verbs':['get','list','watch'],'apiGroups':[''],'resources':['pods']}]";

    @Test
    void userSubjectInClusterRoleBinding() {
        RbacAuthorizer rbac = new RbacAuthorizer(new MemoryRbacObjects().add(
                clusterRole("pod-reader", READ_PODS),
                clusterBinding("alice-reads", "ClusterRole", "pod-reader",
                        "[{'kind':'User','apiGroup':'rbac.authorization.k8s.io','name':'alice'}]")));
        AuthorizationResult r = rbac.authorize(pods(ALICE, "list", "default"));
        assertThat(r.decision()).isEqualTo(Decision.ALLOW);
        assertThat(r.reason()).isEqualTo(
                "RBAC: allowed by ClusterRoleBinding \"alice-reads\" of ClusterRole \"pod-reader\" to User \"alice\"");
        assertThat(rbac.authorize(pods(ALICE, "list", "")).decision()).isEqualTo(Decision.ALLOW);
        assertThat(rbac.authorize(pods(ALICE, "delete", "default")))
                .isEqualTo(AuthorizationResult.noOpinion(""));
        assertThat(rbac.authorize(pods(UserInfo.of("bob"), "list", "default")).decision())
                .isEqualTo(Decision.NO_OPINION);
    }

    @Test
    void groupSubject() {
        RbacAuthorizer rbac = new RbacAuthorizer(new MemoryRbacObjects().add(
                clusterRole("pod-reader", READ_PODS),
                clusterBinding("devs-read", "ClusterRole", "pod-reader",
                        "[{'kind':'User','name':'nobody'},{'kind':'Group','apiGroup':'rbac.authorization.k8s.io','name':'devs'}]")));
        AuthorizationResult r = rbac.authorize(pods(ALICE, "get", "x"));
        assertThat(r.reason()).isEqualTo(
                "RBAC: allowed by ClusterRoleBinding \"devs-read\" of ClusterRole \"pod-reader\" to Group \"devs\"");
        assertThat(rbac.authorize(pods(UserInfo.of("devs"), "get", "x")).decision()).isEqualTo(Decision.NO_OPINION);
    }

    @Test
    void serviceAccountSubjectWithAndWithoutNamespace() {
        RbacAuthorizer rbac = new RbacAuthorizer(new MemoryRbacObjects().add(
                role("default", "pod-reader", READ_PODS),
                binding("default", "viewer-reads", "Role", "pod-reader",
                        "[{'kind':'ServiceAccount','name':'viewer'}]"),
                clusterRole("cm-reader", "[{'verbs':['get'],'apiGroups':[''],'resources':['configmaps']}]"),
                clusterBinding("viewer-cm", "ClusterRole", "cm-reader",
                        "[{'kind':'ServiceAccount','name':'viewer','namespace':'default'}]"),
                // a ClusterRoleBinding's ServiceAccount subject without a namespace matches nobody
                clusterBinding("broken", "ClusterRole", "cluster-admin", "[{'kind':'ServiceAccount','name':'viewer'}]"),
                clusterRole("cluster-admin", "[{'verbs':['*'],'apiGroups':['*'],'resources':['*']}]")));
        AuthorizationResult r = rbac.authorize(pods(VIEWER, "list", "default"));
        assertThat(r.reason()).isEqualTo("RBAC: allowed by RoleBinding \"viewer-reads/default\" of Role "
                + "\"pod-reader\" to ServiceAccount \"viewer/default\"");
        assertThat(rbac.authorize(pods(VIEWER, "list", "other")).decision()).isEqualTo(Decision.NO_OPINION);
        assertThat(rbac.authorize(pods(VIEWER, "delete", "default")).decision()).isEqualTo(Decision.NO_OPINION);
        AuthorizationResult cm = rbac.authorize(
                Attributes.resource(VIEWER, "get", "", "v1", "configmaps", "", "kube-system", "c"));
        assertThat(cm.reason()).isEqualTo("RBAC: allowed by ClusterRoleBinding \"viewer-cm\" of ClusterRole "
                + "\"cm-reader\" to ServiceAccount \"viewer/default\"");
        UserInfo other = UserInfo.of("system:serviceaccount:other:viewer");
        assertThat(rbac.authorize(pods(other, "list", "default")).decision()).isEqualTo(Decision.NO_OPINION);
    }

    @Test
    void roleBindingToClusterRoleAppliesInItsNamespaceOnly() {
        RbacAuthorizer rbac = new RbacAuthorizer(new MemoryRbacObjects().add(
                clusterRole("pod-reader", READ_PODS),
                binding("team-a", "alice-reads", "ClusterRole", "pod-reader", "[{'kind':'User','name':'alice'}]")));
        assertThat(rbac.authorize(pods(ALICE, "list", "team-a")).reason()).isEqualTo(
                "RBAC: allowed by RoleBinding \"alice-reads/team-a\" of ClusterRole \"pod-reader\" to User \"alice\"");
        assertThat(rbac.authorize(pods(ALICE, "list", "team-b")).decision()).isEqualTo(Decision.NO_OPINION);
        assertThat(rbac.authorize(pods(ALICE, "list", "")).decision()).isEqualTo(Decision.NO_OPINION);
    }

    @Test
    void nonResourceRequestsUseClusterRoleBindingsOnly() {
        RbacAuthorizer rbac = new RbacAuthorizer(new MemoryRbacObjects().add(
                clusterRole("health", "[{'verbs':['get'],'nonResourceURLs':['/healthz','/healthz/*']}]"),
                clusterBinding("health", "ClusterRole", "health", "[{'kind':'Group','name':'system:unauthenticated'}]")));
        assertThat(rbac.authorize(Attributes.nonResource(UserInfo.ANONYMOUS, "get", "/healthz/etcd")).decision())
                .isEqualTo(Decision.ALLOW);
        assertThat(rbac.authorize(Attributes.nonResource(UserInfo.ANONYMOUS, "post", "/healthz")).decision())
                .isEqualTo(Decision.NO_OPINION);
    }

    @Test
    void missingRolesAreCollectedAsErrors() {
        RbacAuthorizer rbac = new RbacAuthorizer(new MemoryRbacObjects().add(
                clusterBinding("gone", "ClusterRole", "gone", "[{'kind':'User','name':'alice'}]"),
                clusterBinding("role-in-crb", "Role", "r", "[{'kind':'User','name':'alice'}]"),
                binding("default", "gone-role", "Role", "missing", "[{'kind':'User','name':'alice'}]"),
                binding("default", "not-mine", "Role", "other", "[{'kind':'User','name':'bob'}]")));
        AuthorizationResult r = rbac.authorize(pods(ALICE, "get", "default"));
        assertThat(r.decision()).isEqualTo(Decision.NO_OPINION);
        assertThat(r.reason()).isEqualTo("RBAC: [clusterrole.rbac.authorization.k8s.io \"gone\" not found, "
                + "role.rbac.authorization.k8s.io \"r\" not found, role.rbac.authorization.k8s.io \"missing\" not found]");

        RbacAuthorizer one = new RbacAuthorizer(new MemoryRbacObjects().add(
                clusterBinding("gone", "ClusterRole", "gone", "[{'kind':'User','name':'alice'}]")));
        assertThat(one.authorize(pods(ALICE, "get", "")).reason())
                .isEqualTo("RBAC: clusterrole.rbac.authorization.k8s.io \"gone\" not found");
        RulesResult rules = one.rulesFor(ALICE, "default");
        assertThat(rules.rules()).isEmpty();
        assertThat(rules.incomplete()).isTrue();
        assertThat(rules.errors()).containsExactly("clusterrole.rbac.authorization.k8s.io \"gone\" not found");
    }

    @Test
    void errorsDoNotHideALaterAllow() {
        RbacAuthorizer rbac = new RbacAuthorizer(new MemoryRbacObjects().add(
                clusterBinding("a-gone", "ClusterRole", "gone", "[{'kind':'User','name':'alice'}]"),
                clusterRole("pod-reader", READ_PODS),
                clusterBinding("b-reads", "ClusterRole", "pod-reader", "[{'kind':'User','name':'alice'}]")));
        assertThat(rbac.authorize(pods(ALICE, "get", "default")).decision()).isEqualTo(Decision.ALLOW);
    }

    @Test
    void unsupportedRoleRefKindAndFailingLookups() {
        RbacObjects failing = new MemoryRbacObjects().add(
                clusterBinding("weird", "Thing", "x", "[{'kind':'User','name':'alice'}]"));
        assertThat(new RbacAuthorizer(failing).authorize(pods(ALICE, "get", "")).reason())
                .isEqualTo("RBAC: unsupported role reference kind: \"Thing\"");
        RbacObjects broken = new MemoryRbacObjects() {
            @Override
            public List<tools.jackson.databind.JsonNode> clusterRoleBindings() {
                throw new IllegalStateException("cache not synced");
            }
        };
        AuthorizationResult r = new RbacAuthorizer(broken).authorize(pods(ALICE, "get", ""));
        assertThat(r).isEqualTo(AuthorizationResult.noOpinion("RBAC: cache not synced"));
    }

    @Test
    void rulesForListsClusterAndNamespaceRules() {
        RbacAuthorizer rbac = new RbacAuthorizer(new MemoryRbacObjects().add(
                clusterRole("pod-reader", READ_PODS),
                clusterBinding("alice-reads", "ClusterRole", "pod-reader", "[{'kind':'User','name':'alice'}]"),
                role("team-a", "cm", "[{'verbs':['get'],'apiGroups':[''],'resources':['configmaps']}]"),
                binding("team-a", "cm", "Role", "cm", "[{'kind':'Group','name':'devs'}]")));
        PolicyRule readPods = PolicyRule.resourceRule(List.of("get", "list", "watch"), List.of(""), List.of("pods"));
        PolicyRule getCm = PolicyRule.resourceRule(List.of("get"), List.of(""), List.of("configmaps"));
        assertThat(rbac.rulesFor(ALICE, "team-a")).isEqualTo(new RulesResult(List.of(readPods, getCm), List.of()));
        assertThat(rbac.rulesFor(ALICE, "team-b").rules()).containsExactly(readPods);
        assertThat(rbac.rulesFor(ALICE, "").rules()).containsExactly(readPods);
        assertThat(rbac.rulesFor(new UserInfo("carol", null, null, Map.of()), "team-a").rules()).isEmpty();
    }
}
