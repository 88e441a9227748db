/**
 * The agent's certificates, as the kubelet keeps them: {@link io.kubeha.agent.certificates.CertificateManager} asks
 * for a certificate with a certificates.k8s.io/v1 CSR and renews it at a jittered 70-90% of its lifetime (the serving
 * certificate of the agent's port, signer kubernetes.io/kubelet-serving; and the client certificate a joined agent
 * got at TLS bootstrap, signer kubernetes.io/kube-apiserver-client-kubelet), handing each new one to a reloading key
 * manager so new connections use it without a restart; {@link io.kubeha.agent.certificates.KubeletAuthorizer} is the
 * kubelet's webhook authorizer for the agent's port (SubjectAccessReviews, cached).
 */
package io.kubeha.agent.certificates;
