/** kube-controller-manager's bootstrap signer: kube-public/cluster-info signed by every signing bootstrap token. */
package io.kubeha.controllers.bootstrap;
