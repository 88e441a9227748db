package io.kubeha.dns;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/** IP literals: parsed without ever resolving a name, in one canonical spelling, and in DNS's dashed label form. */
final class Ips {
    private static final Pattern V4 = Pattern.compile("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
    private static final Pattern V6 = Pattern.compile("[0-9a-fA-F:.]*:[0-9a-fA-F:.]*");

    private Ips() {}

    /** The address of an IP literal, or null when the text is not one (never a lookup). */
    static InetAddress parse(String text) {
        if (text == null) return null;
        if (!V4.matcher(text).matches() && !V6.matcher(text).matches()) return null;
        try {
            return InetAddress.getByName(text);
        } catch (UnknownHostException e) {
            return null;
        }
    }

    /** One spelling per address (IPv6 has many), or null for a text that is not an IP literal. */
    static String canonical(String text) {
        InetAddress a = parse(text);
        return a == null ? null : a.getHostAddress();
    }

    static boolean isV4(InetAddress a) {
        return a instanceof Inet4Address;
    }

    static boolean isV6(InetAddress a) {
        return a instanceof Inet6Address;
    }

    /** 10.1.2.3 as 10-1-2-3, fd00::1 as fd00-0-0-0-0-0-0-1: the label of pod and unnamed-endpoint records. */
    static String dashed(InetAddress a) {
        return a.getHostAddress().replace('.', '-').replace(':', '-');
    }

    /** The address of a dashed label (a-b-c-d, or eight dashed IPv6 groups), or null. */
    static InetAddress undash(String label) {
        String[] parts = label.split("-", -1);
        if (parts.length == 4) return parse(String.join(".", parts));
        if (parts.length > 2 && parts.length <= 8) return parse(label.replace('-', ':'));
        return null;
    }
}
