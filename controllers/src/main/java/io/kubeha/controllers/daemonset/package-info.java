/**
 * The DaemonSet controller (Kubernetes' pkg/controller/daemon semantics): one pod of each DaemonSet on every node
 * its template's nodeName, nodeSelector, required node affinity and tolerations (plus the tolerations Kubernetes
 * gives every daemon pod) allow. Pods are placed as Kubernetes does since 1.12: each carries the required node
 * affinity {@code matchFields metadata.name In [node]} and the default scheduler binds it. Surplus, misplaced,
 * failed (with a back-off per node) and succeeded pods are deleted; pods are owned through a controller
 * ownerReference with adoption and release; expectations keep a lagging cache from creating a second pod on a
 * node. Every template is recorded in a ControllerRevision ({@code <ds>-<hash>}, the template as a strategic merge
 * patch, a revision number) so that {@code kubectl rollout history} and {@code rollout undo} work; history beyond
 * revisionHistoryLimit is deleted unless a live pod still runs it. Updates follow spec.updateStrategy:
 * RollingUpdate (maxUnavailable, or maxSurge) or OnDelete. Status carries the counts {@code kubectl get ds} prints.
 */
package io.kubeha.controllers.daemonset;
