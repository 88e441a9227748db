package io.kubeha.apiserver.table;

import tools.jackson.databind.JsonNode;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static io.kubeha.apiserver.table.Fields.str;

/**
 * The printers of the access kinds (kube's printers.go): role bindings and cluster role bindings (NAME, ROLE,
 * AGE, and the wide USERS, GROUPS, SERVICEACCOUNTS), certificate signing requests (NAME, AGE, SIGNERNAME,
 * REQUESTOR, REQUESTEDDURATION, CONDITION). Roles and cluster roles have no printer in kube: they get the
 * default NAME, CREATED AT.
 */
final class AccessPrinters {
    private AccessPrinters() {}

    static final Printer ROLE_BINDINGS = bindings("roleBinding", Descriptions.ROLE_BINDING_ROLE_REF);
    static final Printer CLUSTER_ROLE_BINDINGS = bindings("clusterRoleBinding", Descriptions.CLUSTER_ROLE_BINDING_ROLE_REF);

    private static Printer bindings(String what, String roleRefDescription) {
        return Printer.of(List.of(
                Column.NAME,
                Column.string("Role", roleRefDescription),
                Column.AGE,
                Column.wide("Users", "Users in the " + what),
                Column.wide("Groups", "Groups in the " + what),
                Column.wide("ServiceAccounts", "ServiceAccounts in the " + what)),
                (b, now) -> {
                    List<String> users = new ArrayList<>();
                    List<String> groups = new ArrayList<>();
                    List<String> sas = new ArrayList<>();
                    // rbac.SubjectsStrings: a ServiceAccount is namespace/name, even with no namespace ("/name")
                    for (JsonNode s : Fields.list(b, "subjects")) {
                        switch (str(s, "kind")) {
                            case "ServiceAccount" -> sas.add(str(s, "namespace") + "/" + str(s, "name"));
                            case "User" -> users.add(str(s, "name"));
                            case "Group" -> groups.add(str(s, "name"));
                            default -> { }
                        }
                    }
                    return List.of(Fields.name(b), str(b, "roleRef", "kind") + "/" + str(b, "roleRef", "name"), Fields.age(b, now),
                            String.join(", ", users), String.join(", ", groups), String.join(", ", sas));
                });
    }

    static final Printer CERTIFICATE_SIGNING_REQUESTS = Printer.of(List.of(
            Column.NAME,
            Column.AGE,
            Column.string("SignerName", Descriptions.CSR_SIGNER_NAME),
            Column.string("Requestor", Descriptions.CSR_REQUEST),
            Column.string("RequestedDuration", Descriptions.CSR_EXPIRATION_SECONDS),
            Column.string("Condition", Descriptions.CSR_CONDITIONS)),
            (csr, now) -> {
                JsonNode exp = Fields.at(csr, "spec", "expirationSeconds");
                String requested = exp != null && exp.isNumber() ? HumanDuration.format(Duration.ofSeconds(exp.asLong())) : "<none>";
                return List.of(Fields.name(csr), Fields.age(csr, now), Fields.orElse(str(csr, "spec", "signerName"), "<none>"),
                        str(csr, "spec", "username"), requested, condition(csr));
            });

    /** kube's extractCSRStatus: Denied over Approved over Pending, then ",Failed" and ",Issued". */
    static String condition(JsonNode csr) {
        boolean approved = false;
        boolean denied = false;
        boolean failed = false;
        for (JsonNode c : Fields.list(csr, "status", "conditions")) {
            switch (str(c, "type")) {
                case "Approved" -> approved = true;
                case "Denied" -> denied = true;
                case "Failed" -> failed = true;
                default -> { }
            }
        }
        String s = denied ? "Denied" : approved ? "Approved" : "Pending";
        if (failed) s += ",Failed";
        if (!str(csr, "status", "certificate").isEmpty()) s += ",Issued";
        return s;
    }
}
