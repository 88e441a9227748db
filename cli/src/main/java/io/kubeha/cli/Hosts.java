package io.kubeha.cli;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** What a node is called and reached by when the user does not say: the kubelet's defaults. */
final class Hosts {
    private static final String DNS_SUBDOMAIN = "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";

    private Hosts() {}

    /** This machine's hostname, lower-cased, as the kubelet names its Node without --hostname-override. */
    static String nodeName(String flag) {
        String name;
        try {
            name = Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
        } catch (IOException e) {
            try {
                name = InetAddress.getLocalHost().getHostName();
            } catch (IOException e2) {
                throw new Main.UserError("cannot read this machine's hostname (" + e2.getMessage() + "): give " + flag + " NAME");
            }
        }
        name = name.toLowerCase(Locale.ROOT);
        if (name.length() > 253 || !name.matches(DNS_SUBDOMAIN)) {
            throw new Main.UserError("this machine's hostname '" + name + "' is not a valid node name (a DNS subdomain): give " + flag + " NAME");
        }
        return name;
    }

    /** This machine's first non-loopback IPv4 address (loopback if none), as the node's address. */
    static String nodeIp() {
        return io.kubeha.apiserver.ApiServerConfig.firstIpv4().getHostAddress();
    }
}
