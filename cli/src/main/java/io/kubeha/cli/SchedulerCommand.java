package io.kubeha.cli;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeha.scheduler.Scheduler;
import io.kubeha.scheduler.SchedulerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

@Command(name = "scheduler", mixinStandardHelpOptions = true,
        description = "Runs the scheduler (leader-elected: of several, only one binds), as a client of the API server.")
final class SchedulerCommand implements Callable<Integer> {
    @Option(names = "--kubeconfig", required = true, description = "The API server to use (kubeha server writes DATA_DIR/admin.kubeconfig).")
    Path kubeconfig;

    @Mixin
    LeaderElectionOptions election;

    static SchedulerConfig config(LeaderElectionOptions election) {
        election.validate();
        try {
            return SchedulerConfig.defaults().withLeaderElection(election.leaseDuration(), election.renewDeadline(), election.retryPeriod());
        } catch (IllegalArgumentException e) {
            throw new Main.UserError(e.getMessage());
        }
    }

    @Option(names = "--apiserver-load-balancer", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Talk to the API servers through a local load balancer that relays to the --kubeconfig's server first, then"
                    + " to whichever API server of the kubernetes Endpoints answers (default: on; --no-apiserver-load-balancer for a"
                    + " direct client).")
    boolean loadBalancer;

    @Override
    public Integer call() throws Exception {
        SchedulerConfig config = config(election);
        CountDownLatch stop = new CountDownLatch(1);
        try (Clients.Balancer balancer = loadBalancer ? Clients.Balancer.of(kubeconfig) : null;
             KubernetesClient client = Clients.fromKubeconfig(kubeconfig, balancer);
             Scheduler scheduler = new Scheduler(client, config).start()) {
            Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
            System.err.println("kubeha scheduler: " + config.identity() + " against " + (balancer != null ? balancer.describe() : client.getMasterUrl())
                    + "; binding only while it holds the Lease " + config.leaseNamespace() + "/" + config.leaseName());
            stop.await();
        }
        return 0;
    }
}
