/**
 * The controller-manager: Kubernetes' control loops as plain API clients (fabric8 informers, never the store),
 * leader-elected.
 *
 * <p>{@link io.kubeha.controllers.ControllerManager} campaigns for a coordination.k8s.io/v1 Lease and builds
 * fresh controllers for each leadership term; the term's gate ({@link io.kubeha.controllers.ControllerContext#acting})
 * closes the moment the lease is lost, before anything else happens, and every write checks it, so a process
 * that lost its lease sends no new write (a request already on the wire may still land; the renew deadline being
 * shorter than the lease duration leaves that margin before a standby can take over).
 *
 * <p>Each controller is level-triggered, as in Kubernetes: informer handlers only enqueue keys into a
 * {@link io.kubeha.controllers.WorkQueue} (deduplicated, one worker per key at a time, exponential back-off on
 * errors), {@link io.kubeha.controllers.Reconciler#reconcile} re-reads the informer cache and writes through the
 * API, and {@link io.kubeha.controllers.Expectations} keep a controller from acting again on a cache that has not
 * yet seen its own creates and deletes.
 *
 * <p>The API server serves watches over plain HTTP only: give the manager a client built with
 * {@code Config.onlyHttpWatches = true}, or fabric8 first spends a websocket attempt on every watch.
 */
package io.kubeha.controllers;
