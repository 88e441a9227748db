/**
 * The scheduler: a queue, filter and score plugins, binding through pods/binding; an API client, leader-elected.
 *
 * <p>{@link io.kubeha.scheduler.Scheduler} watches pods, nodes and services through fabric8 informers (never the
 * store) and, only while it holds the Lease named in its {@link io.kubeha.scheduler.SchedulerConfig}, binds pending
 * pods of its schedulerName. Guarantees: a pod is bound at most once by this scheduler (the API server refuses a
 * second binding with 409 anyway); a scheduler that stops leading binds nothing more from that moment on (a binding
 * already sent may still land, as with kube-scheduler); a pod bound by this scheduler counts on its node in the very
 * next decision (assumed), before the informer shows it bound; a pod that fits nowhere gets a FailedScheduling event
 * and PodScheduled=False/Unschedulable in kube-scheduler's words, and is retried after a back-off (1s doubling to 10s)
 * or at once when a node is added or changes or a bound pod goes away.
 *
 * <p>Scale, as kube-scheduler: what is on each node lives in a {@link io.kubeha.scheduler.SchedulerCache} kept by the
 * informer handlers (bound pods, assumed pods, requests, host ports), and each cycle refreshes its snapshot by copying
 * only the nodes whose generation moved; a cycle filters nodes from where the previous one stopped and stops once it
 * has percentageOfNodesToScore of them feasible (adaptive by default: every node below 100, 42% of 1,000, 10% of
 * 5,000, never under 5% or 100 nodes); bindings are written by binder threads while the loop decides the next pod.
 *
 * <p>Plugins (one class each, by kube-scheduler's names): filters NodeReady, NodeUnschedulable, NodeName,
 * TaintToleration, NodeSelector, NodeAffinity (spec and the legacy {@code scheduler.alpha.kubernetes.io/affinity}
 * annotation), NodePorts, NodeResourcesFit; scores NodeAffinity (preferred terms, weight 2), SelectorSpread (owner
 * and Service siblings, weight 2), NodeResourcesLeastAllocated (weight 1). Not implemented: preemption, pod
 * (anti-)affinity, topology spread constraints, volumes, zones, extenders, multiple profiles.
 */
package io.kubeha.scheduler;
