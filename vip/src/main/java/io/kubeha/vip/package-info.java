/**
 * The control-plane virtual IP, kube-vip's and keepalived's role for the seed's three masters: one holder at a time,
 * elected with the Lease {@code kube-system/kubeha-vip} ({@link io.kubeha.vip.VipElection}), which holds the address
 * only while its own API server is ready and its node agent alive ({@link io.kubeha.vip.Health}: the seed's runbook,
 * a master whose kubelet died gives the VIP up), gives it up at once when it is not, and lets it go before any other
 * candidate may take it when it cannot renew (renew deadline shorter than the lease duration, each measured on the
 * candidate's own monotonic clock, as client-go's leader election: there is never a second holder). No preemption: a
 * master that comes back does not take the address back (keepalived's nopreempt).
 *
 * <p>How the address is held is an {@link io.kubeha.vip.Announcer}: {@code loopback} (no root: the holder listens on
 * VIP:PORT and forwards each TCP connection, TLS passing through, to its API server) and {@code ip}
 * ({@link io.kubeha.vip.IpAnnouncer}, root, kube-vip's ARP mode: VIP/32 on the LAN interface with a lifetime the holder
 * keeps extending, so that a killed holder's machine drops it within 2 s, gratuitous ARP, and the same relay).
 * {@link io.kubeha.vip.Keepalived} is the seed's own way, without the Lease: kubeha writes keepalived.conf (VRRP
 * unicast, nopreempt, {@code kubeha health} as the vrrp_script) and runs the real keepalived.
 */
package io.kubeha.vip;
