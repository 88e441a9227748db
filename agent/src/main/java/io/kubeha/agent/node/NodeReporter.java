package io.kubeha.agent.node;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.NodeConditionBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The node's side of the kubelet: registers the Node (labels, addresses, capacity, conditions, versions, the
 * agent's endpoint), renews its Lease in kube-node-lease every renew interval (the heartbeat the node lifecycle
 * controller watches), and reports the node's status on change and at least every report interval (the kubelet's
 * nodeStatusReportFrequency), with a fresh lastHeartbeatTime.
 */
public final class NodeReporter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NodeReporter.class);
    public static final String KUBELET_VERSION = "v1.33.0";

    /**
     * @param leaseDuration  the Lease's leaseDurationSeconds (the kubelet's 40s)
     * @param renewInterval  how often the Lease is renewed (the kubelet's 10s)
     * @param reportInterval how often the status is reported when nothing changed
     */
    public record Config(String nodeName, String nodeIp, Map<String, String> labels, String podCidr, int port,
                         Map<String, Quantity> capacity, Duration leaseDuration, Duration renewInterval, Duration reportInterval,
                         String runtimeName) {
        public Config {
            Objects.requireNonNull(nodeName, "nodeName");
            Objects.requireNonNull(nodeIp, "nodeIp");
            labels = Map.copyOf(labels);
            capacity = Map.copyOf(capacity);
            if (!renewInterval.isPositive() || leaseDuration.compareTo(renewInterval) <= 0) {
                throw new IllegalArgumentException("the lease duration (" + leaseDuration + ") must exceed the renew interval (" + renewInterval + ")");
            }
        }
    }

    private final KubernetesClient client;
    private final Config config;
    private final ScheduledExecutorService timer;
    private final boolean ownTimer;
    private volatile Instant lastReport = Instant.EPOCH;
    private volatile ScheduledFuture<?> heartbeats;
    private Lease lease; // the last one written: renewed without reading it again while nobody else writes it
    /** The range this node's pods use: the config's, else the one the Node was given (see {@link #podCidrGiven}). */
    private volatile String podCidr;
    /** Why the node's network is not ready (Ready=False), or null. */
    private volatile String networkNotReady;

    public NodeReporter(KubernetesClient client, Config config) {
        this(client, config, Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("node-heartbeat").factory()), true);
    }

    /**
     * A reporter whose heartbeats run on {@code timer}, shared with other nodes' reporters (simulated nodes: one
     * thread for a thousand nodes, not a thousand threads); the timer is the caller's to shut down.
     */
    public NodeReporter(KubernetesClient client, Config config, ScheduledExecutorService timer) {
        this(client, config, timer, false);
    }

    private NodeReporter(KubernetesClient client, Config config, ScheduledExecutorService timer, boolean ownTimer) {
        this.client = client;
        this.config = config;
        this.timer = timer;
        this.ownTimer = ownTimer;
        this.podCidr = config.podCidr();
    }

    /**
     * Until {@link #podCidrGiven}, the node reports Ready=False as a kubelet whose network plugin is not ready does
     * (so nothing is scheduled there, and the node lifecycle controller taints it not-ready). Call before start.
     */
    public NodeReporter networkNotReady(String why) {
        this.networkNotReady = why;
        return this;
    }

    /** The node's pods now have their range ({@code spec.podCIDR}, given by node IPAM): Ready from now on. */
    public void podCidrGiven(String cidr) {
        this.podCidr = cidr;
        this.networkNotReady = null;
        try {
            reportStatus();
        } catch (RuntimeException e) {
            // the next heartbeat (a renew interval away, not a report interval) reports it
            lastReport = Instant.EPOCH;
            LOG.warn("node {}: reporting Ready failed ({}); the next heartbeat does", config.nodeName(), e.getMessage());
        }
    }

    /** The node's spec.podCIDR as the API server has it now, or null (none yet, or no node). */
    public String podCidrOfNode() {
        Node n = client.nodes().withName(config.nodeName()).get();
        if (n == null || n.getSpec() == null || n.getSpec().getPodCIDR() == null || n.getSpec().getPodCIDR().isEmpty()) return null;
        return n.getSpec().getPodCIDR();
    }

    public String nodeName() {
        return config.nodeName();
    }

    /** Registers the node (retrying until the API server answers) and starts the heartbeats. */
    public NodeReporter start() throws InterruptedException {
        Duration wait = Duration.ofMillis(200);
        while (true) {
            try {
                register();
                break;
            } catch (KubernetesClientException e) {
                LOG.warn("registering node {} failed ({}); retrying in {} ms", config.nodeName(), e.getMessage(), wait.toMillis());
                Thread.sleep(wait.toMillis());
                wait = wait.multipliedBy(2).compareTo(Duration.ofSeconds(7)) > 0 ? Duration.ofSeconds(7) : wait.multipliedBy(2);
            }
        }
        renewLease();
        long renew = config.renewInterval().toMillis();
        // reporters sharing a timer start at random points of the interval, so that their renewals spread over it
        long first = ownTimer ? renew : 1 + java.util.concurrent.ThreadLocalRandom.current().nextLong(renew);
        heartbeats = timer.scheduleWithFixedDelay(this::heartbeat, first, renew, TimeUnit.MILLISECONDS);
        return this;
    }

    private void heartbeat() {
        try {
            renewLease();
            if (Duration.between(lastReport, Instant.now()).compareTo(config.reportInterval()) >= 0) reportStatus();
        } catch (RuntimeException e) {
            LOG.warn("node {} heartbeat failed: {}", config.nodeName(), e.getMessage());
        }
    }

    private void register() {
        Node existing = client.nodes().withName(config.nodeName()).get();
        if (existing == null) {
            Node n = new NodeBuilder().withNewMetadata().withName(config.nodeName()).withLabels(labels()).endMetadata()
                    .withNewSpec().withPodCIDR(podCidr).withPodCIDRs(podCidr == null ? List.of() : List.of(podCidr))
                    .endSpec().build();
            try {
                client.nodes().resource(n).create();
                LOG.info("registered node {} ({})", config.nodeName(), config.nodeIp());
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409) throw e;
            }
        } else {
            // the kubelet reconciles its own labels onto an existing node and leaves the others' alone
            Map<String, String> want = labels();
            Map<String, String> have = existing.getMetadata().getLabels() == null ? Map.of() : existing.getMetadata().getLabels();
            if (!have.entrySet().containsAll(want.entrySet())) {
                client.nodes().withName(config.nodeName()).edit(n -> {
                    Map<String, String> merged = new LinkedHashMap<>(have);
                    merged.putAll(want);
                    n.getMetadata().setLabels(merged);
                    return n;
                });
            }
            keepPodCidr(existing);
            LOG.info("node {} already registered; taking it over", config.nodeName());
        }
        reportStatus();
    }

    /**
     * A node registered before keeps its spec.podCIDR (the API server lets it be set once, never changed): one that
     * has none gets this agent's; one that has another is an error, said in one line.
     */
    private void keepPodCidr(Node existing) {
        String mine = podCidr;
        if (mine == null) return;
        String have = existing.getSpec() == null ? null : existing.getSpec().getPodCIDR();
        if (have == null || have.isEmpty()) {
            try {
                client.nodes().withName(config.nodeName()).patch(io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
                        io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE), "{\"spec\":{\"podCIDR\":\"" + mine + "\",\"podCIDRs\":[\"" + mine + "\"]}}");
                return;
            } catch (KubernetesClientException e) {
                if (e.getCode() != 422) throw e;
                have = podCidrOfNode(); // given one meanwhile (node IPAM): compare with that
            }
        }
        if (have != null && !sameCidr(have, mine)) {
            throw new IllegalStateException("node " + config.nodeName() + " already has pod CIDR " + have + ", which cannot change; --pod-cidr "
                    + mine + " differs: leave --pod-cidr out to use " + have + ", or delete the node first");
        }
    }

    private static boolean sameCidr(String a, String b) {
        try {
            return io.kubeha.agent.pod.PodIps.Cidr.parse(a).equals(io.kubeha.agent.pod.PodIps.Cidr.parse(b));
        } catch (IllegalArgumentException e) {
            return a.equals(b);
        }
    }

    private Map<String, String> labels() {
        Map<String, String> l = new LinkedHashMap<>();
        l.put("kubernetes.io/hostname", config.nodeName());
        l.put("kubernetes.io/os", "linux");
        l.put("kubernetes.io/arch", arch());
        l.put("beta.kubernetes.io/os", "linux");
        l.put("beta.kubernetes.io/arch", arch());
        l.putAll(config.labels());
        return l;
    }

    private static String arch() {
        String a = System.getProperty("os.arch");
        return switch (a) {
            case "amd64", "x86_64" -> "amd64";
            case "aarch64" -> "arm64";
            default -> a;
        };
    }

    /**
     * Writes the whole node status (the status subresource), with fresh heartbeat times; read again and written again
     * when the Node changed in between (node IPAM's podCIDR patch right after registration, a taint).
     */
    public synchronized void reportStatus() {
        for (int attempt = 1; ; attempt++) {
            try {
                reportStatusOnce();
                return;
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409 || attempt == 3) throw e;
            }
        }
    }

    private void reportStatusOnce() {
        Node n = client.nodes().withName(config.nodeName()).get();
        if (n == null) {
            LOG.warn("node {} is gone from the API; registering it again", config.nodeName());
            register();
            return;
        }
        ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.SECONDS);
        String nowText = now.toInstant().toString();
        List<NodeCondition> conditions = new ArrayList<>();
        conditions.add(condition(n, "MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available", nowText));
        conditions.add(condition(n, "DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure", nowText));
        conditions.add(condition(n, "PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available", nowText));
        String notReady = networkNotReady;
        if (notReady == null) conditions.add(condition(n, "Ready", "True", "KubeletReady", "kubelet is posting ready status", nowText));
        else conditions.add(condition(n, "Ready", "False", "KubeletNotReady",
                "container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:" + notReady, nowText));
        Node updated = new NodeBuilder(n).editOrNewStatus()
                .withCapacity(config.capacity()).withAllocatable(config.capacity())
                .withConditions(conditions)
                .withAddresses(List.of(
                        new io.fabric8.kubernetes.api.model.NodeAddress(config.nodeIp(), "InternalIP"),
                        new io.fabric8.kubernetes.api.model.NodeAddress(config.nodeName(), "Hostname")))
                .withNewDaemonEndpoints().withNewKubeletEndpoint().withPort(config.port()).endKubeletEndpoint().endDaemonEndpoints()
                .withNewNodeInfo()
                .withKubeletVersion(KUBELET_VERSION).withKubeProxyVersion(KUBELET_VERSION)
                .withOperatingSystem("linux").withArchitecture(arch())
                .withContainerRuntimeVersion("kubeha-" + config.runtimeName() + "://0.1.0")
                .withOsImage(osImage()).withKernelVersion(read("/proc/sys/kernel/osrelease", System.getProperty("os.version")))
                .withMachineID(read("/etc/machine-id", "")).withSystemUUID(config.nodeName()).withBootID(read("/proc/sys/kernel/random/boot_id", ""))
                .endNodeInfo()
                .endStatus().build();
        client.nodes().resource(updated).updateStatus();
        lastReport = Instant.now();
    }

    /** A condition with its lastTransitionTime kept while its status stays the same, as the kubelet does. */
    private static NodeCondition condition(Node n, String type, String status, String reason, String message, String now) {
        String since = now;
        if (n.getStatus() != null && n.getStatus().getConditions() != null) {
            for (NodeCondition c : n.getStatus().getConditions()) {
                if (type.equals(c.getType()) && status.equals(c.getStatus()) && c.getLastTransitionTime() != null) {
                    since = c.getLastTransitionTime();
                }
            }
        }
        return new NodeConditionBuilder().withType(type).withStatus(status).withReason(reason).withMessage(message)
                .withLastHeartbeatTime(now).withLastTransitionTime(since).build();
    }

    private synchronized void renewLease() {
        ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.MICROS);
        var leases = client.leases().inNamespace("kube-node-lease");
        if (lease != null) {
            // one request per renewal, as the kubelet's lease controller does: the copy it wrote last, updated
            lease.getSpec().setRenewTime(now);
            try {
                lease = leases.resource(lease).update();
                return;
            } catch (KubernetesClientException e) {
                lease = null; // changed or gone meanwhile: read it again below
                if (e.getCode() != 409 && e.getCode() != 404) throw e;
            }
        }
        Lease l = leases.withName(config.nodeName()).get();
        if (l == null) {
            Node n = client.nodes().withName(config.nodeName()).get();
            LeaseBuilder b = new LeaseBuilder().withNewMetadata().withName(config.nodeName()).withNamespace("kube-node-lease")
                    .endMetadata().withNewSpec().withHolderIdentity(config.nodeName())
                    .withLeaseDurationSeconds((int) config.leaseDuration().toSeconds()).withRenewTime(now).endSpec();
            if (n != null) {
                b.editMetadata().withOwnerReferences(new OwnerReferenceBuilder().withApiVersion("v1").withKind("Node")
                        .withName(n.getMetadata().getName()).withUid(n.getMetadata().getUid()).build()).endMetadata();
            }
            try {
                lease = leases.resource(b.build()).create();
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409) throw e;
            }
            return;
        }
        l.getSpec().setHolderIdentity(config.nodeName());
        l.getSpec().setLeaseDurationSeconds((int) config.leaseDuration().toSeconds());
        l.getSpec().setRenewTime(now);
        lease = leases.resource(l).update();
    }

    private static String osImage() {
        try {
            for (String line : Files.readAllLines(Path.of("/etc/os-release"))) {
                if (line.startsWith("PRETTY_NAME=")) return line.substring(12).replace("\"", "");
            }
        } catch (IOException ignored) {
            // not Linux as we know it
        }
        return System.getProperty("os.name");
    }

    private static String read(String file, String dflt) {
        try {
            return Files.readString(Path.of(file)).strip();
        } catch (IOException e) {
            return dflt;
        }
    }

    @Override
    public void close() {
        ScheduledFuture<?> h = heartbeats;
        if (h != null) h.cancel(false);
        if (ownTimer) timer.shutdownNow();
    }
}
