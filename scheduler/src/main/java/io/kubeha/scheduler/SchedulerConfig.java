package io.kubeha.scheduler;

import java.time.Duration;
import java.util.Objects;

/**
 * What a scheduler needs to know: the schedulerName it answers for, the Lease it elects its leader through, and the
 * back-off for pods that fit nowhere. Validated here so that a bad combination never reaches the leader elector.
 *
 * @param schedulerName      pods whose spec.schedulerName equals this are ours ("default-scheduler")
 * @param leaseNamespace     namespace of the leader-election Lease ("kube-system")
 * @param leaseName          name of the Lease ("kube-scheduler")
 * @param identity           holder identity written to the Lease; names host and process
 * @param leaseDuration      how long a standby waits before taking over an unrenewed lease (15s)
 * @param renewDeadline      how long the leader keeps trying to renew before it stops acting (10s)
 * @param retryPeriod        how often candidates try to acquire and the leader renews (2s)
 * @param initialBackoff     first retry delay of an unschedulable pod (1s, as kube-scheduler)
 * @param maxBackoff         longest retry delay of an unschedulable pod (10s, as kube-scheduler)
 * @param percentageOfNodesToScore of how many nodes (percent) a cycle looks for feasible ones before scoring them;
 *                           0 (the default) is kube-scheduler's adaptive value (50% down to 5% as the cluster grows,
 *                           never fewer than 100 nodes)
 */
public record SchedulerConfig(String schedulerName, String leaseNamespace, String leaseName, String identity,
                              Duration leaseDuration, Duration renewDeadline, Duration retryPeriod,
                              Duration initialBackoff, Duration maxBackoff, int percentageOfNodesToScore) {
    public static final String DEFAULT_SCHEDULER_NAME = "default-scheduler";

    public SchedulerConfig {
        Objects.requireNonNull(schedulerName, "schedulerName");
        Objects.requireNonNull(leaseNamespace, "leaseNamespace");
        Objects.requireNonNull(leaseName, "leaseName");
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(leaseDuration, "leaseDuration");
        Objects.requireNonNull(renewDeadline, "renewDeadline");
        Objects.requireNonNull(retryPeriod, "retryPeriod");
        Objects.requireNonNull(initialBackoff, "initialBackoff");
        Objects.requireNonNull(maxBackoff, "maxBackoff");
        if (schedulerName.isBlank() || leaseNamespace.isBlank() || leaseName.isBlank() || identity.isBlank()) {
            throw new IllegalArgumentException("schedulerName, leaseNamespace, leaseName and identity must not be blank");
        }
        if (!retryPeriod.isPositive()) throw new IllegalArgumentException("retryPeriod must be positive, was " + retryPeriod);
        // as client-go: the leader must give up (renewDeadline) before a standby may take over (leaseDuration),
        // and must get more than one renewal attempt within its deadline
        if (leaseDuration.compareTo(renewDeadline) <= 0) {
            throw new IllegalArgumentException("leaseDuration (" + leaseDuration + ") must be greater than renewDeadline (" + renewDeadline + ")");
        }
        if (renewDeadline.compareTo(retryPeriod) <= 0) {
            throw new IllegalArgumentException("renewDeadline (" + renewDeadline + ") must be greater than retryPeriod (" + retryPeriod + ")");
        }
        if (!initialBackoff.isPositive() || maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException("need 0 < initialBackoff <= maxBackoff, was " + initialBackoff + " and " + maxBackoff);
        }
        if (percentageOfNodesToScore < 0 || percentageOfNodesToScore > 100) {
            throw new IllegalArgumentException("percentageOfNodesToScore must be between 0 and 100 (0: adaptive), was " + percentageOfNodesToScore);
        }
    }

    /** Kubernetes' defaults: default-scheduler, Lease kube-system/kube-scheduler, 15s/10s/2s, back-off 1s..10s. */
    public static SchedulerConfig defaults() {
        return new SchedulerConfig(DEFAULT_SCHEDULER_NAME, "kube-system", "kube-scheduler", defaultIdentity(),
                Duration.ofSeconds(15), Duration.ofSeconds(10), Duration.ofSeconds(2), Duration.ofSeconds(1), Duration.ofSeconds(10), 0);
    }

    public SchedulerConfig withIdentity(String identity) {
        return new SchedulerConfig(schedulerName, leaseNamespace, leaseName, identity, leaseDuration, renewDeadline, retryPeriod, initialBackoff, maxBackoff, percentageOfNodesToScore);
    }

    public SchedulerConfig withLeaderElection(Duration leaseDuration, Duration renewDeadline, Duration retryPeriod) {
        return new SchedulerConfig(schedulerName, leaseNamespace, leaseName, identity, leaseDuration, renewDeadline, retryPeriod, initialBackoff, maxBackoff, percentageOfNodesToScore);
    }

    public SchedulerConfig withBackoff(Duration initialBackoff, Duration maxBackoff) {
        return new SchedulerConfig(schedulerName, leaseNamespace, leaseName, identity, leaseDuration, renewDeadline, retryPeriod, initialBackoff, maxBackoff, percentageOfNodesToScore);
    }

    public SchedulerConfig withPercentageOfNodesToScore(int percentageOfNodesToScore) {
        return new SchedulerConfig(schedulerName, leaseNamespace, leaseName, identity, leaseDuration, renewDeadline, retryPeriod, initialBackoff, maxBackoff, percentageOfNodesToScore);
    }

    /** host_pid_random as kube-scheduler's "hostname_uuid": unique even for two schedulers in one JVM. */
    public static String defaultIdentity() {
        return io.kubeha.client.Identity.forThisProcess();
    }

}
