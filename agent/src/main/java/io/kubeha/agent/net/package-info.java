/**
 * Pods' networks on a node, the CNI plugin's role for the agent, and what the node's namespace needs for them.
 * <p>
 * {@link io.kubeha.agent.net.PodNetwork} is all a pod worker sees: "pod uid gets address ip", "pod uid is gone",
 * and the namespace its containers run in. Two implementations:
 * <ul>
 *   <li><b>loopback</b> (default): a pod's address is a loopback one (127.x from the pod CIDR) that its processes bind
 *       in the node's namespace; nothing to set up, no root.</li>
 *   <li><b>namespaces</b> ({@code kubeha agent --netns}, root): a network namespace {@code kh-<uid>} per pod, its
 *       {@code eth0} one end of a veth pair whose other end is a port of the node's bridge ({@code khb...}, holding the
 *       pod CIDR's gateway address), IPv4 forwarding on. Idempotent, so a restarted agent keeps its pods' networks.</li>
 * </ul>
 * In netns mode two more pieces keep the node's namespace in shape, both level-triggered and both telling what they
 * made from the rest of the machine's configuration, so a restarted agent takes over where the last one stopped:
 * {@link io.kubeha.agent.net.NodeRoutes} (other nodes' pod CIDRs via their InternalIPs, flannel host-gw style, route
 * protocol 203) and {@link io.kubeha.agent.net.ServiceAddresses} (ClusterIPs as /32 addresses on {@code lo}, label
 * {@code lo:khsvc}, for the service proxy to bind, as kube-proxy's IPVS mode keeps them on kube-ipvs0).
 * <p>
 * Everything is done with iproute2 commands (bounded waits, their stderr in the error), not a netlink library: the
 * commands are the ones an operator types to look at the result ({@code ip netns list}, {@code ip route show proto
 * 203}, {@code ip addr show dev lo label lo:khsvc}).
 */
package io.kubeha.agent.net;
