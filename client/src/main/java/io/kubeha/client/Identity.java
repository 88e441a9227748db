package io.kubeha.client;

import java.net.InetAddress;
import java.util.UUID;

/** Leader-election holder identities. */
public final class Identity {
    private Identity() {
    }

    /**
     * host_pid_random: names the host and the process (so an operator reading the Lease knows which process leads,
     * and a test can kill it by PID), unique even for several candidates in one JVM.
     */
    public static String forThisProcess() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            host = "unknown-host";
        }
        return host + "_" + ProcessHandle.current().pid() + "_" + UUID.randomUUID().toString().substring(0, 8);
    }
}
