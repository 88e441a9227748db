package io.kubeha.agent.net;

import io.kubeha.client.net.Commands;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A pod's network on this node, as a CNI plugin provides it to the kubelet: the pod worker only asks for "this pod
 * uid gets this address" and "this pod is gone", and learns where its containers must run.
 * <ul>
 *   <li>{@link #loopback()}: today's default, nothing to set up; a pod's address is a loopback one (127.x from the
 *       pod CIDR) that its processes bind in the node's own network namespace.</li>
 *   <li>{@link #namespaces}: {@code --netns}, a network namespace per pod with a veth pair to the node's bridge, so
 *       that a container can bind any address and port (two pods both on 0.0.0.0:8080).</li>
 * </ul>
 * Both are idempotent: {@link #setUp} on a pod whose network exists (an agent restarted and took its pods back)
 * leaves it as it is, and {@link #tearDown} of a pod with no network does nothing.
 */
public interface PodNetwork {
    /** Gives the pod {@code uid} the address {@code ip} (from the node's pod CIDR), creating what it needs. */
    void setUp(String uid, String ip) throws IOException;

    /** Removes what {@link #setUp} made for the pod (its containers have ended). */
    void tearDown(String uid) throws IOException;

    /** The network namespace the pod's containers run in (a file to {@code setns} to); empty: the node's own. */
    Optional<Path> namespace(String uid);

    /**
     * {@code argv} as a command that runs in the pod's network namespace ({@code nsenter --net=NETNS --} first), for
     * what runs beside the containers but must see the pod's network, as exec probes (which Kubernetes runs in the
     * container); unchanged when the pod has no namespace of its own or {@code argv} is empty.
     */
    default List<String> inPod(String uid, List<String> argv) {
        var ns = namespace(uid);
        if (ns.isEmpty() || argv == null || argv.isEmpty()) return argv;
        List<String> out = new java.util.ArrayList<>(List.of(Commands.NSENTER, "--net=" + ns.get(), "--"));
        out.addAll(argv);
        return out;
    }

    /** Today's behaviour: pods' addresses are loopback ones in the node's namespace; nothing to set up. */
    static PodNetwork loopback() {
        return LoopbackPodNetwork.INSTANCE;
    }

    /**
     * A network namespace per pod, joined by a veth pair to a bridge of this node holding the pod CIDR's gateway
     * (its first host address), in the namespace of this process. Creates the bridge now and turns on IPv4
     * forwarding in this namespace.
     *
     * @param nodeName names the bridge, so that two agents in one namespace would not share one by accident
     * @param podCidr  the node's pod CIDR, e.g. 10.244.1.0/24
     * @throws IOException when the bridge cannot be made (the message says why: not root, no iproute2, ...)
     */
    static PodNetwork namespaces(String nodeName, String podCidr) throws IOException {
        return NamespacePodNetwork.create(nodeName, podCidr);
    }

    /**
     * What netns mode needs and this machine lacks, in one line each (empty: all there): root, {@code ip}
     * (iproute2) and {@code nsenter} (util-linux).
     */
    static List<String> missingForNamespaces() {
        List<String> missing = new java.util.ArrayList<>();
        if (!io.kubeha.agent.runtime.ProcessRuntime.isRoot()) missing.add("--netns needs root (it creates network namespaces, veth pairs and a bridge)");
        if (!java.nio.file.Files.isExecutable(Path.of(Commands.IP)) && !onPath("ip")) {
            missing.add("--netns needs the ip command (install iproute2: apt-get install -y iproute2)");
        }
        if (!java.nio.file.Files.isExecutable(Path.of(Commands.NSENTER))) {
            missing.add("--netns needs " + Commands.NSENTER + " (install util-linux)");
        }
        return missing;
    }

    private static boolean onPath(String program) {
        String path = System.getenv("PATH");
        if (path == null) return false;
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (java.nio.file.Files.isExecutable(Path.of(dir, program))) return true;
        }
        return false;
    }
}
