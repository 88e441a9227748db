/**
 * The service proxy of the node agent, kube-proxy's role, in user space: {@link io.kubeha.agent.proxy.ServiceProxy}.
 * <p>
 * <b>What it serves.</b> For every Service, each port on each ClusterIP and, for NodePort and LoadBalancer services,
 * on the agent's node IP at the port's nodePort, and on the service's externalIPs and load balancer ingress IPs (shared
 * as ClusterIPs are), TCP and UDP. New connections go round robin to the endpoints of the
 * service's EndpointSlices that are ready (or, when none is, to serving endpoints that are terminating), honouring
 * ClientIP session affinity and the Local traffic policies; a connect that fails or times out moves on to another
 * endpoint (three at most). Connections already open keep their endpoint until they end, whatever happens to it in
 * the API. A service without usable endpoints resets TCP connections and drops UDP datagrams, as kube-proxy's
 * REJECT does.
 * <p>
 * <b>Loopback mode.</b> ClusterIPs come from a loopback range (127.20.0.0/16 by default): Linux routes all of
 * 127.0.0.0/8 to the loopback interface, so the proxy binds a ClusterIP with no set-up and no root, and every pod
 * and program of the machine reaches it. Several agents share one machine, and each proxies every ClusterIP: the
 * listeners are bound with SO_REUSEPORT, the kernel spreads new connections and UDP flows over the agents holding
 * the address, and when an agent stops or dies the others keep serving it. Consequences:
 * <ul>
 *   <li>all agents of a machine must run as the same user (SO_REUSEPORT groups sockets of one user only);</li>
 *   <li>when an agent dies, connections the kernel had already queued on its socket (accepted by the kernel, not
 *       yet by the agent) are reset; every later one goes to the agents left. An agent that stops cleanly closes its
 *       listeners first and waits until they are released;</li>
 *   <li>two clusters on one machine must use different service CIDRs, or they would share each other's ClusterIPs;</li>
 *   <li>service ports below 1024 (DNS on 53, the API on 443) need root, CAP_NET_BIND_SERVICE, or
 *       {@code sysctl net.ipv4.ip_unprivileged_port_start=0}; without them the listener is reported and retried;</li>
 *   <li>what the endpoint sees as its client follows kube-proxy's rules: a ClusterIP connection, and one to a node
 *       port whose externalTrafficPolicy is Local, comes from the client's own address (the proxy connects from it:
 *       any loopback address is the machine's own); one to a node port with the Cluster policy comes from the node
 *       IP, as kube-proxy masquerades it.</li>
 * </ul>
 * Node ports listen on the agent's own node IP without SO_REUSEPORT, so a port another process holds is noticed:
 * it is logged once and tried again every few seconds, never fatal. * <p>
 * <b>Netns mode</b> ({@code kubeha agent --netns}). ClusterIPs come from a routable service CIDR (e.g. 10.96.0.0/16)
 * and the agents run on separate machines (or namespaces). Before binding, the proxy has its
 * {@link io.kubeha.agent.proxy.ServiceProxy.Addresses} make every ClusterIP and externalIP it is about to listen on a
 * local address of the node ({@link io.kubeha.agent.net.ServiceAddresses}: a /32 on {@code lo}, as kube-proxy's
 * IPVS mode puts them on kube-ipvs0), and removes those of deleted services; then it binds them as in loopback mode.
 * Pods reach a ClusterIP through their default route, the node's bridge, so the node's own proxy serves its pods; the
 * endpoint sees the node's address as the client. Endpoints on other nodes are reached over the routes the agent keeps
 * to their pod CIDRs.
 */
package io.kubeha.agent.proxy;
