package io.kubeha.cli;

import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeha.agent.Agent;
import io.kubeha.agent.images.ImageStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

@Command(name = "agent", mixinStandardHelpOptions = true,
        description = "Runs a node agent (the kubelet's role): registers the node and runs the pods bound to it as processes.")
final class AgentCommand implements Callable<Integer> {
    @Option(names = "--kubeconfig", description = "The API server to use and the credentials (else join with --server and --token).")
    Path kubeconfig;

    @Option(names = "--server", paramLabel = "https://HOST:PORT", description = "Join this cluster with --token (kubeadm join): the agent "
            + "asks for its own client certificate and keeps it in DATA_DIR/kubelet.kubeconfig.")
    String server;

    @Option(names = "--token", description = "A bootstrap token (kubeha token create) to join with.")
    String token;

    @Option(names = "--discovery-token-ca-cert-hash", paramLabel = "sha256:HEX",
            description = "Pin the cluster CA (kubeha token create --print-join-command prints it); without, the CA is trusted "
                    + "because the token signed cluster-info.")
    String caHash;

    @Option(names = "--node-name", description = "This node's name (default: this machine's hostname, as the kubelet's).")
    String nodeName;

    @Option(names = "--node-ip", description = "This node's address: the agent's endpoint, NodePorts and hostIP (e.g. 127.10.103.96;"
            + " default: this machine's first non-loopback IPv4 address).")
    String nodeIp;

    @Option(names = "--data-dir", description = "The agent's folder: pods, logs, container state (default: ${DEFAULT-VALUE}).",
            defaultValue = "${sys:user.home}/.kubeha/agent")
    Path dataDir;

    @Option(names = "--node-labels", split = ",", paramLabel = "KEY=VALUE", description = "Labels the node registers with.")
    List<String> labels;

    @Option(names = "--pod-cidr", description = "The pods' addresses (loopback: e.g. 127.64.1.0/24; one per node). Default: the "
            + "Node's spec.podCIDR, given by the controller-manager's node IPAM (--cluster-cidr; on in kubeha server), waited for "
            + "after registration. Needed with --simulate-nodes, which slices it.")
    String podCidr;

    @Option(names = "--pod-cidr-wait", defaultValue = "2m", hidden = true,
            description = "How long to wait for the Node's spec.podCIDR without --pod-cidr (default: ${DEFAULT-VALUE}).")
    String podCidrWait;

    @Option(names = "--port", defaultValue = "10250", description = "The agent's endpoint port on the node IP (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--runtime", defaultValue = "process", description = "process (pods are OS processes) or simulated (default: ${DEFAULT-VALUE}).")
    String runtime;

    @Option(names = "--image-store", description = "Where images are (default: ${DEFAULT-VALUE}).", defaultValue = "${sys:user.home}/.kubeha/images")
    Path imageStore;

    @Option(names = "--preload-images", paramLabel = "DIR",
            description = "Import every NAME-VERSION.jar of this folder as NAME:VERSION when missing (default: the images built with kubeha).")
    Path preload;

    @Option(names = "--node-lease-renew-interval", defaultValue = "10s", description = "How often the node's Lease is renewed (default: ${DEFAULT-VALUE}).")
    String renewInterval;

    @Option(names = "--container-restart-backoff", defaultValue = "10s",
            description = "The first back-off before restarting a container that ended again, doubling to 5m (default: ${DEFAULT-VALUE}).")
    String backoff;

    @Option(names = "--cluster-dns", paramLabel = "IP", description = "The cluster DNS service's address, put in pods' resolv.conf (as the kubelet's flag).")
    String clusterDns;

    @Option(names = "--cluster-domain", defaultValue = "cluster.local", description = "The cluster's DNS domain (default: ${DEFAULT-VALUE}).")
    String clusterDomain;

    @Option(names = "--cpu", description = "CPUs the node offers (default: this machine's).")
    String cpu;

    @Option(names = "--memory", description = "Memory the node offers, e.g. 8Gi (default: this machine's).")
    String memory;

    @Option(names = "--max-pods", defaultValue = "110", description = "Pods the node takes (default: ${DEFAULT-VALUE}).")
    int maxPods;

    @Option(names = "--simulate-nodes", paramLabel = "N", defaultValue = "0",
            description = "With --runtime simulated: stand for N nodes, NODE-NAME-0 to NODE-NAME-(N-1), all on --node-ip, each with "
                    + "its own slice of --pod-cidr (give a large one, e.g. 10.0.0.0/8), as KWOK does for scale tests (default: none).")
    int simulateNodes;

    @Option(names = "--netns",
            description = "A network namespace per pod, joined to a bridge of this node by a veth pair, so containers bind any address "
                    + "and port; ClusterIPs become addresses of this node and other nodes' pod CIDRs are routed through their "
                    + "InternalIPs. Needs root, iproute2 and nsenter, and a routable --pod-cidr (e.g. 10.244.1.0/24).")
    boolean netns;

    @Option(names = "--certificate-renew-before", hidden = true, paramLabel = "DURATION",
            description = "Renew the agent's certificates at the latest this long before they expire (tests; the kubelet's "
                    + "jittered 70-90% of the lifetime otherwise).")
    String renewBefore;

    @Option(names = "--certificate-validity", hidden = true, paramLabel = "DURATION",
            description = "The lifetime the agent asks for its certificates (at least 10m; default: the signer's, a year).")
    String certificateValidity;

    @Option(names = "--apiserver-load-balancer", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Talk to the API servers through a local load balancer (127.0.0.1:PORT) that relays to the --kubeconfig's"
                    + " or --server's server first, then to whichever API server of the kubernetes Endpoints answers, so that losing"
                    + " a master loses nothing (k3s's agent load balancer; default: on; --no-apiserver-load-balancer for a direct client).")
    boolean loadBalancer;

    /**
     * Set by {@code kubeha server}'s local agent, whose --kubeconfig holds a node client certificate the server issued:
     * it renews itself as a joined agent's does. Not a flag.
     */
    boolean rotateKubeconfigCertificate;

    /** The agent as {@link #start} started it: close it to stop the agent (its pods keep running). */
    record Running(Agent agent, AutoCloseable resources) implements AutoCloseable {
        @Override
        public void close() throws Exception {
            resources.close();
        }
    }

    @Override
    public Integer call() throws Exception {
        CountDownLatch stop = new CountDownLatch(1);
        try (Running ignored = start()) {
            Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
            stop.await();
        }
        return 0;
    }

    /** Starts the agent these options describe and returns once it runs (its Node registered, its pod CIDR known). */
    Running start() throws Exception {
        Agent.Config config = config();
        ImageStore images = new ImageStore(config.imageStore());
        try {
            preloadImages(images, preload != null ? preload : defaultPreload());
            importSelf(images);
        } catch (IOException | RuntimeException e) {
            // several agents sharing one store may race to import the same image: the one that lost still runs
            System.err.println("kubeha agent: images not (re)imported into " + images.root() + ": " + e.getMessage());
        }
        Agent.Certificates certificates = certificates();
        Path credentials = kubeconfig;
        boolean rotate = rotateKubeconfigCertificate;
        if (credentials == null) {
            if (server == null || token == null) {
                throw new Main.UserError("give --kubeconfig, or --server https://HOST:6443 and --token T to join (kubeha token create prints one)");
            }
            credentials = TlsBootstrap.kubeconfig(config.dataDir(), server, token, caHash, nodeName, certificates.expirationSeconds());
            rotate = true;
        } else if (server != null || token != null) {
            throw new Main.UserError("--kubeconfig and --server/--token exclude each other: one says who the agent is");
        }
        Clients.Balancer balancer = loadBalancer ? Clients.Balancer.of(credentials) : null;
        // the certificate the agent joined with renews itself, as the kubelet's client certificate rotation
        TlsBootstrap.Rotating rotating = null;
        KubernetesClient client = null;
        Agent agent = null;
        try {
            if (rotate) rotating = TlsBootstrap.rotating(credentials, nodeName, certificates.expirationSeconds(), certificates.renewBefore(), balancer);
            client = rotating != null ? rotating.client() : Clients.fromKubeconfig(credentials, balancer);
            agent = start(new Agent(client, config, certificates).withPodCidrWait(Args.duration("--pod-cidr-wait", podCidrWait)));
        } catch (Exception | Error e) {
            closeAll(null, client, rotating, balancer);
            throw e;
        }
        String nodes = config.simulateNodes() == 0 ? "node " + nodeName
                : config.simulateNodes() + " simulated nodes " + nodeName + "-0.." + nodeName + "-" + (config.simulateNodes() - 1);
        System.err.println("kubeha agent: " + nodes + " (" + nodeIp + ") against " + (balancer != null ? balancer.describe() : client.getMasterUrl()) + ", "
                + config.runtime() + " runtime, pods in " + agent.podCidr() + (config.netns() ? " (a network namespace each)" : "") + ", endpoint " + agent.endpoint());
        Agent started = agent;
        KubernetesClient c = client;
        TlsBootstrap.Rotating r = rotating;
        return new Running(agent, () -> closeAll(started, c, r, balancer));
    }

    /** Closes what {@link #start} opened, last first (any may be null). */
    private static void closeAll(Agent agent, KubernetesClient client, TlsBootstrap.Rotating rotating, Clients.Balancer balancer) {
        if (agent != null) agent.close();
        if (rotating != null) rotating.close();
        else if (client != null) client.close();
        if (balancer != null) balancer.close();
    }

    Agent.Certificates certificates() {
        java.time.Duration before = renewBefore == null ? null : Args.duration("--certificate-renew-before", renewBefore);
        Integer seconds = null;
        if (certificateValidity != null) {
            long s = Args.duration("--certificate-validity", certificateValidity).toSeconds();
            if (s < 600) throw new Main.UserError("--certificate-validity must be at least 10m (kube's minimum expirationSeconds is 600), not " + certificateValidity);
            seconds = (int) Math.min(s, Integer.MAX_VALUE);
        }
        return new Agent.Certificates(before, seconds);
    }

    /** Starts the agent; no pod CIDR within the wait is one line, as a user error. */
    private static Agent start(Agent agent) throws IOException, InterruptedException {
        try {
            return agent.start();
        } catch (Agent.NoPodCidrException e) {
            agent.close();
            throw new Main.UserError(e.getMessage());
        }
    }

    Agent.Config config() {
        if (nodeName == null) nodeName = Hosts.nodeName("--node-name");
        if (nodeIp == null) nodeIp = Hosts.nodeIp();
        Map<String, String> l = new LinkedHashMap<>();
        if (labels != null) {
            for (String kv : labels) {
                int eq = kv.indexOf('=');
                if (eq <= 0) throw new Main.UserError("--node-labels: '" + kv + "' is not KEY=VALUE");
                l.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
        }
        if (!nodeIp.matches("\\d{1,3}(\\.\\d{1,3}){3}")) throw new Main.UserError("--node-ip must be an IPv4 address, got '" + nodeIp + "'");
        try {
            Agent.Config c = Agent.Config.defaults(nodeName, nodeIp, dataDir, podCidr);
            Map<String, Quantity> capacity = new LinkedHashMap<>(c.capacity());
            if (cpu != null) capacity.put("cpu", new Quantity(cpu));
            if (memory != null) capacity.put("memory", new Quantity(memory));
            capacity.put("pods", new Quantity(Integer.toString(maxPods)));
            var renew = Args.duration("--node-lease-renew-interval", renewInterval);
            var first = Args.duration("--container-restart-backoff", backoff);
            Agent.Config config = new Agent.Config(nodeName, nodeIp, dataDir, l, podCidr, port, runtime, imageStore, capacity,
                    c.leaseDuration(), renew, c.reportInterval(), first, c.maxBackoff(), c.jvmOptions(), clusterDns, clusterDomain,
                    simulateNodes, netns);
            if (netns) {
                List<String> missing = io.kubeha.agent.net.PodNetwork.missingForNamespaces();
                if (!missing.isEmpty()) throw new Main.UserError(missing.getFirst());
            }
            return config;
        } catch (IllegalArgumentException e) {
            throw new Main.UserError(e.getMessage());
        }
    }

    /**
     * kubeha itself as an image, {@code kubeha:latest}, so that its in-cluster parts (the cluster DNS) run as pods:
     * an entrypoint that runs this very build on this JVM. Re-imported at every start, so it follows the build.
     */
    static void importSelf(ImageStore images) throws IOException {
        String javaCommand = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        String classpath = System.getProperty("java.class.path");
        Path dir = Files.createTempDirectory("kubeha-image");
        try {
            Path entry = dir.resolve("entrypoint");
            Files.writeString(entry, "#!/bin/sh\n# kubeha, as built at " + classpath.split(File.pathSeparator)[0] + "\n"
                    + "exec '" + javaCommand + "' -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k ${KUBEHA_JAVA_OPTS:-} -cp '" + classpath
                    + "' io.kubeha.cli.Main \"$@\"\n");
            entry.toFile().setExecutable(true);
            images.importImage("kubeha:latest", dir);
        } finally {
            try (var files = Files.walk(dir)) {
                for (Path f : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(f);
            }
        }
    }

    /** The images built with kubeha (the launcher says where: -Dkubeha.images). */
    private static Path defaultPreload() {
        String dir = System.getProperty("kubeha.images");
        return dir == null ? null : Path.of(dir);
    }

    static void preloadImages(ImageStore store, Path dir) throws IOException {
        if (dir == null || !Files.isDirectory(dir)) return;
        try (var files = Files.list(dir)) {
            for (Path jar : files.filter(f -> f.getFileName().toString().matches("[a-z0-9][a-z0-9.-]*-\\d[\\w.]*\\.jar")).sorted().toList()) {
                String file = jar.getFileName().toString().replaceFirst("\\.jar$", "");
                int dash = file.lastIndexOf('-', file.indexOf('.') < 0 ? file.length() : file.indexOf('.'));
                String image = file.substring(0, dash) + ":" + file.substring(dash + 1);
                if (!store.has(image)) {
                    store.importImage(image, jar);
                    System.err.println("kubeha agent: imported " + image + " from " + jar);
                }
            }
        }
    }
}
