package io.kubeha.apiserver.table;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.ObjectNode;

import java.time.Duration;

import static io.kubeha.apiserver.table.TableTestSupport.cells;
import static io.kubeha.apiserver.table.TableTestSupport.json;
import static org.assertj.core.api.Assertions.assertThat;

class NodePrinterTest {

    /** A node as the kubeha agent registers it on the seed's cluster, 45 days old. */
    private static ObjectNode node(String name, String labels, String readyStatus, boolean unschedulable) {
        String conditions = readyStatus == null ? "[]" : """
                [{"type":"MemoryPressure","status":"False"},{"type":"Ready","status":"%s"}]""".formatted(readyStatus);
        return json("""
                {"apiVersion":"v1","kind":"Node",
                 "metadata":{"name":"%s","creationTimestamp":"%s","labels":%s},
                 "spec":{"unschedulable":%s},
                 "status":{"conditions":%s,
                   "addresses":[{"type":"Hostname","address":"%s"},{"type":"InternalIP","address":"10.10.102.91"}],
                   "nodeInfo":{"kubeletVersion":"v1.33.0-kubeha","osImage":"Debian GNU/Linux 12 (bookworm)",
                     "kernelVersion":"6.1.0-18-amd64","containerRuntimeVersion":"kubeha-process://0.1.0"}}}
                """.formatted(name, TableTestSupport.ago(Duration.ofDays(45)), labels, unschedulable, conditions, name));
    }

    @Test
    void columnsAreKubeApiserversWithTheWideOnesLast() {
        assertThat(TableTestSupport.columns("nodes")).containsExactly("Name", "Status", "Roles", "Age", "Version",
                "Internal-IP*", "External-IP*", "OS-Image*", "Kernel-Version*", "Container-Runtime*");
    }

    @Test
    void seedMasterAndNodeRolesComeFromTheKubeadmAlphaLabel() {
        ObjectNode master = node("master1", """
                {"kubernetes.io/hostname":"master1","kubeadm.alpha.kubernetes.io/role":"master"}""", "True", false);
        ObjectNode worker = node("node1", """
                {"kubernetes.io/hostname":"node1","kubeadm.alpha.kubernetes.io/role":"node"}""", "True", false);

        assertThat(cells("nodes", master)).containsExactly("master1", "Ready", "master", "45d", "v1.33.0-kubeha",
                "10.10.102.91", "<none>", "Debian GNU/Linux 12 (bookworm)", "6.1.0-18-amd64",
                "kubeha-process://0.1.0");
        assertThat(cells("nodes", worker).subList(0, 5)).containsExactly("node1", "Ready", "node", "45d", "v1.33.0-kubeha");
    }

    @Test
    void rolesFromAllLabelsAreSortedAndUnique() {
        ObjectNode n = node("master2", """
                {"node-role.kubernetes.io/control-plane":"","node-role.kubernetes.io/master":"",
                 "kubeadm.alpha.kubernetes.io/role":"master","kubernetes.io/role":"etcd"}""", "True", false);

        assertThat(cells("nodes", n).get(2)).isEqualTo("control-plane,etcd,master");
    }

    @Test
    void emptyRoleValuesAndBarePrefixAreIgnored() {
        ObjectNode n = node("node2", """
                {"node-role.kubernetes.io/":"x","kubernetes.io/role":"","kubeadm.alpha.kubernetes.io/role":""}""",
                "True", false);

        assertThat(cells("nodes", n).get(2)).isEqualTo("<none>");
    }

    @Test
    void statusFollowsTheReadyConditionAndCordoning() {
        assertThat(cells("nodes", node("a", "{}", "True", false)).get(1)).isEqualTo("Ready");
        assertThat(cells("nodes", node("a", "{}", "True", true)).get(1)).isEqualTo("Ready,SchedulingDisabled");
        assertThat(cells("nodes", node("a", "{}", "False", false)).get(1)).isEqualTo("NotReady");
        // the node controller sets Unknown when the kubelet stops posting status: still "NotReady"
        assertThat(cells("nodes", node("a", "{}", "Unknown", false)).get(1)).isEqualTo("NotReady");
        assertThat(cells("nodes", node("a", "{}", "Unknown", true)).get(1)).isEqualTo("NotReady,SchedulingDisabled");
        // no Ready condition at all (a node that never reported)
        assertThat(cells("nodes", node("a", "{}", null, false)).get(1)).isEqualTo("Unknown");
        assertThat(cells("nodes", node("a", "{}", null, true)).get(1)).isEqualTo("Unknown,SchedulingDisabled");
    }

    @Test
    void bareNodeShowsPlaceholders() {
        ObjectNode n = json("""
                {"metadata":{"name":"bare","creationTimestamp":"%s"}}""".formatted(TableTestSupport.minutesAgo(3)));

        assertThat(cells("nodes", n)).containsExactly("bare", "Unknown", "<none>", "3m", "",
                "<none>", "<none>", "<unknown>", "<unknown>", "<unknown>");
    }

    @Test
    void externalIPIsTheFirstOfItsType() {
        ObjectNode n = json("""
                {"metadata":{"name":"n"},"status":{"addresses":[
                  {"type":"ExternalIP","address":"203.0.113.7"},{"type":"ExternalIP","address":"203.0.113.8"},
                  {"type":"InternalIP","address":"127.10.103.96"}]}}""");

        assertThat(cells("nodes", n).subList(5, 7)).containsExactly("127.10.103.96", "203.0.113.7");
    }
}
