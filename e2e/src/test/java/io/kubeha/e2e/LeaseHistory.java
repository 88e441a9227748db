package io.kubeha.e2e;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseSpec;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Every version of one leader-election Lease, in the order a watch delivered them, and the rule that keeps two
 * holders from acting at once.
 * <p>
 * A leader stops acting once its last renewTime is a renew deadline old (kubeha's gate counts from the stamp in
 * the record). fabric8's elector, like client-go's, stamps acquireTime and renewTime when it starts an attempt,
 * before it reads the lease, and a standby acts only after its write succeeded, so a holder acts at most within
 * [acquireTime, lastRenewTime + renewDeadline]. Two holders never acted together when each new holder's
 * acquireTime is no earlier than the previous holder's lastRenewTime + renewDeadline. (The stricter-looking
 * "acquireTime >= lastRenewTime + leaseDuration" does not hold: the candidate decides by its clock after the read,
 * but the acquireTime it writes is from before the read.) The rule is a sufficient condition, with a margin:
 * it holds as long as a candidate's read of the lease takes less than leaseDuration - renewDeadline.
 */
final class LeaseHistory {
    /** One holder's tenure as seen in the Lease: when it acquired and the last renewTime it wrote. */
    record Tenure(String holder, Instant acquired, Instant lastRenew) {
    }

    private final List<LeaseSpec> versions = new ArrayList<>();

    synchronized void add(Lease lease) {
        if (lease.getSpec() != null && lease.getSpec().getHolderIdentity() != null) {
            versions.add(lease.getSpec());
        }
    }

    synchronized List<Tenure> tenures() {
        List<Tenure> out = new ArrayList<>();
        for (LeaseSpec s : versions) {
            String holder = s.getHolderIdentity();
            if (holder.isEmpty()) {
                continue; // released
            }
            Instant acquired = instant(s.getAcquireTime());
            Instant renewed = instant(s.getRenewTime());
            Tenure last = out.isEmpty() ? null : out.getLast();
            if (last != null && last.holder().equals(holder) && last.acquired().equals(acquired)) {
                out.set(out.size() - 1, new Tenure(holder, acquired, renewed.isAfter(last.lastRenew()) ? renewed : last.lastRenew()));
            } else {
                out.add(new Tenure(holder, acquired, renewed));
            }
        }
        return out;
    }

    synchronized Optional<String> holder() {
        return versions.isEmpty() ? Optional.empty() : Optional.ofNullable(versions.getLast().getHolderIdentity()).filter(h -> !h.isEmpty());
    }

    /**
     * The broken rules, one line each (empty when none): another holder acquired before the previous one's last
     * renewal was a renew deadline old, i.e. while the previous one may still have been acting.
     */
    List<String> overlaps(Duration renewDeadline) {
        List<String> problems = new ArrayList<>();
        List<Tenure> t = tenures();
        for (int i = 1; i < t.size(); i++) {
            Tenure before = t.get(i - 1);
            Tenure after = t.get(i);
            if (after.holder().equals(before.holder())) {
                continue; // a leader that re-acquired after a late renewal: its old term ended before the new one began
            }
            Instant stoppedActing = before.lastRenew().plus(renewDeadline);
            if (after.acquired().isBefore(stoppedActing)) {
                problems.add(after.holder() + " acquired at " + after.acquired() + ", before " + before.holder()
                        + " stopped acting at " + stoppedActing);
            }
        }
        return problems;
    }

    private static final Pattern PID = Pattern.compile("_(\\d+)_[0-9a-f]{8}$");

    /** The process id in a holder identity of kubeha's form host_pid_random. */
    static long pid(String holder) {
        Matcher m = PID.matcher(holder);
        if (!m.find()) {
            throw new IllegalArgumentException("holder identity without a process id: " + holder);
        }
        return Long.parseLong(m.group(1));
    }

    private static Instant instant(ZonedDateTime t) {
        return t == null ? Instant.EPOCH : t.toInstant();
    }
}
