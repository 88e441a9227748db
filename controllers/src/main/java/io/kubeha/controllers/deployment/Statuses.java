package io.kubeha.controllers.deployment;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentCondition;
import io.fabric8.kubernetes.api.model.apps.DeploymentConditionBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatus;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetCondition;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import static io.kubeha.controllers.deployment.Replicas.n;
import static io.kubeha.controllers.deployment.Replicas.replicas;

/**
 * The Deployment status as kube's deployment controller computes it (sync.go calculateStatus, progress.go),
 * as functions of the Deployment, its ReplicaSets and the time: the counts kubectl rollout status reads, the
 * Available and Progressing conditions, and when to look again for the progress deadline.
 */
final class Statuses {
    private Statuses() {
    }

    /**
     * The status syncRolloutStatus writes: {@link #calculate} plus the Progressing condition (progress made,
     * complete, or the deadline passed without progress) and the ReplicaFailure condition of the ReplicaSets.
     */
    static DeploymentStatus rollout(List<ReplicaSet> all, ReplicaSet newRS, Deployment d, Instant now) {
        DeploymentStatus s = calculate(all, newRS, d, now);
        if (!hasProgressDeadline(d)) {
            Conditions.remove(s, Conditions.PROGRESSING);
        }
        DeploymentCondition current = Conditions.get(d.getStatus(), Conditions.PROGRESSING);
        boolean completeBefore = n(s.getReplicas()) == n(s.getUpdatedReplicas()) && current != null
                && Conditions.NEW_RS_AVAILABLE.equals(current.getReason());
        if (hasProgressDeadline(d) && !completeBefore) {
            String rsName = newRS == null ? null : newRS.getMetadata().getName();
            if (isComplete(d, s)) {
                String msg = rsName != null ? "ReplicaSet \"" + rsName + "\" has successfully progressed."
                        : "Deployment \"" + d.getMetadata().getName() + "\" has successfully progressed.";
                Conditions.set(s, Conditions.condition(Conditions.PROGRESSING, "True", Conditions.NEW_RS_AVAILABLE, msg, now));
            } else if (isProgressing(d, s)) {
                String msg = rsName != null ? "ReplicaSet \"" + rsName + "\" is progressing."
                        : "Deployment \"" + d.getMetadata().getName() + "\" is progressing.";
                DeploymentCondition c = Conditions.condition(Conditions.PROGRESSING, "True", Conditions.RS_UPDATED, msg, now);
                if (current != null) {
                    if ("True".equals(current.getStatus())) {
                        c.setLastTransitionTime(current.getLastTransitionTime());
                    }
                    Conditions.remove(s, Conditions.PROGRESSING);
                }
                Conditions.set(s, c);
            } else if (isTimedOut(d, s, now)) {
                String msg = rsName != null ? "ReplicaSet \"" + rsName + "\" has timed out progressing."
                        : "Deployment \"" + d.getMetadata().getName() + "\" has timed out progressing.";
                Conditions.set(s, Conditions.condition(Conditions.PROGRESSING, "False", Conditions.TIMED_OUT, msg, now));
            }
        }
        DeploymentCondition failure = replicaFailure(all, newRS);
        if (failure != null) {
            Conditions.set(s, failure);
        } else {
            Conditions.remove(s, Conditions.REPLICA_FAILURE);
        }
        return s;
    }

    static boolean hasProgressDeadline(Deployment d) {
        Integer s = d.getSpec().getProgressDeadlineSeconds();
        return s != null && s != Integer.MAX_VALUE;
    }

    /** DeploymentComplete: every replica updated, available, and no old one left, for the current generation. */
    static boolean isComplete(Deployment d, DeploymentStatus s) {
        int want = replicas(d);
        return n(s.getUpdatedReplicas()) == want && n(s.getReplicas()) == want && n(s.getAvailableReplicas()) == want
                && (s.getObservedGeneration() == null ? 0 : s.getObservedGeneration())
                >= (d.getMetadata().getGeneration() == null ? 0 : d.getMetadata().getGeneration());
    }

    /** DeploymentProgressing: more updated, fewer old, more ready or more available pods than the last status. */
    private static boolean isProgressing(Deployment d, DeploymentStatus s) {
        DeploymentStatus o = d.getStatus();
        int oldOld = n(o.getReplicas()) - n(o.getUpdatedReplicas());
        int newOld = n(s.getReplicas()) - n(s.getUpdatedReplicas());
        return n(s.getUpdatedReplicas()) > n(o.getUpdatedReplicas()) || newOld < oldOld
                || n(s.getReadyReplicas()) > n(o.getReadyReplicas()) || n(s.getAvailableReplicas()) > n(o.getAvailableReplicas());
    }

    private static boolean isTimedOut(Deployment d, DeploymentStatus s, Instant now) {
        if (!hasProgressDeadline(d)) {
            return false;
        }
        DeploymentCondition c = Conditions.get(s, Conditions.PROGRESSING);
        if (c == null || Conditions.NEW_RS_AVAILABLE.equals(c.getReason())) {
            return false;
        }
        if (Conditions.TIMED_OUT.equals(c.getReason())) {
            return true;
        }
        if (c.getLastUpdateTime() == null) {
            return false;
        }
        Instant from = Instant.parse(c.getLastUpdateTime());
        return from.plusSeconds(d.getSpec().getProgressDeadlineSeconds()).isBefore(now);
    }

    /** calculateStatus: counts from the ReplicaSets' statuses, and the Available condition. */
    static DeploymentStatus calculate(List<ReplicaSet> all, ReplicaSet newRS, Deployment d, Instant now) {
        int available = Replicas.availableReplicas(all);
        int unavailable = Math.max(0, Replicas.specReplicas(all) - available);
        DeploymentStatus s = new DeploymentStatus();
        s.setObservedGeneration(d.getMetadata().getGeneration());
        s.setReplicas(Replicas.actualReplicas(all));
        s.setUpdatedReplicas(newRS == null ? 0 : Replicas.actualReplicas(List.of(newRS)));
        s.setReadyReplicas(Replicas.readyReplicas(all));
        s.setAvailableReplicas(available);
        s.setUnavailableReplicas(unavailable);
        s.setCollisionCount(d.getStatus().getCollisionCount());
        List<DeploymentCondition> conditions = new ArrayList<>();
        if (d.getStatus().getConditions() != null) {
            d.getStatus().getConditions().forEach(c -> conditions.add(new DeploymentConditionBuilder(c).build()));
        }
        s.setConditions(conditions);
        if (available >= replicas(d) - Replicas.maxUnavailable(d)) {
            Conditions.set(s, Conditions.condition(Conditions.AVAILABLE, "True", Conditions.MINIMUM_REPLICAS_AVAILABLE,
                    "Deployment has minimum availability.", now));
        } else {
            Conditions.set(s, Conditions.condition(Conditions.AVAILABLE, "False", Conditions.MINIMUM_REPLICAS_UNAVAILABLE,
                    "Deployment does not have minimum availability.", now));
        }
        return s;
    }

    static boolean same(DeploymentStatus a, DeploymentStatus b) {
        return Objects.equals(a.getObservedGeneration(), b.getObservedGeneration())
                && n(a.getReplicas()) == n(b.getReplicas()) && n(a.getUpdatedReplicas()) == n(b.getUpdatedReplicas())
                && n(a.getReadyReplicas()) == n(b.getReadyReplicas()) && n(a.getAvailableReplicas()) == n(b.getAvailableReplicas())
                && n(a.getUnavailableReplicas()) == n(b.getUnavailableReplicas())
                && Objects.equals(a.getCollisionCount(), b.getCollisionCount())
                && Conditions.same(a.getConditions(), b.getConditions());
    }

    /** getReplicaFailures: a ReplicaFailure condition of the new ReplicaSet, else of an old one. */
    private static DeploymentCondition replicaFailure(List<ReplicaSet> all, ReplicaSet newRS) {
        List<ReplicaSet> order = new ArrayList<>();
        if (newRS != null) {
            order.add(newRS);
        }
        order.addAll(all);
        for (ReplicaSet rs : order) {
            if (rs.getStatus() == null || rs.getStatus().getConditions() == null) {
                continue;
            }
            for (ReplicaSetCondition c : rs.getStatus().getConditions()) {
                if (Conditions.REPLICA_FAILURE.equals(c.getType())) {
                    return new DeploymentConditionBuilder().withType(Conditions.REPLICA_FAILURE).withStatus(c.getStatus())
                            .withReason(c.getReason()).withMessage(c.getMessage())
                            .withLastUpdateTime(c.getLastTransitionTime()).withLastTransitionTime(c.getLastTransitionTime()).build();
                }
            }
        }
        return null;
    }

    /**
     * requeueStuckDeployment: a rollout that shows no progress is looked at again when its deadline passes, so
     * ProgressDeadlineExceeded is reported without waiting for an event.
     */
    static Duration requeueStuck(Deployment d, DeploymentStatus s, Instant now) {
        DeploymentCondition c = Conditions.get(d.getStatus(), Conditions.PROGRESSING);
        if (!hasProgressDeadline(d) || c == null || c.getLastUpdateTime() == null) {
            return null;
        }
        if (isComplete(d, s) || Conditions.TIMED_OUT.equals(c.getReason())) {
            return null;
        }
        Duration after = Duration.between(now, Instant.parse(c.getLastUpdateTime()).plusSeconds(d.getSpec().getProgressDeadlineSeconds()));
        if (after.compareTo(Duration.ofSeconds(1)) < 0) {
            return Duration.ofMillis(Math.max(100, after.toMillis() + 100));
        }
        return after.plusSeconds(1);
    }
}
