/**
 * The audit log: kube-apiserver's {@code --audit-log-path FILE} (or {@code -} for standard output) and
 * {@code --audit-policy-file}. {@link io.kubeha.security.audit.AuditLog} writes one {@code audit.k8s.io/v1}
 * {@code Event} JSON object per line, at the level the {@link io.kubeha.security.audit.AuditPolicy} gives the request
 * (first matching rule; with no policy file, kubeha's documented default is Metadata for every request, where
 * kube-apiserver would audit nothing).
 *
 * <p>Stage: kubeha writes each request once, at {@code ResponseComplete}, when the response is known; a rule's (or the
 * policy's) {@code omitStages: [ResponseComplete]} therefore drops the request. {@code RequestReceived} and
 * {@code ResponseStarted} events are not written.
 */
package io.kubeha.security.audit;
