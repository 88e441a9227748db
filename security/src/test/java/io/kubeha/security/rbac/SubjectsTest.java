package io.kubeha.security.rbac;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SubjectsTest {

    @Test
    void apiGroupRules() {
        assertThat(Subjects.validate(MemoryRbacObjects.json("{'kind':'ClusterRoleBinding','subjects':["
                + "{'kind':'User','apiGroup':'rbac.authorization.k8s.io','name':'a'},"
                + "{'kind':'Group','name':'g'},"
                + "{'kind':'ServiceAccount','name':'sa','namespace':'ns'}]}"))).isEmpty();
        assertThat(Subjects.validate(MemoryRbacObjects.json("{'kind':'ClusterRoleBinding','subjects':["
                + "{'kind':'User','apiGroup':'v1','name':'a'},"
                + "{'kind':'ServiceAccount','apiGroup':'rbac.authorization.k8s.io','name':'sa'},"
                + "{'kind':'Robot','name':'r'},{'kind':'Group'}]}")))
                .containsExactly(
                        "subjects[0].apiGroup: Unsupported value: \"v1\": supported values: \"rbac.authorization.k8s.io\"",
                        "subjects[1].apiGroup: Unsupported value: \"rbac.authorization.k8s.io\": supported values: \"\"",
                        "subjects[1].namespace: Required value",
                        "subjects[2].kind: Unsupported value: \"Robot\": supported values: \"ServiceAccount\", \"User\", \"Group\"",
                        "subjects[3].name: Required value");
        // a RoleBinding's ServiceAccount defaults to the binding's namespace
        assertThat(Subjects.validate(MemoryRbacObjects.json(
                "{'kind':'RoleBinding','subjects':[{'kind':'ServiceAccount','name':'sa'}]}"))).isEmpty();
        assertThat(BootstrapPolicy.clusterRoleBindings()).allSatisfy(b -> assertThat(Subjects.validate(b)).isEmpty());
        assertThat(BootstrapPolicy.namespacedRoleBindings()).allSatisfy(b -> assertThat(Subjects.validate(b)).isEmpty());
    }
}
