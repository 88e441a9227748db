/**
 * Who is asking and whether they may: kube-apiserver's request path in front of every handler. Authentication in
 * kube's order (x509 client certificates verified against the cluster CA by the TLS handshake, bearer tokens:
 * bootstrap tokens then service-account JWTs, anonymous last), impersonation, and authorization as
 * {@code --authorization-mode=Node,RBAC} with the system:masters group always allowed. The decisions themselves
 * (RBAC rules, token formats) live in the security module; this package reads the objects they need from the
 * API server's own watch caches.
 */
package io.kubeha.apiserver.auth;
