package io.kubeha.controllers.deployment;

import io.fabric8.kubernetes.api.model.apps.DeploymentCondition;
import io.fabric8.kubernetes.api.model.apps.DeploymentConditionBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatus;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** Deployment conditions with Kubernetes' types, reasons and update rules (deploymentutil's condition helpers). */
final class Conditions {
    static final String AVAILABLE = "Available";
    static final String PROGRESSING = "Progressing";
    static final String REPLICA_FAILURE = "ReplicaFailure";

    static final String MINIMUM_REPLICAS_AVAILABLE = "MinimumReplicasAvailable";
    static final String MINIMUM_REPLICAS_UNAVAILABLE = "MinimumReplicasUnavailable";
    static final String NEW_RS_CREATED = "NewReplicaSetCreated";
    static final String FOUND_NEW_RS = "FoundNewReplicaSet";
    static final String RS_UPDATED = "ReplicaSetUpdated";
    static final String NEW_RS_AVAILABLE = "NewReplicaSetAvailable";
    static final String TIMED_OUT = "ProgressDeadlineExceeded";
    static final String PAUSED = "DeploymentPaused";
    static final String RESUMED = "DeploymentResumed";
    static final String FAILED_RS_CREATE = "ReplicaSetCreateError";

    private Conditions() {
    }

    static String timestamp(Instant now) {
        return now.truncatedTo(ChronoUnit.SECONDS).toString();
    }

    static DeploymentCondition condition(String type, String status, String reason, String message, Instant now) {
        String ts = timestamp(now);
        return new DeploymentConditionBuilder().withType(type).withStatus(status).withReason(reason).withMessage(message)
                .withLastUpdateTime(ts).withLastTransitionTime(ts).build();
    }

    static DeploymentCondition get(DeploymentStatus status, String type) {
        if (status == null || status.getConditions() == null) {
            return null;
        }
        return status.getConditions().stream().filter(c -> type.equals(c.getType())).findFirst().orElse(null);
    }

    /**
     * SetDeploymentCondition: nothing changes if a condition of that type has the same status and reason; the
     * transition time is kept while the status stays the same.
     */
    static void set(DeploymentStatus status, DeploymentCondition c) {
        DeploymentCondition current = get(status, c.getType());
        if (current != null && Objects.equals(current.getStatus(), c.getStatus()) && Objects.equals(current.getReason(), c.getReason())) {
            return;
        }
        if (current != null && Objects.equals(current.getStatus(), c.getStatus())) {
            c.setLastTransitionTime(current.getLastTransitionTime());
        }
        remove(status, c.getType());
        List<DeploymentCondition> list = status.getConditions() == null ? new ArrayList<>() : new ArrayList<>(status.getConditions());
        list.add(c);
        status.setConditions(list);
    }

    static void remove(DeploymentStatus status, String type) {
        if (status.getConditions() == null) {
            return;
        }
        List<DeploymentCondition> list = new ArrayList<>(status.getConditions());
        list.removeIf(c -> type.equals(c.getType()));
        status.setConditions(list);
    }

    static boolean same(List<DeploymentCondition> a, List<DeploymentCondition> b) {
        List<DeploymentCondition> x = a == null ? List.of() : a, y = b == null ? List.of() : b;
        if (x.size() != y.size()) {
            return false;
        }
        for (int i = 0; i < x.size(); i++) {
            DeploymentCondition p = x.get(i), q = y.get(i);
            if (!Objects.equals(p.getType(), q.getType()) || !Objects.equals(p.getStatus(), q.getStatus())
                    || !Objects.equals(p.getReason(), q.getReason()) || !Objects.equals(p.getMessage(), q.getMessage())
                    || !sameTime(p.getLastUpdateTime(), q.getLastUpdateTime())
                    || !sameTime(p.getLastTransitionTime(), q.getLastTransitionTime())) {
                return false;
            }
        }
        return true;
    }

    private static boolean sameTime(String a, String b) {
        if (Objects.equals(a, b)) {
            return true;
        }
        try {
            return a != null && b != null && Instant.parse(a).equals(Instant.parse(b));
        } catch (RuntimeException e) {
            return false;
        }
    }
}
