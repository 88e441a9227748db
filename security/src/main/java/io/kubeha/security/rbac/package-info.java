/**
 * Kubernetes RBAC on the API's JSON objects: rule matching ({@link io.kubeha.security.rbac.PolicyRule}), the
 * authorizer and rule resolver ({@link io.kubeha.security.rbac.RbacAuthorizer}), escalation prevention, ClusterRole
 * aggregation and kube-apiserver's bootstrap policy with its reconcile rule.
 */
package io.kubeha.security.rbac;
