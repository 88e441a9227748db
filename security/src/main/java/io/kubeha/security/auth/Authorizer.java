package io.kubeha.security.auth;

/** kube's {@code authorizer.Authorizer}: decides whether a request may go on. Implementations are thread-safe. */
@FunctionalInterface
public interface Authorizer {
    AuthorizationResult authorize(Attributes a);
}
