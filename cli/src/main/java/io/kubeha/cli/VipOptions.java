package io.kubeha.cli;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeha.vip.Health;
import io.kubeha.vip.HttpHealth;
import io.kubeha.vip.LoopbackAnnouncer;
import io.kubeha.vip.VipElection;
import picocli.CommandLine.Option;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The VIP's options, shared by {@code kubeha vip} and {@code kubeha server --vip}. */
final class VipOptions {
    @Option(names = "--vip-mode", defaultValue = "loopback",
            description = "How the holder holds the address: loopback (no root: it listens on VIP:PORT and forwards TCP, TLS passing"
                    + " through, to its API server). Default: ${DEFAULT-VALUE}.")
    String mode;

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
     * {@code client}'s TLS (and the agent's /healthz when given).
     */
    VipElection start(KubernetesClient client, InetSocketAddress vip, InetSocketAddress target, String apiUrl) {
        if (!mode.equals("loopback")) {
            throw new Main.UserError("--vip-mode " + mode + " is not one of: loopback (ip and keepalived modes come with kubeha up --netns)");
        }
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
        return new VipElection(client, config, new LoopbackAnnouncer(vip, target), Health.all(checks)).start();
    }
}
