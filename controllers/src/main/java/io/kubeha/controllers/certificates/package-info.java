/**
 * kube-controller-manager's certificate controllers for the kubelet TLS bootstrap: {@link
 * io.kubeha.controllers.certificates.CsrApprovingController} approves a node's client-certificate request when a
 * SubjectAccessReview says its requestor may ask (certificatesigningrequests/nodeclient for bootstrap tokens,
 * /selfnodeclient for a node renewing its own), and a node's own kubelet-serving request (which kube leaves to an
 * external approver; kubeha has none, see the class), and {@link io.kubeha.controllers.certificates.CsrSigningController}
 * signs approved requests (client signers and kubelet-serving) with the cluster CA.
 */
package io.kubeha.controllers.certificates;
