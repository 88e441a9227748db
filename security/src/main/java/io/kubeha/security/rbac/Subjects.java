package io.kubeha.security.rbac;

import java.util.ArrayList;
import java.util.List;

import io.kubeha.security.auth.GoStrings;
import tools.jackson.databind.JsonNode;

/**
 * kube's checks of a binding's subjects (pkg/apis/rbac/validation ValidateRoleBindingSubject, after the v1 defaults):
 * a User or Group has apiGroup rbac.authorization.k8s.io (an empty one is defaulted to it, as the v1 API does), a
 * ServiceAccount has apiGroup "" and, in a ClusterRoleBinding, a namespace; every subject has a name. The
 * authorizer itself does not look at apiGroup, as in kube; the API server runs this when a binding is written.
 */
public final class Subjects {

    private Subjects() {
    }

    /** The field errors of a RoleBinding's or ClusterRoleBinding's subjects, in kube's wording; empty when valid. */
    public static List<String> validate(JsonNode binding) {
        boolean namespaced = Json.text(binding, "kind").equals("RoleBinding");
        List<String> errors = new ArrayList<>();
        List<JsonNode> subjects = Json.array(binding, "subjects");
        for (int i = 0; i < subjects.size(); i++) {
            errors.addAll(validate(subjects.get(i), namespaced, "subjects[" + i + "]"));
        }
        return errors;
    }

    /** The field errors of one subject at {@code path}. */
    public static List<String> validate(JsonNode subject, boolean namespacedBinding, String path) {
        List<String> errors = new ArrayList<>();
        String name = Json.text(subject, "name");
        String apiGroup = Json.text(subject, "apiGroup");
        if (name.isEmpty()) {
            errors.add(path + ".name: Required value");
        }
        switch (Json.text(subject, "kind")) {
            case "ServiceAccount" -> {
                if (!apiGroup.isEmpty()) {
                    errors.add(path + ".apiGroup: Unsupported value: " + GoStrings.quote(apiGroup)
                            + ": supported values: \"\"");
                }
                if (!namespacedBinding && Json.text(subject, "namespace").isEmpty()) {
                    errors.add(path + ".namespace: Required value");
                }
            }
            case "User", "Group" -> {
                if (!apiGroup.isEmpty() && !apiGroup.equals(RbacAuthorizer.GROUP)) {
                    errors.add(path + ".apiGroup: Unsupported value: " + GoStrings.quote(apiGroup)
                            + ": supported values: " + GoStrings.quote(RbacAuthorizer.GROUP));
                }
            }
            default -> errors.add(path + ".kind: Unsupported value: " + GoStrings.quote(Json.text(subject, "kind"))
                    + ": supported values: \"ServiceAccount\", \"User\", \"Group\"");
        }
        return errors;
    }
}
