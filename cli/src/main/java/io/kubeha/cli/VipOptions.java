package io.kubeha.cli;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeha.vip.Health;
import io.kubeha.vip.Announcer;
import io.kubeha.vip.HttpHealth;
import io.kubeha.vip.IpAnnouncer;
import io.kubeha.vip.Keepalived;
import io.kubeha.vip.LoopbackAnnouncer;
import io.kubeha.vip.VipElection;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The VIP's options, shared by {@code kubeha vip} and {@code kubeha server --vip}. */
final class VipOptions {
    @Option(names = "--vip-mode", defaultValue = "loopback",
            description = "How the address is held: loopback (no root: the holder listens on VIP:PORT and forwards TCP, TLS passing"
                    + " through, to its API server); ip (root: the holder adds VIP/32 to the LAN interface, sends gratuitous ARP and"
                    + " forwards VIP:PORT likewise; elected with the Lease as loopback); keepalived (root: kubeha writes"
                    + " keepalived.conf, VRRP unicast to --vip-peers with kubeha health as its check, and runs the real keepalived;"
                    + " the API server must then listen on the VIP too, e.g. --bind 0.0.0.0:6443). Default: ${DEFAULT-VALUE}.")
    String mode;

    @Option(names = "--vip-interface", paramLabel = "NAME",
            description = "ip and keepalived modes: the interface to hold the VIP on (default: the one whose network holds the VIP).")
    String iface;

    @Option(names = "--vip-peers", split = ",", paramLabel = "IP",
            description = "keepalived mode: the other masters' addresses on the LAN (VRRP unicast peers).")
    List<String> peers = List.of();

    @Option(names = "--vip-router-id", defaultValue = "51", description = "keepalived mode: the VRRP virtual router id, the same on"
            + " every master (default: ${DEFAULT-VALUE}).")
    int routerId;

    @Option(names = "--vip-agent-healthz", paramLabel = "URL",
            description = "The node agent beside this API server (its /healthz, e.g. https://NODE_IP:10250/healthz): a master whose agent"
                    + " does not answer gives the VIP up, as the seed's runbook says. Default: only the API server's readiness counts.")
    String agentHealthz;

    @Option(names = "--vip-identity", description = "This candidate's holder identity in the Lease kube-system/kubeha-vip"
            + " (default: host, process id and a random part).")
    String identity;

    @Option(names = "--vip-lease-duration", defaultValue = "1500ms",
            description = "How long a standby waits after the Lease last changed before it takes the VIP (default: ${DEFAULT-VALUE}).")
    String leaseDuration;

    @Option(names = "--vip-renew-deadline", defaultValue = "1s",
            description = "How old the holder's last renewal may be before it lets the address go; shorter than the lease duration"
                    + " (default: ${DEFAULT-VALUE}).")
    String renewDeadline;

    @Option(names = "--vip-retry-period", defaultValue = "150ms",
            description = "How often each candidate reads (and the holder renews) the Lease (default: ${DEFAULT-VALUE}).")
    String retryPeriod;

    /**
     * A started candidate for {@code vip}, forwarding to {@code target}, checking {@code apiUrl}'s /readyz through
     * {@code client}'s TLS (and the agent's /healthz when given); in keepalived mode, keepalived started with its
     * files in {@code dir} and {@code kubeha health --kubeconfig kubeconfig} as its check.
     */
    AutoCloseable start(KubernetesClient client, InetSocketAddress vip, InetSocketAddress target, String apiUrl, Path dir, Path kubeconfig) {
        if (!List.of("loopback", "ip", "keepalived").contains(mode)) {
            throw new Main.UserError("--vip-mode " + mode + " is not one of: loopback, ip, keepalived");
        }
        if (mode.equals("keepalived")) return keepalived(vip, apiUrl, dir, kubeconfig);
        if (!peers.isEmpty()) throw new Main.UserError("--vip-peers goes with --vip-mode keepalived");
        VipElection.Config config;
        try {
            config = new VipElection.Config(VipElection.Config.DEFAULT_NAMESPACE, VipElection.Config.DEFAULT_NAME,
                    identity != null ? identity : io.kubeha.client.Identity.forThisProcess(),
                    Args.duration("--vip-lease-duration", leaseDuration), Args.duration("--vip-renew-deadline", renewDeadline),
                    Args.duration("--vip-retry-period", retryPeriod));
        } catch (IllegalArgumentException e) {
            throw new Main.UserError(e.getMessage());
        }
        Duration timeout = config.renewDeadline().dividedBy(2);
        List<Health> checks = new ArrayList<>();
        checks.add(new HttpHealth(client.getHttpClient(), apiUrl.replaceAll("/$", "") + "/readyz", timeout, "the API server"));
        if (agentHealthz != null) checks.add(new HttpHealth(client.getHttpClient(), agentHealthz, timeout, "the node agent"));
        Announcer announcer;
        if (mode.equals("ip")) {
            IpAnnouncer ip;
            try {
                ip = IpAnnouncer.create(vip, target, iface);
                if (!heldByAnother(client, config)) {
                    Optional<String> taken = ip.answeredElsewhere();
                    if (taken.isPresent()) {
                        throw new Main.UserError("the VIP " + vip.getHostString() + ": " + taken.get() + " while no candidate holds the Lease "
                                + config.namespace() + "/" + config.name() + "; remove it there or pick another --vip");
                    }
                }
            } catch (IOException e) {
                throw new Main.UserError(e.getMessage());
            }
            announcer = ip;
        } else {
            if (iface != null) throw new Main.UserError("--vip-interface goes with --vip-mode ip or keepalived");
            announcer = new LoopbackAnnouncer(vip, target);
        }
        return new VipElection(client, config, announcer, Health.all(checks)).start();
    }

    /** Whether the Lease names a holder other than this candidate that renewed within the lease duration. */
    private static boolean heldByAnother(KubernetesClient client, VipElection.Config config) {
        var lease = client.leases().inNamespace(config.namespace()).withName(config.name()).get();
        if (lease == null || lease.getSpec() == null || lease.getSpec().getHolderIdentity() == null
                || lease.getSpec().getHolderIdentity().isEmpty() || lease.getSpec().getHolderIdentity().equals(config.identity())) {
            return false;
        }
        var renewed = lease.getSpec().getRenewTime();
        return renewed != null && renewed.toInstant().plus(config.leaseDuration()).plusSeconds(1).isAfter(java.time.Instant.now());
    }

    /**
     * What {@code kubeha health} checks (the API server's /readyz, the agent's /healthz), as curl commands with the
     * kubeconfig's CA and client certificate written beside keepalived.conf: keepalived runs them every second on every
     * master, and a JVM a second per master is more than a small machine gives (measured on 2 cores: load 66, checks
     * timing out).
     */
    private List<List<String>> healthChecks(String apiUrl, Path dir, Path kubeconfig) throws IOException {
        io.fabric8.kubernetes.client.Config c = io.fabric8.kubernetes.client.Config.fromKubeconfig(java.nio.file.Files.readString(kubeconfig));
        java.nio.file.Files.createDirectories(dir);
        Path ca = pem(dir.resolve("ca.crt"), c.getCaCertData());
        Path cert = pem(dir.resolve("health.crt"), c.getClientCertData());
        Path key = pem(dir.resolve("health.key"), c.getClientKeyData());
        List<String> curl = List.of("/usr/bin/curl", "-sf", "-m", "1", "--cacert", ca.toString(), "--cert", cert.toString(), "--key",
                key.toString());
        List<List<String>> checks = new ArrayList<>();
        List<String> api = new ArrayList<>(curl);
        api.add(apiUrl.replaceAll("/$", "") + "/readyz");
        checks.add(api);
        if (agentHealthz != null) {
            List<String> agent = new ArrayList<>(curl);
            agent.add(agentHealthz);
            checks.add(agent);
        }
        return checks;
    }

    private static Path pem(Path file, String base64) throws IOException {
        if (base64 == null) throw new Main.UserError("--vip-mode keepalived: the kubeconfig has no inline certificate data for the health checks");
        java.nio.file.Files.write(file, java.util.Base64.getDecoder().decode(base64));
        java.nio.file.Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    private Keepalived keepalived(InetSocketAddress vip, String apiUrl, Path dir, Path kubeconfig) {
        if (peers.isEmpty()) throw new Main.UserError("--vip-mode keepalived needs --vip-peers: the other masters' addresses on the LAN");
        try {
            IpAnnouncer.Addr own = IpAnnouncer.lan(vip.getAddress(), iface);
            List<java.net.InetAddress> peerAddresses = new ArrayList<>();
            for (String p : peers) peerAddresses.add(Args.ipLiteral("--vip-peers", p));
            List<List<String>> health = healthChecks(apiUrl, dir, kubeconfig);
            Keepalived.Config c = new Keepalived.Config(identity != null ? identity : own.iface() + "-" + own.address().getHostAddress(),
                    own.iface(), own.address(), peerAddresses, vip.getAddress(), routerId, 100, health);
            return new Keepalived(c, dir).start();
        } catch (IllegalArgumentException e) {
            throw new Main.UserError(e.getMessage());
        } catch (IOException e) {
            throw new Main.UserError(e.getMessage());
        }
    }
}
