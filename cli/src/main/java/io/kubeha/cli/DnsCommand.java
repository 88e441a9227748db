package io.kubeha.cli;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeha.dns.DnsConfig;
import io.kubeha.dns.DnsServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

@Command(name = "dns", mixinStandardHelpOptions = true,
        description = {"Runs the cluster DNS (the kube-dns / CoreDNS role) as a client of the API server: answers for",
                "SVC.NS.svc.DOMAIN (A, SRV), headless endpoints, pods (A-B-C-D.NS.pod.DOMAIN), PTR and ExternalName,",
                "on UDP and TCP; forwards other names upstream through a small cache."})
final class DnsCommand implements Callable<Integer> {
    static final Path RESOLV_CONF = Path.of("/etc/resolv.conf");

    @Option(names = "--kubeconfig", description = "The API server to use (kubeha server writes DATA_DIR/admin.kubeconfig); "
            + "in a pod, leave it out: the kubernetes service's address is used.")
    Path kubeconfig;

    @Option(names = "--bind", defaultValue = "0.0.0.0", description = "Address to answer on, UDP and TCP (default: ${DEFAULT-VALUE}; in a pod: $(POD_IP)).")
    String bind;

    @Option(names = "--port", defaultValue = "53", description = "DNS port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--cluster-domain", defaultValue = DnsConfig.DEFAULT_DOMAIN, description = "The zone served, as the agents' --cluster-domain (default: ${DEFAULT-VALUE}).")
    String clusterDomain;

    @Option(names = "--upstream", description = "Where other names go: IP[:PORT],... tried in order (default: the nameservers of /etc/resolv.conf).")
    String upstream;

    @Option(names = "--cache-ttl", defaultValue = "30s", description = "Longest time an upstream answer is cached, whatever its TTL; 0 turns the cache off (default: ${DEFAULT-VALUE}).")
    String cacheTtl;

    @Option(names = "--cache-size", defaultValue = "10000", description = "Most upstream answers cached at once (default: ${DEFAULT-VALUE}).")
    int cacheSize;

    @Option(names = "--ttl", defaultValue = "5s", description = "TTL of the cluster's records (default: ${DEFAULT-VALUE}).")
    String ttl;

    @Option(names = "--upstream-timeout", defaultValue = "2s", description = "How long one upstream gets before the next is tried (default: ${DEFAULT-VALUE}).")
    String upstreamTimeout;

    @Option(names = "--health-port", defaultValue = "8080", description = "Port of /healthz and /readyz on the --bind address, for probes; 0 for none (default: ${DEFAULT-VALUE}).")
    int healthPort;

    /** The configuration the options describe; a bad value is a one-line error saying what to fix. */
    DnsConfig config(Path resolvConf) {
        if (port < 1 || port > 65535) throw new Main.UserError("--port must be from 1 to 65535, was " + port);
        if (healthPort < 0 || healthPort > 65535) throw new Main.UserError("--health-port must be from 0 (none) to 65535, was " + healthPort);
        if (healthPort == port) throw new Main.UserError("--health-port must differ from --port (" + port + ")");
        if (cacheSize < 0) throw new Main.UserError("--cache-size must not be negative, was " + cacheSize);
        try {
            InetAddress address = DnsConfig.ipAddress("--bind", bind);
            List<InetSocketAddress> upstreams = upstream != null ? DnsConfig.parseUpstreams(upstream)
                    : java.nio.file.Files.exists(resolvConf) ? DnsConfig.resolvConf(resolvConf) : List.of();
            Duration cache = cacheTtl.strip().equals("0") ? Duration.ZERO : Args.duration("--cache-ttl", cacheTtl);
            Duration recordTtl = Args.duration("--ttl", ttl);
            return DnsConfig.defaults()
                    .withListen(new InetSocketAddress(address, port))
                    .withClusterDomain(clusterDomain)
                    .withUpstreams(upstreams)
                    .withRecordTtl(recordTtl)
                    .withCache(cache, cacheSize)
                    .withUpstreamTimeout(Args.duration("--upstream-timeout", upstreamTimeout))
                    .withHealth(healthPort == 0 ? null : new InetSocketAddress(address, healthPort));
        } catch (IllegalArgumentException e) {
            throw new Main.UserError(e.getMessage().startsWith("--") ? e.getMessage() : optionOf(e.getMessage()) + e.getMessage());
        }
    }

    private static String optionOf(String message) {
        if (message.startsWith("upstream")) return "--upstream: ";
        if (message.startsWith("cluster domain")) return "--cluster-domain: ";
        if (message.startsWith("cannot read")) return "--upstream (from resolv.conf): ";
        return "";
    }

    @Override
    public Integer call() throws Exception {
        DnsConfig config = config(RESOLV_CONF);
        CountDownLatch stop = new CountDownLatch(1);
        try (KubernetesClient client = Clients.fromKubeconfigOrCluster(kubeconfig)) {
            DnsServer server;
            try {
                server = new DnsServer(client, config).start();
            } catch (UncheckedIOException e) {
                throw new Main.UserError(e.getMessage());
            }
            try (server) {
                Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
                System.err.println("kubeha dns: " + server.describe());
                stop.await();
            }
        }
        return 0;
    }
}
