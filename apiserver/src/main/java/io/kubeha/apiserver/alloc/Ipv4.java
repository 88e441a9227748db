package io.kubeha.apiserver.alloc;

/** Dotted-quad IPv4 addresses as unsigned 32-bit numbers held in a long. */
final class Ipv4 {
    private Ipv4() {}

    /**
     * The address, or -1 when {@code s} is not a dotted-quad IPv4 address. Leading zeros are read as decimal
     * (as Go's ParseIPSloppy, which kube-apiserver uses), so {@code 10.0.0.010} is 10.0.0.10 and lands on the
     * same allocation key.
     */
    static long parse(String s) {
        if (s == null || s.isEmpty() || s.length() > 15) return -1;
        long value = 0;
        int octets = 0;
        int i = 0;
        while (i <= s.length()) {
            int start = i;
            int octet = 0;
            while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
                octet = octet * 10 + (s.charAt(i) - '0');
                i++;
            }
            if (i == start || i - start > 3 || octet > 255) return -1;
            value = (value << 8) | octet;
            octets++;
            if (i == s.length()) break;
            if (s.charAt(i) != '.' || octets == 4) return -1;
            i++;
        }
        return octets == 4 ? value : -1;
    }

    static String format(long ip) {
        return ((ip >>> 24) & 0xFF) + "." + ((ip >>> 16) & 0xFF) + "." + ((ip >>> 8) & 0xFF) + "." + (ip & 0xFF);
    }

    /** Looks like an IPv6 literal: what a dual-stack client would send to a cluster that has no IPv6 range. */
    static boolean looksLikeIpv6(String s) {
        if (s == null || !s.contains(":")) return false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = c == ':' || c == '.' || Character.digit(c, 16) >= 0;
            if (!ok) return false;
        }
        return true;
    }
}
