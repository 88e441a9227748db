package io.kubeha.security.auth;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ForbiddenMessagesTest {

    private static final UserInfo VIEWER = UserInfo.of("system:serviceaccount:default:viewer");

    @Test
    void namespacedResource() {
        assertThat(ForbiddenMessages.of(
                Attributes.resource(VIEWER, "delete", "", "v1", "pods", "", "default", ""), ""))
                .isEqualTo("pods is forbidden: User \"system:serviceaccount:default:viewer\" cannot delete resource "
                        + "\"pods\" in API group \"\" in the namespace \"default\"");
    }

    @Test
    void clusterScope() {
        assertThat(ForbiddenMessages.of(Attributes.resource(VIEWER, "list", "", "v1", "nodes", "", "", ""), null))
                .isEqualTo("nodes is forbidden: User \"system:serviceaccount:default:viewer\" cannot list resource "
                        + "\"nodes\" in API group \"\" at the cluster scope");
    }

    @Test
    void namedSubresourceInAGroup() {
        assertThat(ForbiddenMessages.of(Attributes.resource(VIEWER, "get", "", "v1", "pods", "log", "default", "x"),
                ""))
                .isEqualTo("pods \"x\" is forbidden: User \"system:serviceaccount:default:viewer\" cannot get resource "
                        + "\"pods/log\" in API group \"\" in the namespace \"default\"");
        assertThat(ForbiddenMessages.of(
                Attributes.resource(VIEWER, "update", "apps", "v1", "deployments", "scale", "default", "web"), ""))
                .isEqualTo("deployments.apps \"web\" is forbidden: User \"system:serviceaccount:default:viewer\" "
                        + "cannot update resource \"deployments/scale\" in API group \"apps\" in the namespace "
                        + "\"default\"");
    }

    @Test
    void nonResource() {
        assertThat(ForbiddenMessages.of(Attributes.nonResource(UserInfo.ANONYMOUS, "get", "/api"), ""))
                .isEqualTo("forbidden: User \"system:anonymous\" cannot get path \"/api\"");
    }

    @Test
    void reasonIsAppended() {
        assertThat(ForbiddenMessages.of(Attributes.resource(VIEWER, "list", "", "v1", "pods", "", "default", ""),
                "RBAC: clusterrole.rbac.authorization.k8s.io \"x\" not found"))
                .isEqualTo("pods is forbidden: User \"system:serviceaccount:default:viewer\" cannot list resource "
                        + "\"pods\" in API group \"\" in the namespace \"default\": "
                        + "RBAC: clusterrole.rbac.authorization.k8s.io \"x\" not found");
    }

    @Test
    void escapesHtmlAndQuotesLikeGo() {
        assertThat(ForbiddenMessages.of(Attributes.nonResource(UserInfo.of("a\"<b>"), "get", "/x&y"), ""))
                .isEqualTo("forbidden: User \"a\\\"&lt;b&gt;\" cannot get path \"/x&amp;y\"");
    }
}
