/**
 * The node IPAM controller ({@code nodeipam}): kube-controller-manager's range allocator, giving every Node its own
 * {@code spec.podCIDR}/{@code spec.podCIDRs} from the cluster CIDR ({@code --allocate-node-cidrs},
 * {@code --cluster-cidr}, {@code --node-cidr-mask-size}). IPv4 only; one cluster CIDR (no dual stack).
 */
package io.kubeha.controllers.nodeipam;
