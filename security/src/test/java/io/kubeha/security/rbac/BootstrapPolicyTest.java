package io.kubeha.security.rbac;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.kubeha.security.auth.Attributes;
import io.kubeha.security.auth.Decision;
import io.kubeha.security.auth.ForbiddenMessages;
import io.kubeha.security.auth.UserInfo;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

class BootstrapPolicyTest {

    private static final UserInfo BOB = UserInfo.of("bob", "system:authenticated");
    private static final UserInfo VIEWER = UserInfo.of("system:serviceaccount:default:viewer",
            "system:serviceaccounts", "system:serviceaccounts:default", "system:authenticated");
    private static MemoryRbacObjects objects;
    private static RbacAuthorizer rbac;

    /** The bootstrap policy in a store, aggregated roles filled in as the aggregation controller does. */
    @BeforeAll
    static void store() {
        objects = new MemoryRbacObjects();
        List<JsonNode> roles = new ArrayList<>(BootstrapPolicy.clusterRoles());
        Map<String, List<PolicyRule>> aggregated = Aggregation.aggregateAll(roles);
        for (JsonNode r : roles) {
            objects.add(aggregated.containsKey(Json.name(r)) ? Aggregation.withRules(r, aggregated.get(Json.name(r))) : r);
        }
        objects.addAll(BootstrapPolicy.clusterRoleBindings());
        objects.addAll(BootstrapPolicy.namespacedRoles());
        objects.addAll(BootstrapPolicy.namespacedRoleBindings());
        objects.add("{'kind':'RoleBinding','metadata':{'name':'viewer','namespace':'default'},"
                + "'roleRef':{'apiGroup':'rbac.authorization.k8s.io','kind':'ClusterRole','name':'view'},"
                + "'subjects':[{'kind':'ServiceAccount','name':'viewer','namespace':'default'}]}");
        rbac = new RbacAuthorizer(objects);
    }

    private static Decision res(UserInfo u, String verb, String group, String resource, String sub, String ns) {
        return rbac.authorize(Attributes.resource(u, verb, group, "v1", resource, sub, ns, "")).decision();
    }

    private static Decision path(UserInfo u, String verb, String path) {
        return rbac.authorize(Attributes.nonResource(u, verb, path)).decision();
    }

    @Test
    void objectsAreLabelledAndWellFormed() {
        List<ObjectNode> all = new ArrayList<>();
        all.addAll(BootstrapPolicy.clusterRoles());
        all.addAll(BootstrapPolicy.clusterRoleBindings());
        all.addAll(BootstrapPolicy.namespacedRoles());
        all.addAll(BootstrapPolicy.namespacedRoleBindings());
        assertThat(all).allSatisfy(o -> {
            assertThat(Json.text(o, "apiVersion")).isEqualTo("rbac.authorization.k8s.io/v1");
            assertThat(Json.labels(o)).containsEntry("kubernetes.io/bootstrapping", "rbac-defaults");
            assertThat(Json.annotations(o)).containsEntry("rbac.authorization.kubernetes.io/autoupdate", "true");
            assertThat(Json.name(o)).isNotEmpty();
        });
        assertThat(BootstrapPolicy.namespacedRoles()).allSatisfy(o -> assertThat(Json.namespace(o)).isNotEmpty());
        assertThat(BootstrapPolicy.namespacedRoleBindings()).allSatisfy(o -> assertThat(Json.namespace(o))
                .isIn("kube-system", "kube-public"));
        // every binding's role exists
        for (ObjectNode b : BootstrapPolicy.clusterRoleBindings()) {
            assertThat(rbac.roleRules(b.get("roleRef"), "")).as(Json.name(b)).isPresent();
        }
        for (ObjectNode b : BootstrapPolicy.namespacedRoleBindings()) {
            assertThat(rbac.roleRules(b.get("roleRef"), Json.namespace(b))).as(Json.name(b)).isPresent();
        }
        assertThat(BootstrapPolicy.clusterRoles()).extracting(Json::name).contains("cluster-admin", "admin", "edit",
                "view", "system:aggregate-to-admin", "system:aggregate-to-edit", "system:aggregate-to-view",
                "system:discovery", "system:basic-user", "system:public-info-viewer", "system:node",
                "system:node-bootstrapper", "system:certificates.k8s.io:certificatesigningrequests:nodeclient",
                "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient",
                "system:kube-controller-manager", "system:kube-scheduler", "system:kube-dns", "system:auth-delegator",
                "kubeha:logapi");
        // copies: changing one does not change the next
        BootstrapPolicy.clusterRoles().getFirst().put("kind", "Changed");
        assertThat(Json.text(BootstrapPolicy.clusterRoles().getFirst(), "kind")).isEqualTo("ClusterRole");
    }

    @Test
    void mastersMayDoAnything() {
        UserInfo root = UserInfo.of("root", "system:masters", "system:authenticated");
        assertThat(res(root, "delete", "apps", "deployments", "", "default")).isEqualTo(Decision.ALLOW);
        assertThat(res(root, "escalate", "rbac.authorization.k8s.io", "clusterroles", "", "")).isEqualTo(Decision.ALLOW);
        assertThat(path(root, "post", "/anything")).isEqualTo(Decision.ALLOW);
        assertThat(rbac.authorize(Attributes.resource(root, "get", "", "v1", "secrets", "", "x", "s")).reason())
                .isEqualTo("RBAC: allowed by ClusterRoleBinding \"cluster-admin\" of ClusterRole \"cluster-admin\" "
                        + "to Group \"system:masters\"");
    }

    @Test
    void authenticatedUsersDiscoverAndAskAboutThemselves() {
        assertThat(path(BOB, "get", "/version")).isEqualTo(Decision.ALLOW);
        assertThat(path(BOB, "get", "/apis/apps/v1")).isEqualTo(Decision.ALLOW);
        assertThat(res(BOB, "create", "authorization.k8s.io", "selfsubjectaccessreviews", "", ""))
                .isEqualTo(Decision.ALLOW);
        assertThat(res(BOB, "create", "authorization.k8s.io", "selfsubjectrulesreviews", "", ""))
                .isEqualTo(Decision.ALLOW);
        assertThat(res(BOB, "create", "authentication.k8s.io", "selfsubjectreviews", "", "")).isEqualTo(Decision.ALLOW);
        assertThat(res(BOB, "list", "", "pods", "", "default")).isEqualTo(Decision.NO_OPINION);
    }

    @Test
    void anonymousSeesHealthOnly() {
        assertThat(path(UserInfo.ANONYMOUS, "get", "/healthz")).isEqualTo(Decision.ALLOW);
        assertThat(path(UserInfo.ANONYMOUS, "get", "/version")).isEqualTo(Decision.ALLOW);
        assertThat(path(UserInfo.ANONYMOUS, "get", "/api")).isEqualTo(Decision.NO_OPINION);
        assertThat(res(UserInfo.ANONYMOUS, "list", "", "pods", "", "default")).isEqualTo(Decision.NO_OPINION);
        assertThat(res(UserInfo.ANONYMOUS, "create", "authorization.k8s.io", "selfsubjectaccessreviews", "", ""))
                .isEqualTo(Decision.NO_OPINION);
    }

    @Test
    void viewerReadsButDoesNotWriteNorReadSecrets() {
        assertThat(res(VIEWER, "list", "", "pods", "", "default")).isEqualTo(Decision.ALLOW);
        assertThat(res(VIEWER, "get", "", "pods", "log", "default")).isEqualTo(Decision.ALLOW);
        assertThat(res(VIEWER, "watch", "apps", "deployments", "", "default")).isEqualTo(Decision.ALLOW);
        assertThat(res(VIEWER, "list", "", "pods", "", "other")).isEqualTo(Decision.NO_OPINION);
        assertThat(res(VIEWER, "delete", "", "pods", "", "default")).isEqualTo(Decision.NO_OPINION);
        assertThat(res(VIEWER, "get", "", "secrets", "", "default")).isEqualTo(Decision.NO_OPINION);
        assertThat(res(VIEWER, "create", "", "pods", "exec", "default")).isEqualTo(Decision.NO_OPINION);
        Attributes delete = Attributes.resource(VIEWER, "delete", "", "v1", "pods", "", "default", "");
        assertThat(ForbiddenMessages.of(delete, rbac.authorize(delete).reason()))
                .isEqualTo("pods is forbidden: User \"system:serviceaccount:default:viewer\" cannot delete resource "
                        + "\"pods\" in API group \"\" in the namespace \"default\"");
    }

    @Test
    void editAndAdminAggregateViewAndMore() {
        List<PolicyRule> edit = PolicyRule.rulesOf(objects.clusterRole("edit").orElseThrow());
        List<PolicyRule> admin = PolicyRule.rulesOf(objects.clusterRole("admin").orElseThrow());
        List<PolicyRule> view = PolicyRule.rulesOf(objects.clusterRole("view").orElseThrow());
        assertThat(Escalation.covers(edit, view)).isTrue();
        assertThat(Escalation.covers(admin, edit)).isTrue();
        assertThat(Escalation.covers(view, edit)).isFalse();
        UserInfo u = UserInfo.of("u");
        Attributes execPod = Attributes.resource(u, "create", "", "v1", "pods", "exec", "ns", "p");
        Attributes readSecret = Attributes.resource(u, "get", "", "v1", "secrets", "", "ns", "s");
        Attributes token = Attributes.resource(u, "create", "", "v1", "serviceaccounts", "token", "ns", "sa");
        Attributes bindRole = Attributes.resource(u, "create", "rbac.authorization.k8s.io", "v1", "rolebindings", "",
                "ns", "");
        assertThat(edit.stream().anyMatch(r -> r.allows(execPod))).isTrue();
        assertThat(edit.stream().anyMatch(r -> r.allows(readSecret))).isTrue();
        assertThat(edit.stream().anyMatch(r -> r.allows(token))).isTrue();
        assertThat(edit.stream().anyMatch(r -> r.allows(bindRole))).isFalse();
        assertThat(admin.stream().anyMatch(r -> r.allows(bindRole))).isTrue();
    }

    @Test
    void systemComponents() {
        UserInfo node = UserInfo.of("system:node:n1", "system:nodes", "system:authenticated");
        assertThat(res(node, "update", "", "nodes", "status", "")).isEqualTo(Decision.ALLOW);
        assertThat(res(node, "patch", "", "pods", "status", "default")).isEqualTo(Decision.ALLOW);
        assertThat(res(node, "update", "coordination.k8s.io", "leases", "", "kube-node-lease")).isEqualTo(Decision.ALLOW);
        assertThat(res(node, "create", "", "serviceaccounts", "token", "default")).isEqualTo(Decision.ALLOW);
        assertThat(res(node, "create", "certificates.k8s.io", "certificatesigningrequests", "selfnodeclient", ""))
                .isEqualTo(Decision.ALLOW);
        assertThat(res(node, "delete", "", "nodes", "", "")).isEqualTo(Decision.NO_OPINION);
        assertThat(res(node, "update", "", "secrets", "", "default")).isEqualTo(Decision.NO_OPINION);

        UserInfo bootstrapper = UserInfo.of("system:bootstrap:abcdef", "system:bootstrappers", "system:authenticated");
        assertThat(res(bootstrapper, "create", "certificates.k8s.io", "certificatesigningrequests", "", ""))
                .isEqualTo(Decision.ALLOW);
        assertThat(res(bootstrapper, "create", "certificates.k8s.io", "certificatesigningrequests", "nodeclient", ""))
                .isEqualTo(Decision.ALLOW);
        assertThat(res(bootstrapper, "list", "", "nodes", "", "")).isEqualTo(Decision.NO_OPINION);

        UserInfo scheduler = UserInfo.of("system:kube-scheduler", "system:authenticated");
        assertThat(res(scheduler, "create", "", "pods", "binding", "default")).isEqualTo(Decision.ALLOW);
        assertThat(res(scheduler, "list", "", "nodes", "", "")).isEqualTo(Decision.ALLOW);
        assertThat(res(scheduler, "delete", "", "nodes", "", "")).isEqualTo(Decision.NO_OPINION);

        UserInfo cm = UserInfo.of("system:kube-controller-manager", "system:authenticated");
        assertThat(res(cm, "create", "apps", "replicasets", "", "default")).isEqualTo(Decision.ALLOW);
        assertThat(res(cm, "update", "", "namespaces", "finalize", "")).isEqualTo(Decision.ALLOW);
        assertThat(rbac.authorize(Attributes.resource(cm, "sign", "certificates.k8s.io", "v1", "signers", "", "",
                "kubernetes.io/kube-apiserver-client-kubelet")).decision()).isEqualTo(Decision.ALLOW);
        assertThat(rbac.authorize(Attributes.resource(cm, "sign", "certificates.k8s.io", "v1", "signers", "", "",
                "example.com/other")).decision()).isEqualTo(Decision.NO_OPINION);
        // kube's clusterrole-aggregation controller writes rules it does not hold: escalate on clusterroles, nothing else
        assertThat(res(cm, "escalate", "rbac.authorization.k8s.io", "clusterroles", "", "")).isEqualTo(Decision.ALLOW);
        assertThat(res(cm, "escalate", "rbac.authorization.k8s.io", "roles", "", "default")).isEqualTo(Decision.NO_OPINION);
        assertThat(res(cm, "bind", "rbac.authorization.k8s.io", "clusterroles", "", "")).isEqualTo(Decision.NO_OPINION);

        UserInfo dns = UserInfo.of("system:serviceaccount:kube-system:kube-dns", "system:authenticated");
        assertThat(res(dns, "watch", "discovery.k8s.io", "endpointslices", "", "")).isEqualTo(Decision.ALLOW);
        assertThat(res(dns, "list", "", "services", "", "")).isEqualTo(Decision.ALLOW);
        assertThat(res(dns, "get", "", "secrets", "", "kube-system")).isEqualTo(Decision.NO_OPINION);
    }

    // ------------------------------------------------------------------------------------------------- reconcile

    private static ObjectNode wanted(String name) {
        return BootstrapPolicy.clusterRoles().stream().filter(r -> Json.name(r).equals(name)).findFirst().orElseThrow();
    }

    @Test
    void reconcileCreatesAndLeavesUpToDateAlone() {
        ObjectNode view = wanted("system:aggregate-to-view");
        assertThat(BootstrapPolicy.reconcileRole(null, view)).contains(view);
        assertThat(BootstrapPolicy.reconcileRole(view.deepCopy(), view)).isEmpty();
    }

    @Test
    void reconcileAddsMissingRulesAndKeepsUserAdditions() {
        ObjectNode want = wanted("system:basic-user");
        ObjectNode existing = want.deepCopy();
        existing.withObjectProperty("metadata").put("resourceVersion", "7");
        existing.withObjectProperty("metadata").withObjectProperty("labels").put("team", "x");
        existing.putArray("rules").add(MemoryRbacObjects.json(
                "{'verbs':['get'],'apiGroups':[''],'resources':['configmaps']}"));
        ObjectNode out = BootstrapPolicy.reconcileRole(existing, want).orElseThrow();
        assertThat(PolicyRule.rulesOf(out)).contains(
                PolicyRule.resourceRule(List.of("get"), List.of(""), List.of("configmaps")),
                PolicyRule.resourceRule(List.of("create"), List.of("authorization.k8s.io"),
                        List.of("selfsubjectaccessreviews")));
        assertThat(Escalation.covers(PolicyRule.rulesOf(out), PolicyRule.rulesOf(want))).isTrue();
        assertThat(Json.labels(out)).containsEntry("team", "x").containsEntry("kubernetes.io/bootstrapping",
                "rbac-defaults");
        assertThat(out.path("metadata").path("resourceVersion").asString()).isEqualTo("7");
        assertThat(BootstrapPolicy.reconcileRole(out, want)).isEmpty();
    }

    @Test
    void reconcileLeavesAutoupdateFalseAlone() {
        ObjectNode want = wanted("system:basic-user");
        ObjectNode existing = want.deepCopy();
        existing.putArray("rules");
        existing.withObjectProperty("metadata").withObjectProperty("annotations")
                .put("rbac.authorization.kubernetes.io/autoupdate", "false");
        assertThat(BootstrapPolicy.reconcileRole(existing, want)).isEmpty();
    }

    @Test
    void reconcileAggregationRule() {
        ObjectNode want = wanted("admin");
        ObjectNode existing = want.deepCopy();
        existing.remove("aggregationRule");
        // aggregated rules filled in by the controller are not removed
        existing.putArray("rules").add(MemoryRbacObjects.json("{'verbs':['get'],'apiGroups':[''],'resources':['pods']}"));
        ObjectNode out = BootstrapPolicy.reconcileRole(existing, want).orElseThrow();
        assertThat(out.get("aggregationRule")).isEqualTo(want.get("aggregationRule"));
        assertThat(PolicyRule.rulesOf(out)).hasSize(1);
        ObjectNode userSelector = out.deepCopy();
        ((tools.jackson.databind.node.ArrayNode) userSelector.path("aggregationRule").get("clusterRoleSelectors"))
                .add(MemoryRbacObjects.json("{'matchLabels':{'mine':'true'}}"));
        assertThat(BootstrapPolicy.reconcileRole(userSelector, want)).isEmpty();
        // a role kube does not aggregate loses an aggregationRule
        ObjectNode basic = wanted("system:basic-user");
        ObjectNode aggregated = basic.deepCopy();
        aggregated.set("aggregationRule", want.get("aggregationRule").deepCopy());
        assertThat(BootstrapPolicy.reconcileRole(aggregated, basic).orElseThrow().has("aggregationRule")).isFalse();
    }

    @Test
    void reconcileBindingAddsSubjects() {
        ObjectNode want = BootstrapPolicy.clusterRoleBindings().stream()
                .filter(b -> Json.name(b).equals("system:public-info-viewer")).findFirst().orElseThrow();
        assertThat(BootstrapPolicy.reconcileBinding(null, want)).contains(want);
        assertThat(BootstrapPolicy.reconcileBinding(want.deepCopy(), want)).isEmpty();
        ObjectNode existing = want.deepCopy();
        existing.putArray("subjects").add(MemoryRbacObjects.json(
                "{'apiGroup':'rbac.authorization.k8s.io','kind':'User','name':'extra'}"));
        ObjectNode out = BootstrapPolicy.reconcileBinding(existing, want).orElseThrow();
        assertThat(Json.array(out, "subjects")).extracting(s -> Json.text(s, "name"))
                .containsExactly("extra", "system:authenticated", "system:unauthenticated");
        ObjectNode protectedOne = existing.deepCopy();
        protectedOne.withObjectProperty("metadata").withObjectProperty("annotations")
                .put("rbac.authorization.kubernetes.io/autoupdate", "false");
        assertThat(BootstrapPolicy.reconcileBinding(protectedOne, want)).isEmpty();
        ObjectNode otherRole = want.deepCopy();
        otherRole.withObjectProperty("roleRef").put("name", "something-else");
        assertThat(BootstrapPolicy.roleRefDiffers(otherRole, want)).isTrue();
        assertThat(BootstrapPolicy.reconcileBinding(otherRole, want)).contains(want);
    }
}
