package io.kubeha.agent;

import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeha.agent.images.ImageStore;
import io.kubeha.agent.logs.AgentHttpServer;
import io.kubeha.agent.logs.ContainerLogs;
import io.kubeha.agent.net.NodeRoutes;
import io.kubeha.agent.net.PodNetwork;
import io.kubeha.agent.net.ServiceAddresses;
import io.kubeha.agent.node.NodeReporter;
import io.kubeha.agent.pod.PodContext;
import io.kubeha.agent.pod.PodIps;
import io.kubeha.agent.pod.PodManager;
import io.kubeha.agent.proxy.ServiceProxy;
import io.kubeha.agent.runtime.ContainerRuntime;
import io.kubeha.agent.runtime.ProcessRuntime;
import io.kubeha.agent.runtime.SimulatedRuntime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The node agent, the kubelet's role: registers its Node and keeps its Lease, runs the pods bound to it through a
 * container runtime, and serves their logs; and kube-proxy's role: its {@link ServiceProxy} forwards the node ports
 * and ClusterIPs of every Service to the service's ready endpoints. A plain API client (fabric8), as every component but the API server.
 * Stopping the agent leaves the pods' processes running: the next agent on this data folder takes them back.
 */
public final class Agent implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Agent.class);

    /**
     * @param dataDir        the agent's folder: pods' working folders, logs, container state, pod IPs
     * @param imageStore     where images are (see {@link ImageStore})
     * @param port           the agent's endpoint port on the node IP (the kubelet's 10250)
     * @param runtime        "process" or "simulated"
     * @param initialBackoff the first container restart back-off (the kubelet's 10s)
     * @param simulateNodes  0: this agent is the node {@code nodeName}; N &gt; 0 (simulated runtime only): it stands
     *                       for N nodes, {@code nodeName-0} to {@code nodeName-(N-1)}, all on {@code nodeIp}, each
     *                       with its own slice of {@code podCidr}, as KWOK does for scale tests
     * @param netns          a network namespace per pod (root; see {@link io.kubeha.agent.net.PodNetwork}) instead of
     *                       loopback pod addresses; ClusterIPs then become addresses of the agent's namespace and
     *                       other nodes' pod CIDRs are routed through their InternalIPs
     * @param podCidr        the node's pod range; null: the one the Node is given (node IPAM: the controller-manager's
     *                       --cluster-cidr), waited for after registration (see {@link #withPodCidrWait})
     */
    public record Config(String nodeName, String nodeIp, Path dataDir, Map<String, String> labels, String podCidr, int port,
                         String runtime, Path imageStore, Map<String, Quantity> capacity,
                         Duration leaseDuration, Duration renewInterval, Duration reportInterval,
                         Duration initialBackoff, Duration maxBackoff, List<String> jvmOptions, String clusterDns,
                         String clusterDomain, int simulateNodes, boolean netns) {
        public Config {
            Objects.requireNonNull(nodeName, "nodeName");
            Objects.requireNonNull(nodeIp, "nodeIp");
            Objects.requireNonNull(dataDir, "dataDir");
            labels = Map.copyOf(labels);
            capacity = Map.copyOf(capacity);
            jvmOptions = List.copyOf(jvmOptions);
            if (!runtime.equals("process") && !runtime.equals("simulated")) {
                throw new IllegalArgumentException("runtime must be process or simulated, not " + runtime);
            }
            if (podCidr != null && podCidr.isBlank()) podCidr = null; // none: the Node's, given by node IPAM (see start)
            if (podCidr == null && simulateNodes > 0) {
                throw new IllegalArgumentException("simulated nodes slice --pod-cidr among them: give one (e.g. 10.0.0.0/8)");
            }
            if (podCidr != null) PodIps.Cidr.parse(podCidr); // fails early with what is wrong
            if (clusterDns != null && !clusterDns.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
                throw new IllegalArgumentException("the cluster DNS must be an IPv4 address (the kube-dns Service's ClusterIP), not " + clusterDns);
            }
            if (clusterDomain == null || clusterDomain.isBlank()) clusterDomain = "cluster.local";
            if (simulateNodes < 0) throw new IllegalArgumentException("the number of simulated nodes cannot be negative: " + simulateNodes);
            if (simulateNodes > 0 && !runtime.equals("simulated")) {
                throw new IllegalArgumentException("simulated nodes need the simulated runtime (--runtime simulated)");
            }
            if (simulateNodes > 0) PodIps.Cidr.parse(podCidr).split(simulateNodes); // fails early if the CIDR is too small
            if (netns && !runtime.equals("process")) throw new IllegalArgumentException("--netns needs the process runtime");
            if (netns && podCidr != null && podCidr.startsWith("127.")) {
                throw new IllegalArgumentException("with --netns the pod CIDR must be a routable range (e.g. 10.244.1.0/24), not the loopback "
                        + podCidr);
            }
        }

        /** Loopback pod addresses (no --netns). */
        public Config(String nodeName, String nodeIp, Path dataDir, Map<String, String> labels, String podCidr, int port,
                      String runtime, Path imageStore, Map<String, Quantity> capacity,
                      Duration leaseDuration, Duration renewInterval, Duration reportInterval,
                      Duration initialBackoff, Duration maxBackoff, List<String> jvmOptions, String clusterDns,
                      String clusterDomain, int simulateNodes) {
            this(nodeName, nodeIp, dataDir, labels, podCidr, port, runtime, imageStore, capacity, leaseDuration, renewInterval,
                    reportInterval, initialBackoff, maxBackoff, jvmOptions, clusterDns, clusterDomain, simulateNodes, false);
        }

        /** A network namespace per pod ({@code --netns}), or not. */
        public Config withNetns(boolean netns) {
            return new Config(nodeName, nodeIp, dataDir, labels, podCidr, port, runtime, imageStore, capacity, leaseDuration,
                    renewInterval, reportInterval, initialBackoff, maxBackoff, jvmOptions, clusterDns, clusterDomain, simulateNodes, netns);
        }

        /** One node (no simulated nodes). */
        public Config(String nodeName, String nodeIp, Path dataDir, Map<String, String> labels, String podCidr, int port,
                      String runtime, Path imageStore, Map<String, Quantity> capacity,
                      Duration leaseDuration, Duration renewInterval, Duration reportInterval,
                      Duration initialBackoff, Duration maxBackoff, List<String> jvmOptions, String clusterDns,
                      String clusterDomain) {
            this(nodeName, nodeIp, dataDir, labels, podCidr, port, runtime, imageStore, capacity, leaseDuration, renewInterval,
                    reportInterval, initialBackoff, maxBackoff, jvmOptions, clusterDns, clusterDomain, 0);
        }

        /** This agent stands for {@code n} simulated nodes (needs the simulated runtime). */
        public Config withSimulatedNodes(int n) {
            return new Config(nodeName, nodeIp, dataDir, labels, podCidr, port, runtime, imageStore, capacity, leaseDuration,
                    renewInterval, reportInterval, initialBackoff, maxBackoff, jvmOptions, clusterDns, clusterDomain, n, netns);
        }

        /** The names of the nodes this agent is. */
        public List<String> nodeNames() {
            if (simulateNodes == 0) return List.of(nodeName);
            List<String> names = new java.util.ArrayList<>(simulateNodes);
            for (int i = 0; i < simulateNodes; i++) names.add(nodeName + "-" + i);
            return names;
        }

        /** The kubelet's defaults; capacity from this machine. */
        public static Config defaults(String nodeName, String nodeIp, Path dataDir, String podCidr) {
            Map<String, Quantity> capacity = new LinkedHashMap<>();
            capacity.put("cpu", new Quantity(Integer.toString(java.lang.Runtime.getRuntime().availableProcessors())));
            long memory = ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                    .getTotalMemorySize();
            capacity.put("memory", new Quantity((memory / 1024) + "Ki"));
            capacity.put("pods", new Quantity("110"));
            capacity.put("ephemeral-storage", new Quantity((dataDir.toFile().getTotalSpace() / 1024) + "Ki"));
            return new Config(nodeName, nodeIp, dataDir, Map.of(), podCidr, 10250, "process",
                    Path.of(System.getProperty("user.home"), ".kubeha", "images"), capacity,
                    Duration.ofSeconds(40), Duration.ofSeconds(10), Duration.ofMinutes(5),
                    Duration.ofSeconds(10), Duration.ofMinutes(5), List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k"),
                    null, "cluster.local");
        }

        public Config withLabels(Map<String, String> labels) {
            return new Config(nodeName, nodeIp, dataDir, labels, podCidr, port, runtime, imageStore, capacity, leaseDuration,
                    renewInterval, reportInterval, initialBackoff, maxBackoff, jvmOptions, clusterDns, clusterDomain, simulateNodes, netns);
        }

        public Config withPort(int port) {
            return new Config(nodeName, nodeIp, dataDir, labels, podCidr, port, runtime, imageStore, capacity, leaseDuration,
                    renewInterval, reportInterval, initialBackoff, maxBackoff, jvmOptions, clusterDns, clusterDomain, simulateNodes, netns);
        }

        public Config withRuntime(String runtime) {
            return new Config(nodeName, nodeIp, dataDir, labels, podCidr, port, runtime, imageStore, capacity, leaseDuration,
                    renewInterval, reportInterval, initialBackoff, maxBackoff, jvmOptions, clusterDns, clusterDomain, simulateNodes, netns);
        }

        public Config withImageStore(Path imageStore) {
            return new Config(nodeName, nodeIp, dataDir, labels, podCidr, port, runtime, imageStore, capacity, leaseDuration,
                    renewInterval, reportInterval, initialBackoff, maxBackoff, jvmOptions, clusterDns, clusterDomain, simulateNodes, netns);
        }

        public Config withHeartbeat(Duration leaseDuration, Duration renewInterval, Duration reportInterval) {
            return new Config(nodeName, nodeIp, dataDir, labels, podCidr, port, runtime, imageStore, capacity, leaseDuration,
                    renewInterval, reportInterval, initialBackoff, maxBackoff, jvmOptions, clusterDns, clusterDomain, simulateNodes, netns);
        }

        public Config withClusterDns(String clusterDns, String clusterDomain) {
            return new Config(nodeName, nodeIp, dataDir, labels, podCidr, port, runtime, imageStore, capacity, leaseDuration,
                    renewInterval, reportInterval, initialBackoff, maxBackoff, jvmOptions, clusterDns, clusterDomain, simulateNodes, netns);
        }

        public Config withBackoff(Duration initialBackoff, Duration maxBackoff) {
            return new Config(nodeName, nodeIp, dataDir, labels, podCidr, port, runtime, imageStore, capacity, leaseDuration,
                    renewInterval, reportInterval, initialBackoff, maxBackoff, jvmOptions, clusterDns, clusterDomain, simulateNodes, netns);
        }
    }

    /**
     * How the agent renews its certificates (see {@link io.kubeha.agent.certificates.CertificateManager}): the
     * kubelet's jittered 70-90% of the lifetime, or at the latest {@code renewBefore} before the end; certificates asked
     * for with {@code expirationSeconds} (null: the signer's default, a year).
     */
    public record Certificates(java.time.Duration renewBefore, Integer expirationSeconds) {
        public static final Certificates DEFAULT = new Certificates(null, null);
    }

    private final KubernetesClient client;
    private final Config config;
    private final Certificates certificates;
    private io.kubeha.agent.certificates.CertificateManager servingCerts;
    private ContainerRuntime runtime;
    private final List<NodeReporter> reporters = new java.util.concurrent.CopyOnWriteArrayList<>();
    private ScheduledExecutorService heartbeats;
    private PodManager pods;
    private AgentHttpServer http;
    private ServiceProxy proxy;
    private NodeRoutes routes;

    public Agent(KubernetesClient client, Config config) {
        this(client, config, Certificates.DEFAULT);
    }

    public Agent(KubernetesClient client, Config config, Certificates certificates) {
        this.client = client;
        this.config = config;
        this.certificates = certificates;
    }

    public Config config() {
        return config;
    }

    public Agent start() throws IOException, InterruptedException {
        if (config.netns()) {
            List<String> missing = PodNetwork.missingForNamespaces();
            if (!missing.isEmpty()) throw new IllegalStateException(String.join("; ", missing));
        }
        Path data = Files.createDirectories(config.dataDir());
        runtime = config.runtime().equals("simulated") ? new SimulatedRuntime() : new ProcessRuntime(data.resolve("containers"));
        ContainerLogs logs = new ContainerLogs(data.resolve("logs"));
        http = new AgentHttpServer(new InetSocketAddress(config.nodeIp(), config.port()), logs, (podKey, container) -> true, tls(data)).start();
        if (config.simulateNodes() > 0) {
            podCidr = config.podCidr();
            return startSimulated(data);
        }
        int port = http.address().getPort();
        NodeReporter reporter = new NodeReporter(client, new NodeReporter.Config(config.nodeName(), config.nodeIp(), config.labels(), config.podCidr(),
                port, config.capacity(), config.leaseDuration(), config.renewInterval(), config.reportInterval(), runtime.name()));
        if (config.podCidr() == null) reporter.networkNotReady("no pod CIDR yet: the node's spec.podCIDR is empty");
        reporters.add(reporter.start());
        podCidr = config.podCidr() != null ? config.podCidr() : awaitPodCidr(reporter);
        PodNetwork network = PodNetwork.loopback();
        ServiceProxy.Addresses addresses = ServiceProxy.Addresses.NONE;
        if (config.netns()) {
            network = PodNetwork.namespaces(config.nodeName(), podCidr);
            addresses = ServiceAddresses.ofThisNamespace();
            routes = NodeRoutes.forNode(client, config.nodeName()).start();
        }
        PodContext ctx = podContext(config.nodeName(), new PodIps(podCidr, data.resolve("pod-ips")), data).withNetwork(network);
        pods = new PodManager(ctx).start();
        proxy = new ServiceProxy(client, ServiceProxy.Config.defaults(config.nodeName(), config.nodeIp()), addresses).start();
        rotation = Thread.ofVirtual().name("log-rotation").start(() -> rotateLogs(logs));
        if (config.podCidr() == null) reporter.podCidrGiven(podCidr);
        LOG.info("agent for node {} ({}) running pods with the {} runtime, pod CIDR {}{}{}", config.nodeName(), config.nodeIp(), runtime.name(),
                podCidr, config.podCidr() == null ? " (the node's, from node IPAM)" : "", config.netns() ? ", a network namespace per pod" : "");
        return this;
    }

    /** How long an agent without --pod-cidr waits for its Node's spec.podCIDR before it gives up. */
    public static final Duration POD_CIDR_WAIT = Duration.ofMinutes(2);
    private Duration podCidrWait = POD_CIDR_WAIT;
    private volatile String podCidr;

    /** Waits this long for the Node's spec.podCIDR (without a pod CIDR in the config); set before start. */
    public Agent withPodCidrWait(Duration wait) {
        this.podCidrWait = wait;
        return this;
    }

    /**
     * With an HTTPS API server, the agent's port serves HTTPS too, as the kubelet with serverTLSBootstrap: its serving
     * certificate (CN system:node:NAME, O system:nodes, SANs the node's address and name) comes from a
     * kubernetes.io/kubelet-serving CSR, is kept in DATA_DIR/pki/kubelet-server-current.pem (0600; reused at the next
     * start while the cluster CA signed it and it has not expired) and renewed before it expires; client
     * certificates are checked against the cluster CA of the agent's kubeconfig. A plain-HTTP API server (tests):
     * plain HTTP, null.
     */
    private AgentHttpServer.Tls tls(Path data) throws IOException {
        var cfg = client.getConfiguration();
        if (cfg.getMasterUrl() == null || !cfg.getMasterUrl().startsWith("https:")) return null;
        List<java.security.cert.X509Certificate> cas = clusterCas(cfg);
        Path pem = data.resolve("pki").resolve("kubelet-server-current.pem");
        io.kubeha.security.pki.CertAndKey kept = keptServing(pem, cas);
        var keys = new io.kubeha.security.pki.ReloadingKeyManager(kept);
        List<String> dns = config.nodeName().matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
                ? List.of(config.nodeName()) : List.of();
        var spec = new io.kubeha.agent.certificates.CertificateManager.Spec("serving", "kubernetes.io/kubelet-serving",
                "system:node:" + config.nodeName(), List.of("system:nodes"), dns, List.of(java.net.InetAddress.getByName(config.nodeIp())),
                List.of("digital signature", "key encipherment", "server auth"), certificates.expirationSeconds(), certificates.renewBefore(), true);
        servingCerts = new io.kubeha.agent.certificates.CertificateManager(client, spec, keys, c -> {
            try {
                io.kubeha.security.pki.Pki.writeSecret(pem, c.keyPem() + c.certPem());
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("cannot write " + pem + ": " + e.getMessage(), e);
            }
        }).start();
        if (kept == null) LOG.info("no serving certificate yet: the agent's port refuses TLS handshakes until one is issued");
        return new AgentHttpServer.Tls(keys.sslContext(cas), new io.kubeha.agent.certificates.KubeletAuthorizer(client, config.nodeName()));
    }

    /** The cluster CA the agent's kubeconfig trusts: client certificates of the agent's port must be signed by it. */
    private static List<java.security.cert.X509Certificate> clusterCas(io.fabric8.kubernetes.client.Config cfg) throws IOException {
        String pem;
        if (cfg.getCaCertData() != null && !cfg.getCaCertData().isEmpty()) {
            pem = new String(java.util.Base64.getDecoder().decode(cfg.getCaCertData().strip()), java.nio.charset.StandardCharsets.UTF_8);
        } else if (cfg.getCaCertFile() != null && !cfg.getCaCertFile().isEmpty()) {
            pem = Files.readString(Path.of(cfg.getCaCertFile()));
        } else {
            throw new IllegalStateException("the agent's kubeconfig names no certificate authority: the agent's port cannot tell whose "
                    + "client certificates to accept (give certificate-authority-data)");
        }
        return io.kubeha.security.pki.Pem.certs(pem);
    }

    /** The serving certificate kept from a previous start, if the cluster CA signed it and it is still valid. */
    private io.kubeha.security.pki.CertAndKey keptServing(Path pem, List<java.security.cert.X509Certificate> cas) {
        if (!Files.exists(pem)) return null;
        try {
            String text = Files.readString(pem);
            var cert = io.kubeha.security.pki.Pem.certs(text).getFirst();
            var key = io.kubeha.security.pki.Pem.privateKey(text);
            cert.checkValidity();
            boolean signed = false;
            for (var ca : cas) {
                try {
                    cert.verify(ca.getPublicKey());
                    signed = true;
                } catch (java.security.GeneralSecurityException e) {
                    // another CA
                }
            }
            if (!signed) {
                LOG.info("{} is not from this cluster's CA: asking for a new serving certificate", pem);
                return null;
            }
            return new io.kubeha.security.pki.CertAndKey(cert, key);
        } catch (IOException | RuntimeException | java.security.GeneralSecurityException e) {
            LOG.info("{} cannot be used ({}): asking for a new serving certificate", pem, e.getMessage());
            return null;
        }
    }

    /** The serving certificate the agent's port presents now (null: plain HTTP, or none issued yet). */
    public java.security.cert.X509Certificate servingCertificate() {
        return servingCerts == null ? null : servingCerts.current();
    }


    /** The pods' range: the config's, else the Node's once given; null before start. */
    public String podCidr() {
        return podCidr;
    }

    /** No pod CIDR came within the wait: what to do about it, in one line. */
    public static final class NoPodCidrException extends IllegalStateException {
        NoPodCidrException(String message) {
            super(message);
        }
    }

    /** The Node's spec.podCIDR, polled with a progress line every 10 s, until the wait runs out. */
    private String awaitPodCidr(NodeReporter reporter) throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + podCidrWait.toNanos();
        long nextLine = start;
        while (true) {
            String cidr;
            try {
                cidr = reporter.podCidrOfNode();
            } catch (RuntimeException e) {
                cidr = null;
                LOG.debug("reading node {}: {}", config.nodeName(), e.toString());
            }
            if (cidr != null) {
                LOG.info("node {} was given pod CIDR {}", config.nodeName(), cidr);
                return cidr;
            }
            long now = System.nanoTime();
            if (now - deadline >= 0) {
                throw new NoPodCidrException("no pod CIDR: start the controller-manager with --cluster-cidr, or pass --pod-cidr (node "
                        + config.nodeName() + " has no spec.podCIDR after " + podCidrWait.toSeconds() + " s)");
            }
            if (now - nextLine >= 0) {
                LOG.info("node {} has no pod CIDR yet: waiting for the controller-manager to give one (node IPAM, --cluster-cidr); {} s of {} s",
                        config.nodeName(), Duration.ofNanos(now - start).toSeconds(), podCidrWait.toSeconds());
                nextLine = now + Duration.ofSeconds(10).toNanos();
            }
            Thread.sleep(500);
        }
    }

    /** The kubelet's containerLogMaxSize and containerLogMaxFiles. */
    static final long LOG_MAX_BYTES = 10L * 1024 * 1024;
    static final int LOG_MAX_FILES = 5;
    private Thread rotation;

    private static void rotateLogs(ContainerLogs logs) {
        while (!Thread.currentThread().isInterrupted()) {
            try {
                Thread.sleep(10_000);
                logs.rotate(LOG_MAX_BYTES, LOG_MAX_FILES);
            } catch (InterruptedException e) {
                return;
            } catch (IOException | RuntimeException e) {
                LOG.warn("rotating container logs: {}", e.toString());
            }
        }
    }

    private PodContext podContext(String nodeName, PodIps ips, Path data) {
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        return new PodContext(client, nodeName, config.nodeIp(), runtime, new ImageStore(config.imageStore()),
                ips, data.resolve("pods"), data.resolve("logs"), Clock.systemUTC(),
                config.initialBackoff(), config.maxBackoff(), java, config.jvmOptions(), this::event, config.clusterDns(), config.clusterDomain());
    }

    /**
     * Many simulated nodes in this one process: their heartbeats on one shared timer (not a thread per node), their
     * pods fed by one informer, their pod IPs in memory from each node's slice of the pod CIDR. No service proxy:
     * simulated pods have nothing listening to forward to.
     */
    private Agent startSimulated(Path data) throws InterruptedException {
        int port = http.address().getPort();
        List<String> names = config.nodeNames();
        List<String> cidrs = PodIps.Cidr.parse(config.podCidr()).split(names.size());
        heartbeats = Executors.newScheduledThreadPool(2, Thread.ofPlatform().daemon().name("node-heartbeat-", 0).factory());
        List<PodContext> contexts = new java.util.ArrayList<>(names.size());
        for (int i = 0; i < names.size(); i++) contexts.add(podContext(names.get(i), PodIps.inMemory(cidrs.get(i)), data));
        pods = new PodManager(contexts).start();
        // registration: a few at a time, so that a thousand nodes take seconds, not minutes, without flooding the server
        var registered = new java.util.concurrent.atomic.AtomicInteger();
        try (var pool = Executors.newFixedThreadPool(8, Thread.ofVirtual().name("node-register-", 0).factory())) {
            List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
            for (int i = 0; i < names.size(); i++) {
                String name = names.get(i);
                String cidr = cidrs.get(i);
                done.add(pool.submit(() -> {
                    reporters.add(new NodeReporter(client, new NodeReporter.Config(name, config.nodeIp(), config.labels(), cidr, port,
                            config.capacity(), config.leaseDuration(), config.renewInterval(), config.reportInterval(), runtime.name()),
                            heartbeats).start());
                    int n = registered.incrementAndGet();
                    if (n % 100 == 0) LOG.info("{} of {} simulated nodes registered", n, names.size());
                    return null;
                }));
            }
            for (var f : done) {
                try {
                    f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    throw new IllegalStateException("registering a simulated node failed: " + e.getCause(), e.getCause());
                }
            }
        }
        LOG.info("agent simulating {} nodes {}..{} ({}), pod CIDR {} ({} each)", names.size(), names.getFirst(), names.getLast(),
                config.nodeIp(), config.podCidr(), cidrs.getFirst().substring(cidrs.getFirst().indexOf('/')));
        return this;
    }

    /** The agent's endpoint (logs, health). */
    public InetSocketAddress endpoint() {
        return http.address();
    }

    /** A core/v1 Event from the kubelet about a pod, as kubectl describe shows it. */
    private void event(Pod pod, String type, String reason, String message) {
        try {
            String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
            client.v1().events().inNamespace(pod.getMetadata().getNamespace()).resource(new EventBuilder()
                    .withNewMetadata().withName(pod.getMetadata().getName() + "." + Long.toHexString(System.nanoTime()))
                    .withNamespace(pod.getMetadata().getNamespace()).endMetadata()
                    .withInvolvedObject(new ObjectReferenceBuilder().withApiVersion("v1").withKind("Pod")
                            .withName(pod.getMetadata().getName()).withNamespace(pod.getMetadata().getNamespace())
                            .withUid(pod.getMetadata().getUid()).build())
                    .withType(type).withReason(reason).withMessage(message)
                    .withNewSource().withComponent("kubelet").withHost(config.nodeName()).endSource()
                    .withReportingComponent("kubelet").withReportingInstance(config.nodeName())
                    .withFirstTimestamp(now).withLastTimestamp(now).withCount(1).build()).create();
        } catch (RuntimeException e) {
            LOG.debug("event {} for pod {} not recorded: {}", reason, pod.getMetadata().getName(), e.toString());
        }
    }

    /** Stops the agent; the pods' processes keep running for the next agent on this data folder. */
    @Override
    public void close() {
        if (rotation != null) rotation.interrupt();
        if (proxy != null) proxy.close();
        if (routes != null) routes.close();
        if (pods != null) pods.close();
        reporters.forEach(NodeReporter::close);
        if (heartbeats != null) heartbeats.shutdownNow();
        if (servingCerts != null) servingCerts.close();
        if (http != null) http.close();
        if (runtime != null) runtime.close();
    }
}
