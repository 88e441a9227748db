package io.kubeha.cli;

import io.kubeha.apiserver.ApiServer;
import io.kubeha.apiserver.ApiServerConfig;
import io.kubeha.store.Compactor;
import io.kubeha.store.EtcdTls;
import io.kubeha.store.Store;
import io.kubeha.store.StoreOptions;
import io.kubeha.store.Stores;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

@Command(name = "server", mixinStandardHelpOptions = true,
        description = {"Runs a control-plane server: the API server over the cluster store, the controller-manager and the scheduler,"
                + " and a node agent for this machine (as k3s server), so that pods run on a one-process cluster; --disable-agent"
                + " for a control plane only."})
final class ServerCommand implements Callable<Integer> {
    @Option(names = "--data-dir", description = "Where this server keeps its state (default: ${DEFAULT-VALUE}).",
            defaultValue = "${sys:user.home}/.kubeha/server")
    Path dataDir;

    @Option(names = "--store", paramLabel = "URI",
            description = "embedded:DIR or etcd:http://HOST:PORT,... (etcd:https://... with --etcd-cafile and a client certificate) (default: embedded in DATA_DIR/store).")
    String store;

    // kube-apiserver's flags and descriptions, for an etcd:https://... store
    @Option(names = "--etcd-cafile", paramLabel = "FILE",
            description = "SSL Certificate Authority file used to secure etcd communication.")
    Path etcdCaFile;

    @Option(names = "--etcd-certfile", paramLabel = "FILE",
            description = "SSL certification file used to secure etcd communication.")
    Path etcdCertFile;

    @Option(names = "--etcd-keyfile", paramLabel = "FILE",
            description = "SSL key file used to secure etcd communication.")
    Path etcdKeyFile;

    @Option(names = "--bind", paramLabel = "ADDR:PORT", defaultValue = "127.0.0.1:6443",
            description = "Address to serve on (default: ${DEFAULT-VALUE}).")
    String bind;

    @Option(names = "--advertise-address", paramLabel = "IP",
            description = "The address the cluster reaches this server by: its endpoint of the kubernetes Service "
                    + "(default: the --bind address, or with 0.0.0.0 this machine's first non-loopback IPv4 address).")
    String advertiseAddress;

    @Option(names = "--service-cidr", defaultValue = ApiServerConfig.DEFAULT_SERVICE_CIDR,
            description = "Where Service ClusterIPs come from (default: ${DEFAULT-VALUE}; the seed's network uses 10.0.0.0/24).")
    String serviceCidr;

    @Option(names = "--service-node-port-range", defaultValue = ApiServerConfig.DEFAULT_NODE_PORT_RANGE,
            description = "Where NodePorts come from (default: ${DEFAULT-VALUE}).")
    String nodePortRange;

    @Option(names = "--disable", split = ",", paramLabel = "COMPONENT",
            description = "Components not to run beside the API server: controller-manager, scheduler.")
    java.util.List<String> disable = java.util.List.of();

    @picocli.CommandLine.Mixin
    LeaderElectionOptions election;

    @picocli.CommandLine.Mixin
    ControllerManagerCommand.NodeLifecycleFlags nodeLifecycle;

    @picocli.CommandLine.Mixin
    ServerNodeIpamFlags nodeIpam;

    /** Node IPAM as in kube-controller-manager, on by default here: loopback pod ranges, clear of --service-cidr's 127.20/16. */
    static final class ServerNodeIpamFlags extends ControllerManagerCommand.NodeIpamFlags {
        @Option(names = "--cluster-cidr", paramLabel = "CIDR", defaultValue = "127.64.0.0/16",
                description = "The IPv4 range nodes' pod ranges come from (node IPAM): every Node without a spec.podCIDR gets the "
                        + "lowest free /--node-cidr-mask-size of it (default: ${DEFAULT-VALUE}, loopback addresses for loopback-mode "
                        + "agents; for --netns agents give a routable one, e.g. 10.244.0.0/16).")
        String clusterCidr;

        @Override
        String clusterCidr() {
            return clusterCidr;
        }
    }

    @Option(names = "--default-not-ready-toleration-seconds", defaultValue = "300",
            description = "tolerationSeconds of the node.kubernetes.io/not-ready:NoExecute toleration given to every pod "
                    + "without one (default: ${DEFAULT-VALUE}).")
    long notReadyTolerationSeconds;

    @Option(names = "--default-unreachable-toleration-seconds", defaultValue = "300",
            description = "tolerationSeconds of the node.kubernetes.io/unreachable:NoExecute toleration given to every pod "
                    + "without one (default: ${DEFAULT-VALUE}).")
    long unreachableTolerationSeconds;

    @Option(names = "--tls-san", paramLabel = "NAME|IP",
            description = "A further name or IP address the serving certificate holds (repeatable; the VIP goes here). "
                    + "127.0.0.1, localhost, the bind and advertise addresses, the kubernetes Service's names and ClusterIP are always in.")
    java.util.List<String> tlsSans = new java.util.ArrayList<>();

    @Option(names = "--vip", paramLabel = "HOST:PORT",
            description = "Be a candidate for the control-plane virtual IP (e.g. 127.10.102.21:6443): held by one server at a time,"
                    + " only while its API server is ready (and its agent alive, with --vip-agent-healthz); the VIP is added to"
                    + " the serving certificate. See also kubeha vip.")
    String vip;

    @picocli.CommandLine.Mixin
    VipOptions vipOptions;

    @picocli.CommandLine.Mixin
    LocalAgent localAgent;

    @Option(names = "--join", paramLabel = "URL",
            description = "Join the control plane of a running cluster (kubeadm join --control-plane): fetch the cluster CA and the"
                    + " service-account keys from it with --token and --certificate-key (both printed by `kubeha token create"
                    + " --control-plane` on a master), then serve over the same --store. Copying DATA_DIR/pki by hand works too.")
    String join;

    @Option(names = "--token", description = "With --join: a control-plane bootstrap token.")
    String joinToken;

    @Option(names = "--discovery-token-ca-cert-hash", paramLabel = "sha256:HASH",
            description = "With --join: trust the cluster's CA only if it hashes to this (as kubeadm's).")
    String joinCaHash;

    @Option(names = "--certificate-key", description = "With --join: the key the uploaded certificates are encrypted with (64 hex digits).")
    String certificateKey;

    @Option(names = "--init",
            description = "Make DATA_DIR/pki (the cluster CA, the serving certificate, the service-account keys) and "
                    + "DATA_DIR/admin.kubeconfig if missing, print where they are, and exit (kubeadm init). With --store, also make"
                    + " bootstrap tokens in it (the API server runs on --bind for that moment) and print the join commands on"
                    + " standard output, as kubeadm init does: `kubeha agent --server ...` for nodes (token valid 24h) and, over"
                    + " an etcd store, `kubeha server --join ...` for masters (token and uploaded certificates valid 2h)."
                    + " Without --store: `kubeha token create [--control-plane]` prints them once the server runs.")
    boolean init;

    @Option(names = "--anonymous-auth", arity = "1", defaultValue = "true",
            description = "Serve requests without credentials as system:anonymous, whom RBAC lets see only /healthz, /livez, "
                    + "/readyz and /version (default: ${DEFAULT-VALUE}, as kube-apiserver).")
    boolean anonymousAuth;

    @Option(names = "--audit-log-path", paramLabel = "FILE",
            description = "Write every request as an audit.k8s.io/v1 Event, one JSON object per line, to FILE (- for standard output).")
    Path auditLogPath;

    @Option(names = "--audit-policy-file", paramLabel = "FILE",
            description = "An audit.k8s.io/v1 Policy saying what to record at which level (default: every request at Metadata level).")
    Path auditPolicyFile;

    @Option(names = "--audit-log-maxsize", defaultValue = "100", paramLabel = "MB",
            description = "Rotate the audit log at this size (default: ${DEFAULT-VALUE} MB, as kube-apiserver's lumberjack; 0: never).")
    long auditLogMaxSize;

    @Option(names = "--audit-log-maxbackup", defaultValue = "10", description = "Rotated audit logs kept (default: ${DEFAULT-VALUE}; 0: all).")
    int auditLogMaxBackup;

    @Option(names = "--encryption-provider-config", paramLabel = "FILE",
            description = "An apiserver.config.k8s.io/v1 EncryptionConfiguration saying which resources are encrypted at rest"
                    + " in the store, and with which keys (aesgcm or identity), as kube-apiserver's (default: none, all stored as is).")
    Path encryptionProviderConfig;

    @Option(names = "--compaction-interval", defaultValue = "5m",
            description = "History older than this is compacted (default: ${DEFAULT-VALUE}).")
    String compactionInterval;

    /** Where the VIP's holder forwards: this server's bound address (loopback when it listens on every address). */
    private static InetSocketAddress localTarget(InetSocketAddress bound) {
        return bound.getAddress().isAnyLocalAddress() ? new InetSocketAddress("127.0.0.1", bound.getPort()) : bound;
    }

    /** kubeadm init's join commands for nodes and masters; the server's own bootstrap tokens made in --store. */
    static final java.time.Duration NODE_TOKEN_TTL = java.time.Duration.ofHours(24);
    static final java.time.Duration CONTROL_PLANE_TOKEN_TTL = java.time.Duration.ofHours(2);

    /**
     * For --init with --store: the API server runs on --bind just long enough to make a node token and, over an etcd
     * store, a control-plane token owning the uploaded certificates; the join commands go to standard output.
     */
    private void printJoinCommands(ApiServerConfig config, Security security, InetSocketAddress address, InetSocketAddress vipAddress)
            throws Exception {
        boolean shared = store.startsWith("etcd:");
        String host = vipAddress != null ? vipAddress.getHostString() : advertiseAddress != null ? advertiseAddress
                : address.getAddress().isAnyLocalAddress() ? io.kubeha.apiserver.ApiServerConfig.firstIpv4().getHostAddress()
                : address.getAddress().getHostAddress();
        int port = vipAddress != null ? vipAddress.getPort() : address.getPort();
        String endpoint = "https://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        StoreOptions storeOptions = StoreOptions.DEFAULTS.withEtcdTls(EtcdTls.of(etcdCaFile, etcdCertFile, etcdKeyFile));
        try (Store s = Stores.open(store, storeOptions)) {
            ApiServer api;
            try {
                api = new ApiServer(s, config).start();
            } catch (RuntimeException | java.io.IOException e) {
                throw new Main.UserError("cannot serve on " + bind + " to make the join tokens (" + e.getMessage() + "): if this server"
                        + " runs already, `kubeha token create --print-join-command` prints the join commands");
            }
            try (api; io.fabric8.kubernetes.client.KubernetesClient admin = security.client(api.url(), "kubernetes-admin",
                    java.util.List.of("system:masters"))) {
                String hash = security.caHash();
                java.time.Instant now = java.time.Instant.now();
                io.kubeha.security.tokens.BootstrapToken nodeToken = io.kubeha.security.tokens.BootstrapToken.generate(new java.security.SecureRandom());
                TokenCommand.create(admin, nodeToken, now.plus(NODE_TOKEN_TTL), java.util.List.of(), "kubeha server --init: nodes");
                String masterJoin = null;
                if (shared) {
                    io.kubeha.security.tokens.BootstrapToken cpToken = io.kubeha.security.tokens.BootstrapToken.generate(new java.security.SecureRandom());
                    var secret = TokenCommand.create(admin, cpToken, now.plus(CONTROL_PLANE_TOKEN_TTL),
                            java.util.List.of(TokenCommand.CONTROL_PLANE_GROUP), "kubeha server --init: masters");
                    String key = TokenCommand.uploadCertificates(admin, secret, security.pkiDir());
                    StringBuilder etcdTls = new StringBuilder();
                    if (etcdCaFile != null) etcdTls.append(" --etcd-cafile ").append(etcdCaFile.toAbsolutePath());
                    if (etcdCertFile != null) etcdTls.append(" --etcd-certfile ").append(etcdCertFile.toAbsolutePath());
                    if (etcdKeyFile != null) etcdTls.append(" --etcd-keyfile ").append(etcdKeyFile.toAbsolutePath());
                    masterJoin = TokenCommand.serverJoin(endpoint, cpToken, hash, key, store) + etcdTls;
                }
                System.err.println("kubeha server: start this server (the same --data-dir and --store), then join the others"
                        + (vipAddress != null ? " through the VIP " + vip : "") + "; record these, they are kept nowhere:");
                if (masterJoin != null) {
                    System.err.println("kubeha server: a master joins with (valid " + CONTROL_PLANE_TOKEN_TTL.toHours()
                            + "h; on its machine add --bind ADDR:PORT and --data-dir as needed):");
                    System.out.println(masterJoin);
                } else {
                    System.err.println("kubeha server: masters join only over a shared etcd store (--store etcd:...); this one is " + store);
                }
                System.err.println("kubeha server: a node joins with (valid " + NODE_TOKEN_TTL.toHours() + "h; its --node-name and"
                        + " --node-ip default to its hostname and first IPv4 address):");
                System.out.println(TokenCommand.agentJoin(endpoint, nodeToken, hash));
            }
        }
    }

    @Override
    public Integer call() throws Exception {
        InetSocketAddress address = Args.hostPort("--bind", bind);
        for (String d : disable) {
            if (!java.util.Set.of("scheduler", "controller-manager").contains(d)) {
                throw new Main.UserError("--disable: unknown component '" + d + "'; it can be: controller-manager, scheduler");
            }
        }
        io.kubeha.controllers.ControllerManager.Config cmConfig = ControllerManagerCommand.config(election, null, nodeLifecycle).withNodeIpam(nodeIpam.options());
        io.kubeha.scheduler.SchedulerConfig schedulerConfig = SchedulerCommand.config(election);
        if (notReadyTolerationSeconds < 0 || unreachableTolerationSeconds < 0) {
            throw new Main.UserError((notReadyTolerationSeconds < 0 ? "--default-not-ready-toleration-seconds" : "--default-unreachable-toleration-seconds")
                    + " must not be negative, got " + Math.min(notReadyTolerationSeconds, unreachableTolerationSeconds));
        }
        ApiServerConfig config;
        try {
            config = ApiServerConfig.of(address).withServiceCidr(serviceCidr).withNodePortRange(nodePortRange)
                    .withDefaultTolerationSeconds(notReadyTolerationSeconds, unreachableTolerationSeconds)
                    .withAdvertiseAddress(advertiseAddress == null ? null : Args.ipLiteral("--advertise-address", advertiseAddress));
        } catch (RuntimeException e) {
            throw new Main.UserError(e.getMessage());
        }
        if (encryptionProviderConfig != null) {
            try {
                config = config.withEncryption(io.kubeha.security.encryption.EncryptionConfig.load(encryptionProviderConfig));
            } catch (IllegalArgumentException e) {
                throw new Main.UserError("--encryption-provider-config: " + e.getMessage());
            }
        }
        Duration interval = Args.duration("--compaction-interval", compactionInterval);
        Files.createDirectories(dataDir);
        io.kubeha.security.audit.AuditLog audit = null;
        if (auditLogPath != null && !init) {
            try {
                io.kubeha.security.audit.AuditPolicy policy = auditPolicyFile == null ? io.kubeha.security.audit.AuditPolicy.metadataForAll()
                        : io.kubeha.security.audit.AuditPolicy.load(auditPolicyFile);
                audit = io.kubeha.security.audit.AuditLog.open(auditLogPath, policy, auditLogMaxSize * 1024 * 1024, auditLogMaxBackup);
            } catch (RuntimeException e) {
                throw new Main.UserError("--audit-log-path/--audit-policy-file: " + e.getMessage());
            }
        }
        if (join != null) {
            if (joinToken == null || certificateKey == null) {
                throw new Main.UserError("--join needs --token and --certificate-key (kubeha token create --control-plane --print-join-command prints them)");
            }
            if (init) throw new Main.UserError("--join and --init exclude each other: a joining master takes the cluster's PKI");
            if (store == null || !store.startsWith("etcd:")) {
                throw new Main.UserError("--join needs --store etcd:... naming the cluster's etcd: the masters share one store");
            }
            try {
                TlsBootstrap.joinControlPlane(dataDir.resolve("pki"), join, joinToken, joinCaHash, certificateKey);
            } catch (Main.UserError e) {
                throw e;
            } catch (Exception e) {
                throw new Main.UserError("--join " + join + ": " + e.getMessage());
            }
        } else if (joinToken != null || certificateKey != null || joinCaHash != null) {
            throw new Main.UserError("--token, --certificate-key and --discovery-token-ca-cert-hash go with --join URL");
        }
        InetSocketAddress vipAddress = vip == null ? null : Args.hostPort("--vip", vip);
        java.util.List<String> sans = new java.util.ArrayList<>(tlsSans);
        if (vipAddress != null && !sans.contains(vipAddress.getHostString())) sans.add(vipAddress.getHostString());
        // HTTPS only, with authentication and authorization, as kube-apiserver since 1.20 (no insecure port)
        Security security = Security.prepare(dataDir, address, advertiseAddress == null ? null : Args.ipLiteral("--advertise-address", advertiseAddress),
                sans, serviceCidr, anonymousAuth, audit);
        config = config.withSecurity(security.api());
        if (init) {
            System.err.println("kubeha server: PKI in " + security.pkiDir() + " (CA hash " + security.caHash() + ")");
            String host = address.getAddress().isAnyLocalAddress() ? "127.0.0.1" : address.getAddress().getHostAddress();
            security.writeAdminKubeconfig("https://" + host + ":" + address.getPort());
            System.err.println("kubeha server: admin kubeconfig " + security.adminKubeconfig());
            if (store == null) {
                System.err.println("kubeha server: no --store, so no join tokens yet: once the server runs, `kubeha token create"
                        + " --print-join-command --kubeconfig " + security.adminKubeconfig() + "` prints a node's join command, and"
                        + " `kubeha token create --control-plane` a master's");
                return 0;
            }
            printJoinCommands(config, security, address, vipAddress);
            return 0;
        }
        String nodeIp = LocalAgent.nodeIp(advertiseAddress, address);
        AgentCommand agent = localAgent.disabled ? null : localAgent.prepare(dataDir, nodeIp);
        if (agent != null && vipAddress != null && vipOptions.agentHealthz == null) {
            // a master whose agent does not answer gives the VIP up: here that agent is the local one
            vipOptions.agentHealthz = "https://" + nodeIp + ":" + localAgent.port + "/healthz";
        }
        String uri = store != null ? store : "embedded:" + dataDir.resolve("store");
        System.err.println("kubeha server: opening store " + uri + " ...");
        CountDownLatch stop = new CountDownLatch(1);
        StoreOptions storeOptions = StoreOptions.DEFAULTS.withEtcdTls(EtcdTls.of(etcdCaFile, etcdCertFile, etcdKeyFile));
        try (Store s = Stores.open(uri, storeOptions);
             ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
             Compactor compactor = new Compactor(s, interval, scheduler);
             ApiServer api = new ApiServer(s, config).start()) {
            Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
            String url = api.url();
            Path kubeconfig = security.writeAdminKubeconfig(url);
            String host = advertiseAddress != null ? advertiseAddress : api.address().getAddress().isAnyLocalAddress() ? "127.0.0.1"
                    : api.address().getAddress().getHostAddress();
            security.publishClusterInfo("https://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + api.address().getPort());
            System.err.println("kubeha server: serving on " + url + " (store " + s.describe() + ", revision "
                    + s.currentRevision() + ")");
            System.err.println("kubeha server: kubectl --kubeconfig " + kubeconfig + " get namespaces");
            // the other control-plane components run beside the API server as its clients, leader-elected across servers
            // each with its own identity, as kubeadm gives them theirs: RBAC's system:kube-controller-manager and system:kube-scheduler
            try (io.fabric8.kubernetes.client.KubernetesClient cmClient = security.client(url, "system:kube-controller-manager");
                 io.fabric8.kubernetes.client.KubernetesClient schedulerClient = security.client(url, "system:kube-scheduler");
                 AutoCloseable controllers = disable.contains("controller-manager") ? () -> { }
                         : new io.kubeha.controllers.ControllerManager(cmClient, cmConfig)
                                 .withCsrSigner(security.csrSigner())
                                 .withServiceAccountTokens(security.serviceAccountTokens()).start();
                 AutoCloseable podScheduler = disable.contains("scheduler") ? () -> { }
                         : new io.kubeha.scheduler.Scheduler(schedulerClient, schedulerConfig).start();
                 AgentCommand.Running nodeAgent = agent == null ? null : LocalAgent.start(agent, security, url, dataDir);
                 io.fabric8.kubernetes.client.KubernetesClient vipClient = vipAddress == null ? null
                         : security.client(url, "system:kubeha-vip");
                 AutoCloseable vipCandidate = vipAddress == null ? () -> { }
                         : vipOptions.start(vipClient, vipAddress, localTarget(api.address()), url, dataDir.resolve("keepalived"),
                                 security.adminKubeconfig())) {
                if (vipAddress != null) {
                    System.err.println("kubeha server: candidate for the VIP " + vip + " (" + vipOptions.mode + " mode, "
                            + (vipOptions.mode.equals("keepalived") ? "VRRP elects" : "Lease kube-system/kubeha-vip") + ")");
                }
                java.util.List<String> running = new java.util.ArrayList<>();
                if (!disable.contains("controller-manager")) running.add("the controller-manager");
                if (!disable.contains("scheduler")) running.add("the scheduler");
                System.err.println("kubeha server: running " + (running.isEmpty() ? "no other components"
                        : String.join(" and ", running) + " beside the API server (each leader-elected)"));
                System.err.println(nodeAgent == null ? "kubeha server: no local agent (--disable-agent): nodes come from kubeha agent"
                        : "kubeha server: the local agent runs node " + agent.nodeName + " (" + nodeIp + ", endpoint "
                        + nodeAgent.agent().endpoint() + ", pods in " + nodeAgent.agent().podCidr() + "); --disable-agent leaves it out");
                stop.await();
            }
        }
        return 0;
    }
}
