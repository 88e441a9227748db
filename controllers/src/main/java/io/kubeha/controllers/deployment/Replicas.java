package io.kubeha.controllers.deployment;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;

import java.time.Instant;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * The replica arithmetic of kube's deployment util, as pure functions so that it can be tested without a
 * cluster: maxSurge / maxUnavailable resolution (surge rounds up, unavailable rounds down, both zero means one
 * unavailable), sums over ReplicaSets, the orders ReplicaSets are scaled in, and proportional scaling.
 */
final class Replicas {
    static final String ROLLING_UPDATE = "RollingUpdate";
    static final String RECREATE = "Recreate";

    private Replicas() {
    }

    /** maxSurge and maxUnavailable as numbers of pods for a given replica count. */
    record Fenceposts(int surge, int unavailable) {
    }

    static int n(Integer i) {
        return i == null ? 0 : i;
    }

    static int replicas(Deployment d) {
        return d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
    }

    static int replicas(ReplicaSet rs) {
        return rs.getSpec().getReplicas() == null ? 1 : rs.getSpec().getReplicas();
    }

    static boolean isRollingUpdate(Deployment d) {
        return d.getSpec().getStrategy() == null || d.getSpec().getStrategy().getType() == null
                || ROLLING_UPDATE.equals(d.getSpec().getStrategy().getType());
    }

    static boolean isRecreate(Deployment d) {
        return d.getSpec().getStrategy() != null && RECREATE.equals(d.getSpec().getStrategy().getType());
    }

    /**
     * intstr.GetScaledValueFromIntOrPercent: an int as is, "N%" of {@code total} rounded up or down.
     *
     * @throws IllegalArgumentException for anything else (the API server validates, so only a bad object gets here)
     */
    static int scaled(IntOrString v, int total, boolean roundUp) {
        if (v == null) {
            return 0;
        }
        if (v.getIntVal() != null) {
            return v.getIntVal();
        }
        String s = v.getStrVal();
        if (s == null || !s.endsWith("%")) {
            throw new IllegalArgumentException("invalid value for IntOrString: invalid value \"" + s + "\": must be an int or a percentage");
        }
        int percent;
        try {
            percent = Integer.parseInt(s.substring(0, s.length() - 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid value \"" + s + "\": must be an int or a percentage");
        }
        long product = (long) percent * total;
        return (int) (roundUp ? Math.ceilDiv(product, 100) : Math.floorDiv(product, 100));
    }

    /** ResolveFenceposts: surge rounds up, unavailable down; if both come to 0, one pod may be unavailable. */
    static Fenceposts fenceposts(IntOrString maxSurge, IntOrString maxUnavailable, int desired) {
        int surge = scaled(maxSurge, desired, true);
        int unavailable = scaled(maxUnavailable, desired, false);
        if (surge == 0 && unavailable == 0) {
            unavailable = 1;
        }
        return new Fenceposts(surge, unavailable);
    }

    private static Fenceposts fenceposts(Deployment d) {
        var ru = d.getSpec().getStrategy() == null ? null : d.getSpec().getStrategy().getRollingUpdate();
        IntOrString surge = ru == null || ru.getMaxSurge() == null ? new IntOrString("25%") : ru.getMaxSurge();
        IntOrString unavailable = ru == null || ru.getMaxUnavailable() == null ? new IntOrString("25%") : ru.getMaxUnavailable();
        return fenceposts(surge, unavailable, replicas(d));
    }

    static int maxSurge(Deployment d) {
        return isRollingUpdate(d) ? fenceposts(d).surge() : 0;
    }

    static int maxUnavailable(Deployment d) {
        if (!isRollingUpdate(d) || replicas(d) == 0) {
            return 0;
        }
        return Math.min(fenceposts(d).unavailable(), replicas(d));
    }

    /** Sum of spec.replicas (GetReplicaCountForReplicaSets). */
    static int specReplicas(Collection<ReplicaSet> rss) {
        return rss.stream().filter(Objects::nonNull).mapToInt(Replicas::replicas).sum();
    }

    /** Sum of status.replicas: the pods that exist (GetActualReplicaCountForReplicaSets). */
    static int actualReplicas(Collection<ReplicaSet> rss) {
        return rss.stream().filter(Objects::nonNull).mapToInt(rs -> rs.getStatus() == null ? 0 : n(rs.getStatus().getReplicas())).sum();
    }

    static int readyReplicas(Collection<ReplicaSet> rss) {
        return rss.stream().filter(Objects::nonNull).mapToInt(rs -> rs.getStatus() == null ? 0 : n(rs.getStatus().getReadyReplicas())).sum();
    }

    static int availableReplicas(ReplicaSet rs) {
        return rs == null || rs.getStatus() == null ? 0 : n(rs.getStatus().getAvailableReplicas());
    }

    static int availableReplicas(Collection<ReplicaSet> rss) {
        return rss.stream().filter(Objects::nonNull).mapToInt(Replicas::availableReplicas).sum();
    }

    /**
     * Pods that may exist now, per ReplicaSet the larger of spec and status: a ReplicaSet just scaled down still
     * has its pods until its controller has deleted them (and its status says so), one just scaled up may not
     * have them yet. Used where kube sums spec.replicas to bound the surge, so that a scale-down not yet carried
     * out never makes room for new pods before the old ones are gone.
     */
    static int podsBound(Collection<ReplicaSet> rss) {
        return rss.stream().filter(Objects::nonNull)
                .mapToInt(rs -> Math.max(replicas(rs), rs.getStatus() == null ? 0 : n(rs.getStatus().getReplicas()))).sum();
    }

    /**
     * Available pods that will still be there once each ReplicaSet has reached its spec: a status written before a
     * scale-down was carried out still counts the pods being removed, so no more than spec.replicas are counted.
     * Used where kube sums status.availableReplicas to decide how far old ReplicaSets may be scaled down.
     */
    static int availableBound(Collection<ReplicaSet> rss) {
        return rss.stream().filter(Objects::nonNull).mapToInt(rs -> Math.min(availableReplicas(rs), replicas(rs))).sum();
    }

    static List<ReplicaSet> active(Collection<ReplicaSet> rss) {
        return rss.stream().filter(rs -> rs != null && replicas(rs) > 0).toList();
    }

    static Instant created(ReplicaSet rs) {
        String ts = rs.getMetadata().getCreationTimestamp();
        return ts == null ? Instant.EPOCH : Instant.parse(ts);
    }

    /** Oldest first, then by name (ReplicaSetsByCreationTimestamp). */
    static final Comparator<ReplicaSet> BY_CREATION = Comparator.comparing(Replicas::created)
            .thenComparing(rs -> rs.getMetadata().getName());

    /** Largest first; equal sizes oldest first (ReplicaSetsBySizeOlder): the order of a proportional scale-down. */
    static final Comparator<ReplicaSet> BY_SIZE_OLDER = Comparator.comparingInt((ReplicaSet rs) -> -replicas(rs)).thenComparing(BY_CREATION);

    /** Largest first; equal sizes newest first (ReplicaSetsBySizeNewer): the order of a proportional scale-up. */
    static final Comparator<ReplicaSet> BY_SIZE_NEWER = Comparator.comparingInt((ReplicaSet rs) -> -replicas(rs)).thenComparing(BY_CREATION.reversed());

    /** Lowest revision first, then oldest (ReplicaSetsByRevision): the order of history pruning. */
    static final Comparator<ReplicaSet> BY_REVISION = Comparator.comparingLong((ReplicaSet rs) -> Revisions.revision(rs)).thenComparing(BY_CREATION);

    /** NewRSNewReplicas: how far the new ReplicaSet may grow now. */
    static int newRSNewReplicas(Deployment d, Collection<ReplicaSet> allRSs, ReplicaSet newRS) {
        if (isRecreate(d)) {
            return replicas(d);
        }
        int maxTotal = replicas(d) + maxSurge(d);
        int current = podsBound(allRSs);
        if (current >= maxTotal) {
            return replicas(newRS);
        }
        int scaleUp = Math.min(maxTotal - current, replicas(d) - replicas(newRS));
        return replicas(newRS) + scaleUp;
    }

    /**
     * GetReplicaSetProportion: this ReplicaSet's share of {@code toAdd} (negative to remove), never more than what
     * is left to hand out.
     */
    static int proportion(ReplicaSet rs, Deployment d, int toAdd, int added) {
        if (rs == null || replicas(rs) == 0 || toAdd == 0 || toAdd == added) {
            return 0;
        }
        int fraction = fraction(rs, d);
        int allowed = toAdd - added;
        return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
    }

    private static int fraction(ReplicaSet rs, Deployment d) {
        if (replicas(d) == 0) {
            return -replicas(rs);
        }
        int maxNow = replicas(d) + maxSurge(d);
        int maxBefore = Revisions.intAnnotation(rs, Revisions.MAX_REPLICAS);
        if (maxBefore <= 0) {
            maxBefore = d.getStatus() == null ? 0 : n(d.getStatus().getReplicas());
            if (maxBefore == 0) {
                return 0;
            }
        }
        double size = (double) replicas(rs) * maxNow / maxBefore;
        return (int) Math.round(size) - replicas(rs);
    }
}
