package io.kubeha.security.auth;

import java.util.Objects;

/**
 * What a request asks for: kube's {@code authorizer.Attributes}. Strings are never {@code null} (they become empty).
 * For a resource request {@code path} may be empty; for a non-resource request only {@code verb} (the lowercase HTTP
 * method: get, post, put, delete, ...) and {@code path} count.
 */
public record Attributes(UserInfo user, String verb, boolean resourceRequest, String apiGroup, String apiVersion,
        String resource, String subresource, String namespace, String name, String path) {

    public Attributes {
        user = Objects.requireNonNullElse(user, UserInfo.ANONYMOUS);
        verb = Objects.requireNonNullElse(verb, "");
        apiGroup = Objects.requireNonNullElse(apiGroup, "");
        apiVersion = Objects.requireNonNullElse(apiVersion, "");
        resource = Objects.requireNonNullElse(resource, "");
        subresource = Objects.requireNonNullElse(subresource, "");
        namespace = Objects.requireNonNullElse(namespace, "");
        name = Objects.requireNonNullElse(name, "");
        path = Objects.requireNonNullElse(path, "");
    }

    /** A resource request; {@code group} is "" for the core group, {@code namespace} "" at the cluster scope. */
    public static Attributes resource(UserInfo u, String verb, String group, String version, String resource,
            String subresource, String namespace, String name) {
        return new Attributes(u, verb, true, group, version, resource, subresource, namespace, name, "");
    }

    /** A non-resource request such as {@code get /healthz}. */
    public static Attributes nonResource(UserInfo u, String verb, String path) {
        return new Attributes(u, verb, false, "", "", "", "", "", "", path);
    }

    /** The same request by another user (SubjectAccessReview, impersonation). */
    public Attributes withUser(UserInfo u) {
        return new Attributes(u, verb, resourceRequest, apiGroup, apiVersion, resource, subresource, namespace, name,
                path);
    }
}
