package io.kubeha.cli;

import picocli.CommandLine.Option;

import java.time.Duration;

/** kube-controller-manager's and kube-scheduler's leader election flags, with their defaults. */
final class LeaderElectionOptions {
    @Option(names = "--leader-elect-lease-duration", defaultValue = "15s",
            description = "How long a standby waits before taking over a lease the leader stopped renewing (default: ${DEFAULT-VALUE}).")
    String leaseDuration;

    @Option(names = "--leader-elect-renew-deadline", defaultValue = "10s",
            description = "How long the leader keeps trying to renew before it stops acting (default: ${DEFAULT-VALUE}).")
    String renewDeadline;

    @Option(names = "--leader-elect-retry-period", defaultValue = "2s",
            description = "How often candidates try to acquire, and the leader renews (default: ${DEFAULT-VALUE}).")
    String retryPeriod;

    /** Kubernetes' rule, said with the flags' names: lease duration > renew deadline > retry period. */
    void validate() {
        if (leaseDuration().compareTo(renewDeadline()) <= 0) {
            throw new Main.UserError("--leader-elect-lease-duration (" + leaseDuration + ") must be greater than "
                    + "--leader-elect-renew-deadline (" + renewDeadline + ")");
        }
        if (renewDeadline().compareTo(retryPeriod()) <= 0) {
            throw new Main.UserError("--leader-elect-renew-deadline (" + renewDeadline + ") must be greater than "
                    + "--leader-elect-retry-period (" + retryPeriod + ")");
        }
    }

    Duration leaseDuration() {
        return Args.duration("--leader-elect-lease-duration", leaseDuration);
    }

    Duration renewDeadline() {
        return Args.duration("--leader-elect-renew-deadline", renewDeadline);
    }

    Duration retryPeriod() {
        return Args.duration("--leader-elect-retry-period", retryPeriod);
    }
}
