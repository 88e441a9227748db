package io.kubeha.client;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaderElectionRecord;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;

import java.time.Duration;
import java.time.Instant;

/**
 * A Lease lock that knows how old this process's last successful renewal is, so that a leader can stop acting
 * on its own clock the moment it has not renewed for its renew deadline, whatever fabric8's elector believes.
 * <p>
 * Why: fabric8's elector bounds a renewal by its retries, not by how long one request may block; with the API
 * server cut off it kept reporting leadership seconds past the renew deadline. And the age is counted from the
 * renewTime stamped in the record, not from the write: fabric8 (as client-go) stamps renewTime before it reads
 * the lease, and a standby starts counting the lease duration from that stamp. Counting from the write would let
 * a slow read (seconds, on a loaded machine) push this process's acting past the point where a standby may take
 * over. With the gate at renewTime + renewDeadline and takeover no earlier than renewTime + leaseDuration, two
 * holders never act together as long as the lease duration exceeds the renew deadline (clocks of one machine, or
 * synchronised ones, as Kubernetes assumes).
 */
public final class StampedLeaseLock extends LeaseLock {
    private final String identity;
    /** System.nanoTime() of the renewTime stamp of the last record this process wrote as holder. */
    private volatile long lastRenewStamp;
    private volatile boolean renewedOnce;

    public StampedLeaseLock(String namespace, String name, String identity) {
        super(namespace, name, identity);
        this.identity = identity;
    }

    @Override
    public synchronized void create(KubernetesClient client, LeaderElectionRecord record) {
        long start = System.nanoTime();
        super.create(client, record);
        written(record, start);
    }

    @Override
    public synchronized void update(KubernetesClient client, LeaderElectionRecord record) {
        long start = System.nanoTime();
        super.update(client, record);
        written(record, start);
    }

    private void written(LeaderElectionRecord record, long writeStart) {
        if (!identity.equals(record.getHolderIdentity())) {
            return; // a release (holder cleared) is not a renewal
        }
        lastRenewStamp = stamp(record.getRenewTime() == null ? null : record.getRenewTime().toInstant(), Instant.now(),
                System.nanoTime(), writeStart);
        renewedOnce = true;
    }

    /** The renewal's time on the nanoTime scale: the record's stamp, or the write's start if that is earlier. */
    static long stamp(Instant renewTime, Instant wallNow, long nanoNow, long writeStart) {
        long stampedAgo = renewTime == null ? 0 : Math.max(0, Duration.between(renewTime, wallNow).toNanos());
        return Math.min(writeStart, nanoNow - stampedAgo);
    }

    /** True when this process wrote itself as holder less than {@code deadline} ago (counted from the stamp). */
    public boolean renewedWithin(Duration deadline) {
        return renewedOnce && System.nanoTime() - lastRenewStamp < deadline.toNanos();
    }
}
