package io.kubeha.security.pki;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/** What the serving certificate must name, and how long the CA and certificates live (kubeadm: 10 years, 1 year). */
public record PkiOptions(List<String> sanDnsNames, List<InetAddress> sanIps, Duration caValidity, Duration certValidity) {
    public PkiOptions {
        sanDnsNames = List.copyOf(sanDnsNames);
        sanIps = List.copyOf(sanIps);
    }

    public static PkiOptions defaults() {
        return new PkiOptions(List.of(), List.of(), Duration.ofDays(3650), Duration.ofDays(365));
    }

    public PkiOptions withSans(Collection<String> dnsNames, Collection<InetAddress> ips) {
        List<String> d = new ArrayList<>(sanDnsNames);
        for (String n : dnsNames) if (!d.contains(n)) d.add(n);
        List<InetAddress> i = new ArrayList<>(sanIps);
        for (InetAddress a : ips) if (!i.contains(a)) i.add(a);
        return new PkiOptions(d, i, caValidity, certValidity);
    }
}
