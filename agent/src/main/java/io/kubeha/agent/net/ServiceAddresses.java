package io.kubeha.agent.net;

import io.kubeha.client.net.Commands;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Netns mode's ClusterIPs: as kube-proxy's IPVS mode keeps every ClusterIP on its dummy interface kube-ipvs0, this
 * keeps each ClusterIP and externalIP the service proxy listens on as a /32 of the node's namespace, so that the
 * user-space proxy binds it exactly as it binds a loopback ClusterIP, and pods reach it through their default route
 * to the node. The addresses sit on {@code lo} with the label {@code lo:khsvc} (a dummy interface needs a kernel
 * module that machines may lack; an address on lo is local all the same), and the label is how the addresses this
 * agent manages are told from any other: the ones a restarted agent finds are adopted, the ones no service wants
 * any more are removed. Loopback addresses (127/8, today's loopback mode) need nothing and are left alone.
 * <p>
 * {@code hostNs}: the named namespace to manage (tests); null, this process's own.
 */
public final class ServiceAddresses implements io.kubeha.agent.proxy.ServiceProxy.Addresses {
    private static final Logger LOG = LoggerFactory.getLogger(ServiceAddresses.class);
    static final String LABEL = "lo:khsvc";

    private final String hostNs;
    private Set<String> have;

    ServiceAddresses(String hostNs) {
        this.hostNs = hostNs;
    }

    /** The ClusterIPs of this process's network namespace. */
    public static ServiceAddresses ofThisNamespace() {
        return new ServiceAddresses(null);
    }

    /**
     * Makes the managed addresses exactly {@code wanted} (minus loopback ones): adds the missing, removes the rest.
     * Cheap when nothing changed (the last state is remembered; the system is read once, on the first call).
     */
    @Override
    public synchronized void keep(Collection<String> wanted) throws IOException {
        Set<String> want = new TreeSet<>();
        for (String ip : wanted) {
            if (ip.matches("\\d{1,3}(\\.\\d{1,3}){3}") && !ip.startsWith("127.")) want.add(ip);
        }
        if (have == null) have = current();
        List<String> lines = new ArrayList<>();
        for (String ip : want) if (!have.contains(ip)) lines.add("addr replace " + ip + "/32 dev lo label " + LABEL); // taken over if there without the label
        for (String ip : have) if (!want.contains(ip)) lines.add("addr del " + ip + "/32 dev lo");
        if (lines.isEmpty()) return;
        try {
            Commands.batch(hostNs, lines);
        } catch (IOException e) {
            have = null; // read again next time: some lines may have been applied
            throw e;
        }
        LOG.info("service addresses: {} on lo ({} added, {} removed)", want.size(), want.stream().filter(ip -> !have.contains(ip)).count(),
                have.stream().filter(ip -> !want.contains(ip)).count());
        have = want;
    }

    /** The addresses carrying the label now. */
    synchronized Set<String> current() throws IOException {
        Set<String> out = new LinkedHashSet<>();
        String text = Commands.ip(NamespacePodNetwork.withNs(hostNs, "-o", "-4", "addr", "show", "dev", "lo", "label", LABEL));
        for (String line : text.split("\n")) {
            int at = line.indexOf(" inet ");
            if (at < 0) continue;
            String cidr = line.substring(at + 6).strip().split("\\s+")[0];
            out.add(cidr.substring(0, cidr.indexOf('/')));
        }
        return out;
    }
}
