package io.kubeha.apiserver.alloc;

/**
 * The IPv4 range Service ClusterIPs come from ({@code --service-cluster-ip-range}), for example the seed's
 * {@code 10.0.0.0/24} or a loopback range such as {@code 127.20.0.0/16}. As in kube-apiserver, neither the
 * network address nor the broadcast address is ever handed out, and the first usable address belongs to the
 * {@code kubernetes} Service.
 *
 * @param network      the network address as an unsigned 32-bit number (host bits zero)
 * @param prefixLength 12 to 30: kube-apiserver refuses ranges wider than /12, and a /31 or /32 has no usable
 *                     address once the network and broadcast addresses are left out
 */
public record ServiceCidr(long network, int prefixLength) {
    public static final int MIN_PREFIX = 12;
    public static final int MAX_PREFIX = 30;

    public ServiceCidr {
        if (prefixLength < MIN_PREFIX || prefixLength > MAX_PREFIX) {
            throw new IllegalArgumentException("a service CIDR must be between /" + MIN_PREFIX + " and /" + MAX_PREFIX
                    + ", was /" + prefixLength);
        }
        if (network < 0 || network > 0xFFFF_FFFFL) throw new IllegalArgumentException("not an IPv4 address: " + network);
        if ((network & ~mask(prefixLength)) != 0) {
            throw new IllegalArgumentException(Ipv4.format(network) + "/" + prefixLength
                    + " has host bits set; the network is " + Ipv4.format(network & mask(prefixLength)) + "/" + prefixLength);
        }
    }

    /** Parses {@code A.B.C.D/N}; host bits must be zero, as a range given by hand should say what it means. */
    public static ServiceCidr parse(String cidr) {
        if (cidr == null) throw new IllegalArgumentException("a service CIDR is needed, as in 10.0.0.0/24");
        String s = cidr.strip();
        int slash = s.indexOf('/');
        if (slash < 0) throw new IllegalArgumentException("service CIDR '" + cidr + "' needs a prefix length, as in 10.0.0.0/24");
        String ip = s.substring(0, slash);
        if (ip.contains(":")) {
            throw new IllegalArgumentException("service CIDR '" + cidr + "': only IPv4 service ranges are supported");
        }
        long network = Ipv4.parse(ip);
        if (network < 0) throw new IllegalArgumentException("service CIDR '" + cidr + "': '" + ip + "' is not an IPv4 address");
        int prefix;
        try {
            prefix = Integer.parseInt(s.substring(slash + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("service CIDR '" + cidr + "': the prefix length is not a number");
        }
        return new ServiceCidr(network, prefix);
    }

    /** How many addresses can be allocated: all but the network and broadcast addresses. */
    public long size() {
        return (1L << (32 - prefixLength)) - 2;
    }

    /** The first usable address (network + 1): the {@code kubernetes} Service's ClusterIP, 10.0.0.1 in 10.0.0.0/24. */
    public String firstAddress() {
        return Ipv4.format(network + 1);
    }

    /** True when {@code ip} is an IPv4 address this range may hand out (not the network or broadcast address). */
    public boolean contains(String ip) {
        long v = Ipv4.parse(ip);
        return v >= 0 && containsValue(v);
    }

    boolean containsValue(long ip) {
        return ip > network && ip < network + (1L << (32 - prefixLength)) - 1;
    }

    private static long mask(int prefix) {
        return (0xFFFF_FFFFL << (32 - prefix)) & 0xFFFF_FFFFL;
    }

    @Override
    public String toString() {
        return Ipv4.format(network) + "/" + prefixLength;
    }
}
