package io.kubeha.agent.net;

import io.kubeha.client.net.Commands;
import io.kubeha.agent.pod.PodIps;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * Netns mode: each pod gets a network namespace {@code kh-<uid>} (a name under /run/netns, as {@code ip netns add}
 * makes it) with an {@code eth0} holding its address and a default route through the node's bridge, the other end of
 * that veth pair being a port of the bridge in the node's namespace; the bridge holds the pod CIDR's gateway address
 * (its first host address), so the node reaches its pods directly and routes their traffic (IPv4 forwarding on),
 * as the bridge CNI plugin with host-local IPAM does. Names: the bridge is {@code khb} + 8 hex digits of a hash of the
 * node name and a pod's host end {@code kh} + 12 hex digits of a hash of its uid, both within Linux's 15 characters.
 * <p>
 * Every step is idempotent ({@code addr replace}, {@code route replace}, links made only when missing), so an agent
 * that restarts and takes back its running pods finds their namespaces and leaves them as they are. Tear-down deletes
 * the host end (its peer goes with it) and the namespace's name; the kernel frees the namespace with its last process.
 * <p>
 * {@code hostNs} is the named namespace the node's side lives in, for tests that must not touch the machine's own
 * namespace; null (the agent) is this process's own namespace.
 */
final class NamespacePodNetwork implements PodNetwork {
    static final Path NETNS_DIR = Path.of("/run/netns");
    static final String PREFIX = "kh-";

    private final String hostNs;
    private final String bridge;
    private final String gateway;
    private final int bits;

    private NamespacePodNetwork(String hostNs, String bridge, String gateway, int bits) {
        this.hostNs = hostNs;
        this.bridge = bridge;
        this.gateway = gateway;
        this.bits = bits;
    }

    static NamespacePodNetwork create(String nodeName, String podCidr) throws IOException {
        return create(null, nodeName, podCidr);
    }

    /** The node's side in the named namespace {@code hostNs} (null: this process's). Makes the bridge. */
    static NamespacePodNetwork create(String hostNs, String nodeName, String podCidr) throws IOException {
        PodIps.Cidr cidr = PodIps.Cidr.parse(podCidr);
        if ((cidr.base() >>> 24) == 127) {
            throw new IllegalArgumentException("pod CIDR " + podCidr + " is a loopback range: with --netns give a routable one, e.g. 10.244.1.0/24");
        }
        NamespacePodNetwork n = new NamespacePodNetwork(hostNs, "khb" + hash(nodeName, 4), cidr.gateway(), cidr.bits());
        n.makeBridge();
        return n;
    }

    String bridge() {
        return bridge;
    }

    private void makeBridge() throws IOException {
        if (!linkExists(hostNs, bridge)) {
            try {
                Commands.ip(host("link", "add", bridge, "type", "bridge"));
            } catch (IOException e) {
                if (!linkExists(hostNs, bridge)) throw e; // else: made meanwhile
            }
        }
        Commands.ip(host("addr", "replace", gateway + "/" + bits, "dev", bridge));
        Commands.ip(host("link", "set", bridge, "up"));
        enableForwarding();
    }

    /** /proc/sys/net is per network namespace: the writer's own decides which one is changed. */
    private void enableForwarding() throws IOException {
        if (hostNs == null) {
            Files.writeString(Path.of("/proc/sys/net/ipv4/ip_forward"), "1\n", StandardCharsets.US_ASCII);
        } else {
            Commands.run(List.of(Commands.NSENTER, "--net=" + NETNS_DIR.resolve(hostNs), "/bin/sh", "-c",
                    "echo 1 > /proc/sys/net/ipv4/ip_forward"), null);
        }
    }

    @Override
    public void setUp(String uid, String ip) throws IOException {
        String ns = PREFIX + uid;
        String veth = veth(uid);
        if (!Files.exists(NETNS_DIR.resolve(ns))) {
            try {
                Commands.ip("netns", "add", ns);
            } catch (IOException e) {
                if (!Files.exists(NETNS_DIR.resolve(ns))) throw e;
            }
        }
        if (!linkExists(hostNs, veth)) {
            Commands.ip(host("link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns));
        }
        Commands.ip(host("link", "set", veth, "master", bridge, "up"));
        Commands.batch(ns, List.of(
                "link set lo up",
                "addr replace " + ip + "/" + bits + " dev eth0",
                "link set eth0 up",
                "route replace default via " + gateway + " dev eth0"));
    }

    @Override
    public void tearDown(String uid) throws IOException {
        String veth = veth(uid);
        if (linkExists(hostNs, veth)) {
            try {
                Commands.ip(host("link", "del", veth));
            } catch (IOException e) {
                if (linkExists(hostNs, veth)) throw e;
            }
        }
        if (Files.exists(NETNS_DIR.resolve(PREFIX + uid))) Commands.ip("netns", "del", PREFIX + uid);
    }

    @Override
    public Optional<Path> namespace(String uid) {
        Path p = NETNS_DIR.resolve(PREFIX + uid);
        return Files.exists(p) ? Optional.of(p) : Optional.empty();
    }

    /** The host end of a pod's veth pair. */
    static String veth(String uid) {
        return "kh" + hash(uid, 6);
    }

    private String[] host(String... args) {
        return withNs(hostNs, args);
    }

    static String[] withNs(String ns, String... args) {
        if (ns == null) return args;
        List<String> all = new ArrayList<>(List.of("-n", ns));
        all.addAll(List.of(args));
        return all.toArray(String[]::new);
    }

    static boolean linkExists(String ns, String name) {
        try {
            Commands.ip(withNs(ns, "-o", "link", "show", "dev", name));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static String hash(String s, int bytes) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e); // every JDK has SHA-256
        }
    }
}
