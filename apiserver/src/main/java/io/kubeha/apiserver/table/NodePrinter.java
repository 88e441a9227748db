package io.kubeha.apiserver.table;

import tools.jackson.databind.JsonNode;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import static io.kubeha.apiserver.table.Fields.list;
import static io.kubeha.apiserver.table.Fields.orElse;
import static io.kubeha.apiserver.table.Fields.str;

/**
 * Nodes: NAME, STATUS ("Ready", "NotReady", "Unknown", then ",SchedulingDisabled" when cordoned), ROLES,
 * AGE, VERSION; wide INTERNAL-IP, EXTERNAL-IP, OS-IMAGE, KERNEL-VERSION, CONTAINER-RUNTIME.
 *
 * <p>ROLES: kube reads {@code node-role.kubernetes.io/<role>} label keys and the value of
 * {@code kubernetes.io/role}. kubeha also reads the value of {@code kubeadm.alpha.kubernetes.io/role}: the
 * seed's cluster (kubeadm, Kubernetes 1.4) labels its masters and nodes that way, and
 * {@code kubectl get nodes} should show those roles. Roles are sorted and unique.
 */
final class NodePrinter {
    static final String ROLE_PREFIX = "node-role.kubernetes.io/";
    static final String ROLE_LABEL = "kubernetes.io/role";
    /** kubeha's addition: the seed's kubeadm 1.4 role label ("master" or "node"). */
    static final String KUBEADM_ROLE_LABEL = "kubeadm.alpha.kubernetes.io/role";

    static final Printer PRINTER = Printer.of(List.of(
            Column.NAME,
            Column.string("Status", Descriptions.NODE_STATUS),
            Column.string("Roles", Descriptions.NODE_ROLES),
            Column.AGE,
            Column.string("Version", Descriptions.KUBELET_VERSION),
            Column.wide("Internal-IP", Descriptions.NODE_ADDRESSES),
            Column.wide("External-IP", Descriptions.NODE_ADDRESSES),
            Column.wide("OS-Image", Descriptions.OS_IMAGE),
            Column.wide("Kernel-Version", Descriptions.KERNEL_VERSION),
            Column.wide("Container-Runtime", Descriptions.CONTAINER_RUNTIME_VERSION)),
            NodePrinter::cells);

    private NodePrinter() {}

    static List<Object> cells(JsonNode node, Instant now) {
        JsonNode info = node.path("status").path("nodeInfo");
        String roles = String.join(",", roles(node.path("metadata").path("labels")));
        return List.of(
                Fields.name(node),
                status(node),
                orElse(roles, "<none>"),
                Fields.age(node, now),
                str(info, "kubeletVersion"),
                address(node, "InternalIP"),
                address(node, "ExternalIP"),
                orElse(str(info, "osImage"), "<unknown>"),
                orElse(str(info, "kernelVersion"), "<unknown>"),
                orElse(str(info, "containerRuntimeVersion"), "<unknown>"));
    }

    /** Only the Ready condition counts; a status other than True (False or Unknown) prints "NotReady". */
    static String status(JsonNode node) {
        List<String> status = new ArrayList<>();
        String ready = null;
        for (JsonNode c : list(node, "status", "conditions")) {
            if ("Ready".equals(str(c, "type"))) {
                ready = str(c, "status"); // the last one wins, as in kube's condition map
            }
        }
        if (ready != null) {
            status.add("True".equals(ready) ? "Ready" : "NotReady");
        } else {
            status.add("Unknown");
        }
        if (Fields.bool(node, "spec", "unschedulable")) {
            status.add("SchedulingDisabled");
        }
        return String.join(",", status);
    }

    static List<String> roles(JsonNode labels) {
        TreeSet<String> roles = new TreeSet<>();
        if (labels != null && labels.isObject()) {
            for (Map.Entry<String, JsonNode> e : labels.properties()) {
                String key = e.getKey();
                String value = Fields.str(e.getValue());
                if (key.startsWith(ROLE_PREFIX)) {
                    String role = key.substring(ROLE_PREFIX.length());
                    if (!role.isEmpty()) {
                        roles.add(role);
                    }
                } else if ((key.equals(ROLE_LABEL) || key.equals(KUBEADM_ROLE_LABEL)) && !value.isEmpty()) {
                    roles.add(value);
                }
            }
        }
        return List.copyOf(roles);
    }

    /** The first address of the type, or "<none>". */
    private static String address(JsonNode node, String type) {
        for (JsonNode a : list(node, "status", "addresses")) {
            if (type.equals(str(a, "type"))) {
                return str(a, "address");
            }
        }
        return "<none>";
    }
}
