/**
 * The node agent, {@code kubeha agent}: the kubelet's role (register the Node, keep its Lease, run the pods bound
 * to it as processes, report their status, serve their logs) and kube-proxy's ({@link io.kubeha.agent.proxy}), wired
 * by {@link io.kubeha.agent.Agent}.
 * <p>
 * <b>Pods' addresses.</b> Each pod gets one address from the node's pod CIDR
 * ({@link io.kubeha.agent.pod.PodIps}, kept across agent restarts): {@code --pod-cidr}, else the Node's
 * {@code spec.podCIDR} as the controller-manager's node IPAM gives it (the agent registers its Node not Ready and
 * waits for it; see {@link io.kubeha.agent.Agent}). How the pod holds it is the
 * {@link io.kubeha.agent.net.PodNetwork}'s business:
 * <ul>
 *   <li>loopback mode (default, no root): a loopback address (127.x) the pod's processes bind in the node's
 *       namespace; ClusterIPs are loopback addresses too, so everything stays on the machine.</li>
 *   <li>netns mode ({@code --netns}, root, iproute2 and nsenter): a network namespace per pod joined to a bridge of
 *       the node, containers started inside it through {@code nsenter}, so a container binds any address and port;
 *       routes to other nodes' pod CIDRs through their InternalIPs; ClusterIPs held as addresses of the node's
 *       namespace so the same service proxy binds them. The agent works in its own current network namespace: the
 *       machine's, or one a test made for it.</li>
 * </ul>
 * <p>
 * <b>The agent's port</b> ({@link io.kubeha.agent.logs.AgentHttpServer}, Jetty 12, the kubelet's 10250): with an HTTPS
 * API server it serves HTTPS with a CA-signed serving certificate from a kubelet-serving CSR, requires client
 * certificates of the cluster CA for everything but /healthz and authorizes them with SubjectAccessReviews; the agent
 * renews that certificate, and the client certificate it joined with, before they expire
 * ({@link io.kubeha.agent.certificates}). With a plain-HTTP API server (tests) the port is plain HTTP.
 * <p>
 * Stopping the agent leaves pods, their namespaces, routes and ClusterIP addresses in place: the next agent on the
 * same data folder takes them back.
 */
package io.kubeha.agent;
