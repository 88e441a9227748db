package io.kubeha.dns;

import org.xbill.DNS.Name;
import org.xbill.DNS.TextParseException;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What the cluster DNS serves and how: the address it answers on (UDP and TCP, one port), the cluster domain it
 * is authoritative for, the upstream servers it forwards every other name to, the TTL of its own records, how long
 * (at most) it keeps an upstream answer, and where it serves {@code /healthz} and {@code /readyz}.
 *
 * <p>Values are checked here, once, so that the command line and tests get the same clear message for a bad one.
 *
 * @param listen         UDP and TCP address; port 0 picks a free port (the same one for both)
 * @param clusterDomain  the zone served, e.g. {@code cluster.local} (absolute, lower case)
 * @param upstreams      where names outside the zone (and unknown reverse names) go, tried in order; empty means
 *                       such names are refused
 * @param recordTtl      TTL of the cluster's own records and of the SOA in negative answers (CoreDNS: 5s)
 * @param cacheMaxTtl    longest time an upstream answer is kept, whatever its TTL says (CoreDNS' {@code cache 30});
 *                       zero turns the cache off
 * @param cacheSize      most upstream answers kept at once
 * @param upstreamTimeout how long one upstream gets to answer before the next is tried
 * @param health         address of the HTTP {@code /healthz} and {@code /readyz}, or null for none
 */
public record DnsConfig(InetSocketAddress listen, Name clusterDomain, List<InetSocketAddress> upstreams,
                        Duration recordTtl, Duration cacheMaxTtl, int cacheSize, Duration upstreamTimeout,
                        InetSocketAddress health) {

    public static final String DEFAULT_DOMAIN = "cluster.local";
    private static final Pattern LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

    public DnsConfig {
        Objects.requireNonNull(listen, "listen");
        Objects.requireNonNull(clusterDomain, "clusterDomain");
        if (!clusterDomain.isAbsolute()) throw new IllegalArgumentException("cluster domain must be absolute: " + clusterDomain);
        upstreams = List.copyOf(upstreams);
        Objects.requireNonNull(recordTtl, "recordTtl");
        Objects.requireNonNull(cacheMaxTtl, "cacheMaxTtl");
        Objects.requireNonNull(upstreamTimeout, "upstreamTimeout");
        if (recordTtl.isNegative() || recordTtl.toSeconds() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("record TTL must be between 0s and 68 years, was " + recordTtl);
        }
        if (cacheMaxTtl.isNegative()) throw new IllegalArgumentException("cache TTL must not be negative, was " + cacheMaxTtl);
        if (cacheSize < 0) throw new IllegalArgumentException("cache size must not be negative, was " + cacheSize);
        if (upstreamTimeout.isZero() || upstreamTimeout.isNegative()) {
            throw new IllegalArgumentException("upstream timeout must be more than zero, was " + upstreamTimeout);
        }
    }

    /** Port 53 on every address, cluster.local, no upstream, TTL 5s, cache up to 30s and 10,000 answers, no health. */
    public static DnsConfig defaults() {
        return new DnsConfig(new InetSocketAddress(53), domain(DEFAULT_DOMAIN), List.of(), Duration.ofSeconds(5),
                Duration.ofSeconds(30), 10_000, Duration.ofSeconds(2), null);
    }

    public DnsConfig withListen(InetSocketAddress a) {
        return new DnsConfig(a, clusterDomain, upstreams, recordTtl, cacheMaxTtl, cacheSize, upstreamTimeout, health);
    }

    public DnsConfig withClusterDomain(String domain) {
        return new DnsConfig(listen, domain(domain), upstreams, recordTtl, cacheMaxTtl, cacheSize, upstreamTimeout, health);
    }

    public DnsConfig withUpstreams(List<InetSocketAddress> u) {
        return new DnsConfig(listen, clusterDomain, u, recordTtl, cacheMaxTtl, cacheSize, upstreamTimeout, health);
    }

    public DnsConfig withRecordTtl(Duration ttl) {
        return new DnsConfig(listen, clusterDomain, upstreams, ttl, cacheMaxTtl, cacheSize, upstreamTimeout, health);
    }

    public DnsConfig withCache(Duration maxTtl, int size) {
        return new DnsConfig(listen, clusterDomain, upstreams, recordTtl, maxTtl, size, upstreamTimeout, health);
    }

    public DnsConfig withUpstreamTimeout(Duration t) {
        return new DnsConfig(listen, clusterDomain, upstreams, recordTtl, cacheMaxTtl, cacheSize, t, health);
    }

    public DnsConfig withHealth(InetSocketAddress h) {
        return new DnsConfig(listen, clusterDomain, upstreams, recordTtl, cacheMaxTtl, cacheSize, upstreamTimeout, h);
    }

    /**
     * A cluster domain as the kubelet's {@code --cluster-domain} takes it: DNS labels (lower case letters, digits,
     * inner dashes) separated by dots; a trailing dot is allowed.
     */
    public static Name domain(String text) {
        String d = text == null ? "" : text.strip().toLowerCase(java.util.Locale.ROOT);
        if (d.endsWith(".")) d = d.substring(0, d.length() - 1);
        if (d.isEmpty()) throw new IllegalArgumentException("cluster domain must not be empty");
        for (String label : d.split("\\.", -1)) {
            if (!LABEL.matcher(label).matches()) {
                throw new IllegalArgumentException("cluster domain '" + text + "' is not a DNS name such as cluster.local ('"
                        + label + "' is not a label of letters, digits and inner dashes)");
            }
        }
        try {
            return Name.fromString(d + ".");
        } catch (TextParseException e) {
            throw new IllegalArgumentException("cluster domain '" + text + "': " + e.getMessage());
        }
    }

    /**
     * Upstream servers as {@code IP[:PORT],...} (an IPv6 address with a port in brackets: {@code [::1]:53}); port 53
     * when none is given. Only literal addresses: a name would itself need a resolver.
     */
    public static List<InetSocketAddress> parseUpstreams(String text) {
        if (text == null || text.isBlank()) throw new IllegalArgumentException("upstreams must be IP[:PORT],... such as 10.0.0.2,10.0.0.3:5353; got nothing");
        List<InetSocketAddress> out = new ArrayList<>();
        for (String part : text.split(",")) {
            String p = part.strip();
            if (p.isEmpty()) throw new IllegalArgumentException("upstreams '" + text + "' has an empty entry");
            out.add(parseServer(p));
        }
        return List.copyOf(out);
    }

    static InetSocketAddress parseServer(String p) {
        String host = p;
        int port = 53;
        if (p.startsWith("[")) {
            int close = p.indexOf(']');
            if (close < 0) throw new IllegalArgumentException("upstream '" + p + "' lacks a closing ]");
            host = p.substring(1, close);
            String rest = p.substring(close + 1);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) throw new IllegalArgumentException("upstream '" + p + "' must be [IPv6]:PORT");
                port = port(p, rest.substring(1));
            }
        } else if (p.indexOf(':') >= 0 && p.indexOf(':') == p.lastIndexOf(':')) {
            host = p.substring(0, p.indexOf(':'));
            port = port(p, p.substring(p.indexOf(':') + 1));
        }
        return new InetSocketAddress(literal(p, host), port);
    }

    private static int port(String entry, String text) {
        try {
            int port = Integer.parseInt(text);
            if (port < 1 || port > 65535) throw new NumberFormatException();
            return port;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("upstream '" + entry + "': port '" + text + "' is not a number from 1 to 65535");
        }
    }

    /** An IP literal, never a lookup. */
    static InetAddress literal(String entry, String host) {
        boolean v4 = host.matches("\\d{1,3}(\\.\\d{1,3}){3}");
        boolean v6 = host.contains(":") && host.matches("[0-9a-fA-F:.%]+");
        if (!v4 && !v6) throw new IllegalArgumentException("upstream '" + entry + "': '" + host + "' is not an IP address");
        try {
            return InetAddress.getByName(host); // a literal: parsed, not resolved
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("upstream '" + entry + "': '" + host + "' is not an IP address");
        }
    }

    /** An IP address given as a literal (an option such as {@code --bind}); never a name lookup. */
    public static InetAddress ipAddress(String option, String text) {
        String t = text == null ? "" : text.strip();
        if (t.startsWith("[") && t.endsWith("]")) t = t.substring(1, t.length() - 1);
        InetAddress a = Ips.parse(t);
        if (a == null) throw new IllegalArgumentException(option + " must be an IP address such as 0.0.0.0 or 127.0.0.1; got '" + text + "'");
        return a;
    }

    /** The {@code nameserver} lines of a resolv.conf, as the upstreams dnsmasq and CoreDNS use by default. */
    public static List<InetSocketAddress> resolvConf(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + " for upstream nameservers: " + e.getMessage());
        }
        List<InetSocketAddress> out = new ArrayList<>();
        for (String line : lines) {
            String[] f = line.strip().split("\\s+");
            if (f.length >= 2 && f[0].equals("nameserver")) {
                try {
                    out.add(new InetSocketAddress(literal(f[1], f[1]), 53));
                } catch (IllegalArgumentException ignored) {
                    // resolvers skip a nameserver line they cannot read, and so do we
                }
            }
        }
        return List.copyOf(out);
    }
}
