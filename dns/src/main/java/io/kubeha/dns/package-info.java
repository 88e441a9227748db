/**
 * Cluster DNS: the kube-dns / CoreDNS role as a plain API client. {@link io.kubeha.dns.DnsServer} answers the
 * records of the Kubernetes DNS-based service discovery specification for the cluster domain from fabric8
 * informers, and forwards other names upstream through a small TTL-respecting cache (dnsmasq's part in the seed).
 * Messages are parsed and built with dnsjava.
 */
package io.kubeha.dns;
