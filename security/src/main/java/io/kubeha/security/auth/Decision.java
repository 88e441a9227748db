package io.kubeha.security.auth;

/** kube's {@code authorizer.Decision}. */
public enum Decision {
    /** The request is allowed; later authorizers are not asked. */
    ALLOW,
    /** The request is denied; later authorizers are not asked. */
    DENY,
    /** This authorizer has no say; the next one is asked, and if none allows, the request is forbidden. */
    NO_OPINION
}
