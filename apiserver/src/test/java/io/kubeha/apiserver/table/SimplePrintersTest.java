package io.kubeha.apiserver.table;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.ObjectNode;

import java.time.Duration;

import static io.kubeha.apiserver.table.TableTestSupport.ago;
import static io.kubeha.apiserver.table.TableTestSupport.cells;
import static io.kubeha.apiserver.table.TableTestSupport.json;
import static io.kubeha.apiserver.table.TableTestSupport.minutesAgo;
import static io.kubeha.apiserver.table.TableTestSupport.tree;
import static org.assertj.core.api.Assertions.assertThat;

class SimplePrintersTest {

    @Test
    void namespaces() {
        ObjectNode active = json("""
                {"apiVersion":"v1","kind":"Namespace","metadata":{"name":"kube-system","creationTimestamp":"%s"},
                 "spec":{"finalizers":["kubernetes"]},"status":{"phase":"Active"}}""".formatted(ago(Duration.ofDays(45))));
        ObjectNode terminating = json("""
                {"metadata":{"name":"old","creationTimestamp":"%s","deletionTimestamp":"%s"},
                 "status":{"phase":"Terminating"}}""".formatted(minutesAgo(2), minutesAgo(1)));

        assertThat(TableTestSupport.columns("namespaces")).containsExactly("Name", "Status", "Age");
        assertThat(cells("namespaces", active)).containsExactly("kube-system", "Active", "45d");
        assertThat(cells("namespaces", terminating)).containsExactly("old", "Terminating", "2m");
    }

    @Test
    void configMapsCountDataAndBinaryData() {
        ObjectNode cm = tree(new ConfigMapBuilder()
                .withNewMetadata().withName("logapi-config").withCreationTimestamp(minutesAgo(8)).endMetadata()
                .addToData("LOG_LEVEL", "info").addToData("PORT", "8080")
                .addToBinaryData("cert.der", "AAEC")
                .build());
        ObjectNode empty = json("""
                {"metadata":{"name":"kube-root-ca.crt"}}""");

        assertThat(TableTestSupport.columns("configmaps")).containsExactly("Name", "Data", "Age");
        assertThat(cells("configmaps", cm)).containsExactly("logapi-config", 3L, "8m");
        assertThat(cells("configmaps", empty)).containsExactly("kube-root-ca.crt", 0L, "<unknown>");
    }

    @Test
    void secrets() {
        ObjectNode tls = json("""
                {"apiVersion":"v1","kind":"Secret","metadata":{"name":"logapi-tls","creationTimestamp":"%s"},
                 "type":"kubernetes.io/tls","data":{"tls.crt":"Zm9v","tls.key":"YmFy"}}""".formatted(minutesAgo(8)));
        ObjectNode opaque = json("""
                {"metadata":{"name":"empty","creationTimestamp":"%s"},"type":"Opaque"}""".formatted(minutesAgo(8)));

        assertThat(TableTestSupport.columns("secrets")).containsExactly("Name", "Type", "Data", "Age");
        assertThat(cells("secrets", tls)).containsExactly("logapi-tls", "kubernetes.io/tls", 2L, "8m");
        assertThat(cells("secrets", opaque)).containsExactly("empty", "Opaque", 0L, "8m");
    }

    @Test
    void serviceAccounts() {
        ObjectNode sa = json("""
                {"metadata":{"name":"default","creationTimestamp":"%s"},"secrets":[{"name":"default-token-x"}]}"""
                .formatted(ago(Duration.ofHours(49))));
        ObjectNode bare = json("""
                {"metadata":{"name":"builder","creationTimestamp":"%s"}}""".formatted(ago(Duration.ofHours(49))));

        assertThat(TableTestSupport.columns("serviceaccounts")).containsExactly("Name", "Secrets", "Age");
        assertThat(cells("serviceaccounts", sa)).containsExactly("default", 1L, "2d1h");
        assertThat(cells("serviceaccounts", bare)).containsExactly("builder", 0L, "2d1h");
    }

    @Test
    void leasesShowTheirHolderOrNothing() {
        ObjectNode held = json("""
                {"apiVersion":"coordination.k8s.io/v1","kind":"Lease",
                 "metadata":{"name":"kube-controller-manager","namespace":"kube-system","creationTimestamp":"%s"},
                 "spec":{"holderIdentity":"master2_5f1c","leaseDurationSeconds":15}}""".formatted(minutesAgo(44)));
        ObjectNode free = json("""
                {"metadata":{"name":"kube-scheduler","creationTimestamp":"%s"},"spec":{}}""".formatted(minutesAgo(44)));

        assertThat(TableTestSupport.columns("leases.coordination.k8s.io")).containsExactly("Name", "Holder", "Age");
        assertThat(cells("leases.coordination.k8s.io", held)).containsExactly("kube-controller-manager", "master2_5f1c", "44m");
        assertThat(cells("leases.coordination.k8s.io", free)).containsExactly("kube-scheduler", "", "44m");
    }

    @Test
    void podDisruptionBudgets() {
        ObjectNode min = json("""
                {"metadata":{"name":"logapi","creationTimestamp":"%s"},"spec":{"minAvailable":2},
                 "status":{"disruptionsAllowed":1}}""".formatted(minutesAgo(8)));
        ObjectNode max = json("""
                {"metadata":{"name":"dns","creationTimestamp":"%s"},"spec":{"maxUnavailable":"50%%"}}"""
                .formatted(minutesAgo(8)));

        assertThat(TableTestSupport.columns("poddisruptionbudgets.policy"))
                .containsExactly("Name", "Min Available", "Max Unavailable", "Allowed Disruptions", "Age");
        assertThat(cells("poddisruptionbudgets.policy", min)).containsExactly("logapi", "2", "N/A", 1L, "8m");
        assertThat(cells("poddisruptionbudgets.policy", max)).containsExactly("dns", "N/A", "50%", 0L, "8m");
    }

    @Test
    void resourcesWithoutPrinterGetNameAndCreatedAt() {
        ObjectNode role = json("""
                {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole",
                 "metadata":{"name":"admin","creationTimestamp":"2025-05-01T10:00:00Z"},"rules":[]}""");
        ObjectNode undated = json("""
                {"metadata":{"name":"x"}}""");

        ObjectNode table = Tables.tableOf("clusterroles.rbac.authorization.k8s.io", role, TableOptions.DEFAULT,
                TableTestSupport.NOW);

        assertThat(table.get("columnDefinitions")).isEqualTo(json("""
                {"c":[{"name":"Name","type":"string","format":"name","description":"%s","priority":0},
                      {"name":"Created At","type":"date","format":"","description":"%s","priority":0}]}"""
                .formatted(Descriptions.OBJECT_NAME, Descriptions.CREATION_TIMESTAMP.replace("\n", "\\n")))
                .get("c"));
        assertThat(cells("clusterroles.rbac.authorization.k8s.io", role)).containsExactly("admin", "2025-05-01T10:00:00Z");
        assertThat(cells("limitranges", undated)).containsExactly("x", "0001-01-01T00:00:00Z");
        assertThat(Tables.hasPrinter("clusterroles.rbac.authorization.k8s.io")).isFalse();
        assertThat(Tables.hasPrinter("pods")).isTrue();
    }
}
