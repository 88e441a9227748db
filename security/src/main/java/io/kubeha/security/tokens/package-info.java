/**
 * The cluster's bearer tokens, with no HTTP and no storage in them.
 *
 * <ul>
 *   <li>{@link io.kubeha.security.tokens.ServiceAccountTokens}: service-account JWTs (RS256), both the bound ones of
 *       the TokenRequest API (with exp, aud and the {@code kubernetes.io} claim) and the legacy Secret-based ones, their
 *       verification, and the OIDC discovery documents ({@code /.well-known/openid-configuration},
 *       {@code /openid/v1/jwks}).</li>
 *   <li>{@link io.kubeha.security.tokens.BootstrapToken} and {@link io.kubeha.security.tokens.BootstrapTokenSecrets}:
 *       kubeadm's bootstrap tokens ({@code abcdef.0123456789abcdef}) and their {@code kube-system/bootstrap-token-<id>}
 *       Secrets, with the bootstrap authenticator's checks.</li>
 *   <li>{@link io.kubeha.security.tokens.ClusterInfoSignatures}: the detached HS256 JWS that the bootstrap signer puts
 *       into {@code kube-public/cluster-info} so that a joining node can check the kubeconfig with its token.</li>
 * </ul>
 *
 * Whatever depends on time takes a {@link java.time.Clock}.
 */
package io.kubeha.security.tokens;
