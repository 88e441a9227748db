package io.kubeha.security.auth;

/**
 * kube-apiserver's 403 message (k8s.io/apiserver responsewriters.Forbidden + apierrors.NewForbidden), e.g.
 * {@code pods is forbidden: User "system:serviceaccount:default:viewer" cannot delete resource "pods" in API group ""
 * in the namespace "default"}. The resource is qualified by its group ({@code deployments.apps is forbidden}), a name
 * is quoted after it ({@code pods "x" is forbidden}), a subresource is shown in the verb part only
 * ({@code cannot get resource "pods/log"}), and a non-resource request reads
 * {@code forbidden: User "system:anonymous" cannot get path "/api"}. When the authorizer gave a reason it follows
 * after ": ", as kube does (e.g. {@code : RBAC: clusterrole.rbac.authorization.k8s.io "x" not found}).
 */
public final class ForbiddenMessages {

    private ForbiddenMessages() {
    }

    /** The message; {@code reason} may be null or empty. */
    public static String of(Attributes a, String reason) {
        String msg = sanitize(detail(a));
        String err = reason == null || reason.isEmpty() ? msg : msg + ": " + reason;
        String resource = a.resource();
        String group = a.apiGroup();
        if (resource.isEmpty() && group.isEmpty()) {
            return "forbidden: " + err;
        }
        String qualified = group.isEmpty() ? resource : resource + "." + group;
        if (a.name().isEmpty()) {
            return qualified + " is forbidden: " + err;
        }
        return qualified + " " + GoStrings.quote(a.name()) + " is forbidden: " + err;
    }

    /** The part after "is forbidden: " without the reason (kube's forbiddenMessage). */
    public static String detail(Attributes a) {
        String user = GoStrings.quote(a.user().name());
        if (!a.resourceRequest()) {
            return "User " + user + " cannot " + a.verb() + " path " + GoStrings.quote(a.path());
        }
        String resource = a.subresource().isEmpty() ? a.resource() : a.resource() + "/" + a.subresource();
        String head = "User " + user + " cannot " + a.verb() + " resource " + GoStrings.quote(resource)
                + " in API group " + GoStrings.quote(a.apiGroup());
        if (!a.namespace().isEmpty()) {
            return head + " in the namespace " + GoStrings.quote(a.namespace());
        }
        return head + " at the cluster scope";
    }

    /** kube escapes HTML in the message (not in the reason) so a browser shows it as text. */
    private static String sanitize(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
