package io.kubeha.cli;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeha.controllers.ControllerManager;
import io.kubeha.controllers.nodelifecycle.NodeLifecycleOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

@Command(name = "controller-manager", mixinStandardHelpOptions = true,
        description = "Runs the controllers (leader-elected: of several, only one acts), as a client of the API server.")
final class ControllerManagerCommand implements Callable<Integer> {
    @Option(names = "--kubeconfig", required = true, description = "The API server to use (kubeha server writes DATA_DIR/admin.kubeconfig).")
    Path kubeconfig;

    @Option(names = "--controllers", split = ",", description = "Which controllers to run (default: all of ${COMPLETION-CANDIDATES}).",
            completionCandidates = Known.class)
    List<String> controllers;

    @Option(names = "--root-ca-file", description = "The CA bundle (PEM) published in every namespace as kube-root-ca.crt and put"
            + " in legacy token Secrets (default: the CA the --kubeconfig trusts).")
    Path rootCaFile;

    @Option(names = "--service-account-private-key-file", description = "The RSA key (PEM) that signs legacy service-account token"
            + " Secrets (DATA_DIR/pki/sa.key of kubeha server); without it the serviceaccount-token controller is off.")
    Path serviceAccountKeyFile;

    @Mixin
    LeaderElectionOptions election;

    @Mixin
    NodeLifecycleFlags nodeLifecycle;

    @Mixin
    ClusterCidrFlag nodeIpam;

    /** --cluster-cidr with no default: node IPAM only when it is given. */
    static final class ClusterCidrFlag extends NodeIpamFlags {
        @Option(names = "--cluster-cidr", paramLabel = "CIDR",
                description = "The IPv4 range nodes' pod ranges come from (node IPAM), e.g. 10.244.0.0/16: every Node without a "
                        + "spec.podCIDR gets the lowest free /--node-cidr-mask-size of it (default: none, no node IPAM).")
        String clusterCidr;

        @Override
        String clusterCidr() {
            return clusterCidr;
        }
    }

    /**
     * kube-controller-manager's node IPAM flags (kubeadm's way: --allocate-node-cidrs is on once --cluster-cidr is
     * given); --cluster-cidr itself is the subclass's, with its own default.
     */
    abstract static class NodeIpamFlags {
        @Option(names = "--node-cidr-mask-size", paramLabel = "N", defaultValue = "24",
                description = "The prefix length of each node's pod range (default: ${DEFAULT-VALUE}).")
        int nodeCidrMaskSize;

        @Option(names = "--allocate-node-cidrs", arity = "0..1", paramLabel = "BOOL",
                description = "Give nodes their pod ranges from --cluster-cidr (default: true when --cluster-cidr is given).")
        Boolean allocateNodeCidrs;

        abstract String clusterCidr();

        /** The options, or null when node IPAM is off. */
        io.kubeha.controllers.nodeipam.NodeIpamOptions options() {
            String cidr = clusterCidr();
            boolean allocate = allocateNodeCidrs != null ? allocateNodeCidrs : cidr != null;
            if (!allocate) return null;
            if (cidr == null) throw new Main.UserError("--allocate-node-cidrs needs --cluster-cidr (e.g. 10.244.0.0/16)");
            try {
                return new io.kubeha.controllers.nodeipam.NodeIpamOptions(cidr, nodeCidrMaskSize);
            } catch (IllegalArgumentException e) {
                throw new Main.UserError(e.getMessage());
            }
        }
    }

    /** kube-controller-manager's node lifecycle flags, with Kubernetes' current defaults. */
    static final class NodeLifecycleFlags {
        @Option(names = "--node-monitor-period", defaultValue = "5s",
                description = "How often the node lifecycle controller checks every node's health (default: ${DEFAULT-VALUE}).")
        String monitorPeriod;

        @Option(names = "--node-monitor-grace-period", defaultValue = "50s",
                description = "How long a node may go without a heartbeat (Lease or status) before it is marked Unknown and tainted "
                        + "unreachable (default: ${DEFAULT-VALUE}, as Kubernetes since 1.32).")
        String monitorGracePeriod;

        @Option(names = "--node-startup-grace-period", defaultValue = "60s",
                description = "The same for a node that never posted its status (default: ${DEFAULT-VALUE}).")
        String startupGracePeriod;

        @Option(names = "--node-eviction-rate", defaultValue = "0.1",
                description = "Nodes per second of a zone newly tainted NoExecute (their pods evicted) while the zone is healthy "
                        + "(default: ${DEFAULT-VALUE}).")
        double evictionRate;

        @Option(names = "--secondary-node-eviction-rate", defaultValue = "0.01",
                description = "The same while the zone is partially disrupted; 0 in clusters of at most --large-cluster-size-threshold "
                        + "nodes (default: ${DEFAULT-VALUE}).")
        double secondaryEvictionRate;

        @Option(names = "--large-cluster-size-threshold", defaultValue = "50",
                description = "Zones of more nodes than this keep the secondary eviction rate (default: ${DEFAULT-VALUE}).")
        int largeClusterSizeThreshold;

        @Option(names = "--unhealthy-zone-threshold", defaultValue = "0.55",
                description = "Share of not-Ready nodes (at least 3) from which a zone is partially disrupted (default: ${DEFAULT-VALUE}).")
        double unhealthyZoneThreshold;

        NodeLifecycleOptions options() {
            Duration period = Args.duration("--node-monitor-period", monitorPeriod);
            Duration grace = Args.duration("--node-monitor-grace-period", monitorGracePeriod);
            Duration startup = Args.duration("--node-startup-grace-period", startupGracePeriod);
            if (grace.compareTo(period) <= 0) {
                throw new Main.UserError("--node-monitor-grace-period (" + monitorGracePeriod + ") must be greater than "
                        + "--node-monitor-period (" + monitorPeriod + ")");
            }
            if (!(evictionRate >= 0) || !(secondaryEvictionRate >= 0)) {
                throw new Main.UserError("--node-eviction-rate and --secondary-node-eviction-rate must not be negative");
            }
            if (largeClusterSizeThreshold < 0) {
                throw new Main.UserError("--large-cluster-size-threshold must not be negative, got " + largeClusterSizeThreshold);
            }
            if (!(unhealthyZoneThreshold > 0 && unhealthyZoneThreshold <= 1)) {
                throw new Main.UserError("--unhealthy-zone-threshold must be more than 0 and at most 1, got " + unhealthyZoneThreshold);
            }
            try {
                return new NodeLifecycleOptions(period, grace, startup)
                        .withEviction(evictionRate, secondaryEvictionRate, largeClusterSizeThreshold, unhealthyZoneThreshold);
            } catch (IllegalArgumentException e) {
                throw new Main.UserError(e.getMessage());
            }
        }
    }

    static final class Known implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return ControllerManager.CONTROLLERS.keySet().iterator();
        }
    }

    static ControllerManager.Config config(LeaderElectionOptions election, List<String> controllers, NodeLifecycleFlags nodeLifecycle) {
        election.validate();
        NodeLifecycleOptions nodeOptions = nodeLifecycle.options();
        try {
            ControllerManager.Config c = ControllerManager.Config.defaults()
                    .withTimings(election.leaseDuration(), election.renewDeadline(), election.retryPeriod())
                    .withNodeLifecycle(nodeOptions);
            if (controllers != null && !controllers.isEmpty()) c = c.withControllers(Set.copyOf(new LinkedHashSet<>(controllers)));
            return c;
        } catch (IllegalArgumentException e) {
            throw new Main.UserError(e.getMessage());
        }
    }

    private String rootCa() {
        if (rootCaFile == null) return null;
        try {
            String pem = java.nio.file.Files.readString(rootCaFile);
            io.kubeha.security.pki.Pem.certs(pem).getFirst();
            return pem;
        } catch (java.io.IOException | RuntimeException e) {
            throw new Main.UserError("--root-ca-file " + rootCaFile + ": not a readable PEM certificate bundle (" + e.getMessage() + ")");
        }
    }

    private io.kubeha.security.tokens.ServiceAccountTokens serviceAccountTokens() {
        if (serviceAccountKeyFile == null) return null;
        try {
            java.security.PrivateKey key = io.kubeha.security.pki.Pem.privateKey(java.nio.file.Files.readString(serviceAccountKeyFile));
            if (!(key instanceof java.security.interfaces.RSAPrivateCrtKey rsa)) {
                throw new IllegalArgumentException("not an RSA private key");
            }
            java.security.PublicKey pub = java.security.KeyFactory.getInstance("RSA")
                    .generatePublic(new java.security.spec.RSAPublicKeySpec(rsa.getModulus(), rsa.getPublicExponent()));
            return new io.kubeha.security.tokens.ServiceAccountTokens(new java.security.KeyPair(pub, key), List.of(),
                    io.kubeha.apiserver.ApiSecurity.DEFAULT_ISSUER, java.time.Clock.systemUTC());
        } catch (java.io.IOException | RuntimeException | java.security.GeneralSecurityException e) {
            throw new Main.UserError("--service-account-private-key-file " + serviceAccountKeyFile + ": " + e.getMessage());
        }
    }

    @Option(names = "--apiserver-load-balancer", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Talk to the API servers through a local load balancer that relays to the --kubeconfig's server first, then"
                    + " to whichever API server of the kubernetes Endpoints answers (default: on; --no-apiserver-load-balancer for a"
                    + " direct client).")
    boolean loadBalancer;

    @Override
    public Integer call() throws Exception {
        ControllerManager.Config config = config(election, controllers, nodeLifecycle).withNodeIpam(nodeIpam.options());
        CountDownLatch stop = new CountDownLatch(1);
        try (Clients.Balancer balancer = loadBalancer ? Clients.Balancer.of(kubeconfig) : null;
             KubernetesClient client = Clients.fromKubeconfig(kubeconfig, balancer);
             ControllerManager cm = new ControllerManager(client, config).withRootCa(rootCa())
                     .withServiceAccountTokens(serviceAccountTokens()).start()) {
            Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
            System.err.println("kubeha controller-manager: " + config.identity() + " running " + config.controllers()
                    + " against " + (balancer != null ? balancer.describe() : client.getMasterUrl()) + "; acting only while it holds the Lease "
                    + config.leaseNamespace() + "/" + config.leaseName());
            stop.await();
        }
        return 0;
    }
}
