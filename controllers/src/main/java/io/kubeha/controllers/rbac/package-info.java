/** kube-controller-manager's clusterrole-aggregation controller. */
package io.kubeha.controllers.rbac;
