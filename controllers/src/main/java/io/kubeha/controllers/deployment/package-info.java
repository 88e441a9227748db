/**
 * The Deployment controller (Kubernetes' pkg/controller/deployment semantics): a Deployment owns ReplicaSets
 * named {@code <deployment>-<pod-template-hash>}, one per pod template it has had; the one whose template equals
 * the Deployment's (ignoring the hash label) is the new one, the others are old. RollingUpdate moves replicas
 * from the old to the new within maxSurge / maxUnavailable, Recreate scales the old to zero and waits for their
 * pods to be gone before scaling the new one up, and a change of replicas during a rollout is spread over the
 * active ReplicaSets in proportion. The revision annotations it writes are what {@code kubectl rollout
 * history / undo / status} read, and its status and conditions are what {@code kubectl rollout status} waits on.
 */
package io.kubeha.controllers.deployment;
