/**
 * What the cluster's security is made of, with no HTTP in it: the PKI ({@code pki}), tokens ({@code tokens}),
 * RBAC evaluation and kube-apiserver's bootstrap policy ({@code rbac}), encryption at rest ({@code encryption}) and
 * the audit log ({@code audit}). The API server wires these into its request path; agents and the CLI use the PKI
 * and tokens to join.
 */
package io.kubeha.security;
