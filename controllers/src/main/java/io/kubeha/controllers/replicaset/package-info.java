/**
 * The ReplicaSet controller (Kubernetes' pkg/controller/replicaset semantics): keeps spec.replicas active pods
 * owned through a controller ownerReference, adopts matching orphans and releases owned pods that stop matching,
 * deletes the least valuable pods first on scale-in, and reports status through the status subresource.
 * Expectations guarantee that a cache behind the API never leads to surplus creates or deletes.
 */
package io.kubeha.controllers.replicaset;
