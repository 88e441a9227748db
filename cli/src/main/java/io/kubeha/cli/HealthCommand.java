package io.kubeha.cli;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeha.vip.HttpHealth;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code kubeha health}: one line and an exit code saying whether this master may serve: its API server ready (which
 * includes its store answering) and, when asked, its node agent alive. What keepalived's vrrp_script runs, and what
 * an operator runs first.
 */
@Command(name = "health", mixinStandardHelpOptions = true,
        description = "Checks this master: its API server ready (store reachable) and, with --agent-healthz, its node agent alive."
                + " Prints one line; exit 0 when healthy, 1 when not.")
final class HealthCommand implements Callable<Integer> {
    @Option(names = "--kubeconfig", required = true, description = "This master's own API server (not the VIP).")
    Path kubeconfig;

    @Option(names = "--agent-healthz", paramLabel = "URL", description = "The node agent's /healthz (e.g. https://NODE_IP:10250/healthz).")
    String agentHealthz;

    @Option(names = "--timeout", defaultValue = "2s", description = "How long each check may take (default: ${DEFAULT-VALUE}).")
    String timeout;

    @Override
    public Integer call() {
        Duration t = Args.duration("--timeout", timeout);
        try (KubernetesClient client = Clients.fromKubeconfig(kubeconfig)) {
            String api = client.getMasterUrl().toString().replaceAll("/$", "");
            List<String> ok = new ArrayList<>();
            Optional<String> problem = new HttpHealth(client.getHttpClient(), api + "/readyz", t, "the API server").problem();
            if (problem.isEmpty()) ok.add("API server ready (" + api + ", store reachable)");
            if (problem.isEmpty() && agentHealthz != null) {
                problem = new HttpHealth(client.getHttpClient(), agentHealthz, t, "the node agent").problem();
                if (problem.isEmpty()) ok.add("node agent alive (" + agentHealthz + ")");
            }
            if (problem.isPresent()) {
                System.out.println("unhealthy: " + problem.get());
                return 1;
            }
            System.out.println("healthy: " + String.join(", ", ok));
            return 0;
        }
    }
}
