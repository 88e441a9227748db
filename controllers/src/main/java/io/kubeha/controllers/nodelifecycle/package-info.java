/**
 * Node failure handling, as kube-controller-manager's node lifecycle and taint eviction controllers.
 *
 * <p>{@link io.kubeha.controllers.nodelifecycle.NodeLifecycleController} watches Nodes and their heartbeat Leases
 * (namespace kube-node-lease, named after the node). A node is healthy while its Lease renewTime or its Ready
 * condition's heartbeat keeps changing; the controller notes, on its own clock, when it last saw either change, so
 * skewed node clocks and a change of leader do not fool it; and it counts silence only from when it can hear (its
 * first Lease renewal from the watch, or a grace period after it started), so that a new leader whose watch is slow
 * to start does not take that quiet for dead nodes. After the grace period without news
 * ({@code --node-monitor-grace-period}, 50s as Kubernetes since 1.32; 60s for a node that never posted status) its
 * Ready, MemoryPressure, DiskPressure and PIDPressure conditions become Unknown ("Kubelet stopped posting node
 * status."), its pods are marked not ready, and it gets the {@code node.kubernetes.io/unreachable} taint with effect
 * NoExecute ({@code not-ready} instead when Ready is False; the two are swapped as Ready changes, and removed when
 * it is True again), plus NoSchedule taints for its conditions (TaintNodesByCondition). When no node at all is
 * Ready, no NoExecute taint is set (kube's master disruption mode).
 *
 * <p>{@link io.kubeha.controllers.nodelifecycle.TaintEvictionController} deletes the pods on NoExecute-tainted nodes
 * that do not tolerate the taints, at once, or when their tolerationSeconds have run out (the API server gives every
 * pod 300s for not-ready and unreachable: DefaultTolerationSeconds); their owners then create replacements, which the
 * scheduler places on other nodes.
 *
 * <p>New NoExecute taints are paced per zone as in Kubernetes ({@code --node-eviction-rate} 0.1 nodes per second
 * with burst 1, {@code --secondary-node-eviction-rate} 0.01 in a partially disrupted zone, none there in clusters of
 * at most {@code --large-cluster-size-threshold} 50 nodes; {@code --unhealthy-zone-threshold} 0.55). Not (yet) as
 * Kubernetes: leaving master disruption mode does not reset every node's probe time.
 */
package io.kubeha.controllers.nodelifecycle;
