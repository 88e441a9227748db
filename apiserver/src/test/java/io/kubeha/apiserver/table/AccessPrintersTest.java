package io.kubeha.apiserver.table;

import org.junit.jupiter.api.Test;

import static io.kubeha.apiserver.table.TableTestSupport.cells;
import static io.kubeha.apiserver.table.TableTestSupport.json;
import static io.kubeha.apiserver.table.TableTestSupport.minutesAgo;
import static org.assertj.core.api.Assertions.assertThat;

/** The role binding and CSR tables, cell by cell, as kube's printers.go makes them. */
class AccessPrintersTest {
    @Test
    void roleBindingCellsIncludeTheWideSubjects() {
        var rb = json("""
                {"metadata":{"name":"viewers","creationTimestamp":"%s"},"roleRef":{"kind":"ClusterRole","name":"view"},
                 "subjects":[{"kind":"User","name":"alice"},{"kind":"User","name":"bob"},{"kind":"Group","name":"devs"},
                  {"kind":"ServiceAccount","name":"sa","namespace":"ns"},{"kind":"ServiceAccount","name":"local"}]}"""
                .formatted(minutesAgo(5)));
        assertThat(cells("rolebindings.rbac.authorization.k8s.io", rb))
                .containsExactly("viewers", "ClusterRole/view", "5m", "alice, bob", "devs", "ns/sa, /local");
        assertThat(cells("clusterrolebindings.rbac.authorization.k8s.io", json("{\"metadata\":{\"name\":\"x\"},\"roleRef\":{\"kind\":\"ClusterRole\",\"name\":\"y\"}}")))
                .containsExactly("x", "ClusterRole/y", "<unknown>", "", "", "");
    }

    @Test
    void csrConditionAsKubePrintsIt() {
        String base = "{\"metadata\":{\"name\":\"c\",\"creationTimestamp\":\"%s\"},\"spec\":{\"signerName\":\"example.com/s\",\"username\":\"u\"%s},\"status\":%s}";
        assertThat(cells("certificatesigningrequests.certificates.k8s.io", json(base.formatted(minutesAgo(1), ",\"expirationSeconds\":3600", "{}"))))
                .containsExactly("c", "60s", "example.com/s", "u", "60m", "Pending");
        assertThat(cells("certificatesigningrequests.certificates.k8s.io", json(base.formatted(minutesAgo(1), "",
                "{\"conditions\":[{\"type\":\"Approved\",\"status\":\"True\"}],\"certificate\":\"eA==\"}"))))
                .containsExactly("c", "60s", "example.com/s", "u", "<none>", "Approved,Issued");
        assertThat(AccessPrinters.condition(json("{\"status\":{\"conditions\":[{\"type\":\"Approved\"},{\"type\":\"Denied\"},{\"type\":\"Failed\"}]}}")))
                .isEqualTo("Denied,Failed");
        assertThat(cells("certificatesigningrequests.certificates.k8s.io", json("{\"metadata\":{\"name\":\"n\"}}")).get(2)).isEqualTo("<none>");
    }
}
