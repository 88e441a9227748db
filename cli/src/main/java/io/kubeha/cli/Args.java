package io.kubeha.cli;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses option values, with messages that say what a good value looks like. */
final class Args {
    private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h)");

    private Args() {}

    static InetSocketAddress hostPort(String option, String value) {
        int colon = value.lastIndexOf(':');
        if (colon <= 0 || colon == value.length() - 1) {
            throw new Main.UserError(option + " must be ADDRESS:PORT, as in 127.0.0.1:6443; got '" + value + "'");
        }
        int port;
        try {
            port = Integer.parseInt(value.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new Main.UserError(option + ": port '" + value.substring(colon + 1) + "' is not a number");
        }
        if (port < 0 || port > 65535) throw new Main.UserError(option + ": port " + port + " is out of range 0-65535");
        return new InetSocketAddress(value.substring(0, colon), port);
    }

    static Duration duration(String option, String value) {
        Matcher m = DURATION.matcher(value.strip());
        if (!m.matches()) {
            throw new Main.UserError(option + " must be a duration such as 500ms, 30s, 5m or 1h; got '" + value + "'");
        }
        long n = Long.parseLong(m.group(1));
        Duration d = switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofHours(n);
        };
        if (d.isZero()) throw new Main.UserError(option + " must be more than zero");
        return d;
    }

    /** An IP address as written (no name lookups), e.g. 10.10.102.91. */
    static java.net.InetAddress ipLiteral(String option, String ip) {
        String error = option + ": '" + ip + "' is not an IP address (e.g. 10.10.102.91)";
        if (!ip.matches("\\d{1,3}(\\.\\d{1,3}){3}") && !ip.contains(":")) throw new Main.UserError(error);
        try {
            if (ip.contains(":")) return java.net.InetAddress.getByName(ip); // an IPv6 literal: parsed, never looked up
            byte[] b = new byte[4];
            String[] parts = ip.split("\\.");
            for (int i = 0; i < 4; i++) {
                int v = Integer.parseInt(parts[i]);
                if (v > 255) throw new Main.UserError(error);
                b[i] = (byte) v;
            }
            return java.net.InetAddress.getByAddress(b);
        } catch (java.net.UnknownHostException e) {
            throw new Main.UserError(error);
        }
    }
}
