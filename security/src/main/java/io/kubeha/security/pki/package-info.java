/**
 * The cluster's PKI as kubeadm makes it: a self-signed CA, the API server's serving certificate with every name
 * clients reach it by, the service-account signing key pair, client certificates (CN the user, each O a group),
 * CSR signing for nodes that join, kubeconfig files with everything embedded, and a key manager whose certificate can
 * be replaced in use (certificate renewal without restarting a client or server). Keys are written 0600 and never
 * readable by others even for a moment; a restart reuses what is there.
 */
package io.kubeha.security.pki;
