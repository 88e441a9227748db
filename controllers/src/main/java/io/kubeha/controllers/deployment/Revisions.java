package io.kubeha.controllers.deployment;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The annotations the deployment controller writes, with the names and rules of Kubernetes, because the real
 * kubectl reads them: {@code rollout history} lists the revisions (and change-causes) of the ReplicaSets,
 * {@code rollout undo} finds the ReplicaSet of a revision and copies its template and annotations back.
 */
final class Revisions {
    static final String REVISION = "deployment.kubernetes.io/revision";
    static final String REVISION_HISTORY = "deployment.kubernetes.io/revision-history";
    static final String DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas";
    static final String MAX_REPLICAS = "deployment.kubernetes.io/max-replicas";
    static final String LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";
    static final String ROLLBACK_TO = "deprecated.deployment.rollback.to";
    /** Kubernetes keeps revision-history within 2000 characters. */
    static final int MAX_REVISION_HISTORY_CHARS = 2000;

    /** Deployment annotations that are not copied to its ReplicaSets (kube's annotationsToSkip). */
    static final Set<String> SKIPPED = Set.of(LAST_APPLIED, REVISION, REVISION_HISTORY, DESIRED_REPLICAS, MAX_REPLICAS, ROLLBACK_TO);

    private Revisions() {
    }

    static Map<String, String> annotations(HasMetadata o) {
        if (o.getMetadata().getAnnotations() == null) {
            o.getMetadata().setAnnotations(new HashMap<>());
        }
        return o.getMetadata().getAnnotations();
    }

    /** The revision annotation as a number, 0 when missing or not a number. */
    static long revision(HasMetadata o) {
        Map<String, String> a = o.getMetadata().getAnnotations();
        String v = a == null ? null : a.get(REVISION);
        if (v == null) {
            return 0;
        }
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    static long maxRevision(Collection<ReplicaSet> rss) {
        return rss.stream().mapToLong(Revisions::revision).max().orElse(0);
    }

    static int intAnnotation(HasMetadata o, String key) {
        Map<String, String> a = o.getMetadata().getAnnotations();
        String v = a == null ? null : a.get(key);
        if (v == null) {
            return -1;
        }
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** copyDeploymentAnnotationsToReplicaSet: every annotation but the skipped ones; true if one changed. */
    static boolean copyDeploymentAnnotations(Deployment d, ReplicaSet rs) {
        Map<String, String> target = annotations(rs);
        boolean changed = false;
        Map<String, String> source = d.getMetadata().getAnnotations() == null ? Map.of() : d.getMetadata().getAnnotations();
        for (var e : source.entrySet()) {
            if (SKIPPED.contains(e.getKey()) || e.getValue().equals(target.get(e.getKey()))) {
                continue;
            }
            target.put(e.getKey(), e.getValue());
            changed = true;
        }
        return changed;
    }

    /** SetReplicasAnnotations: desired-replicas and max-replicas; true if one changed. */
    static boolean setReplicasAnnotations(ReplicaSet rs, int desired, int max) {
        Map<String, String> a = annotations(rs);
        boolean changed = false;
        if (!String.valueOf(desired).equals(a.get(DESIRED_REPLICAS))) {
            a.put(DESIRED_REPLICAS, String.valueOf(desired));
            changed = true;
        }
        if (!String.valueOf(max).equals(a.get(MAX_REPLICAS))) {
            a.put(MAX_REPLICAS, String.valueOf(max));
            changed = true;
        }
        return changed;
    }

    static boolean replicasAnnotationsNeedUpdate(ReplicaSet rs, int desired, int max) {
        Map<String, String> a = rs.getMetadata().getAnnotations() == null ? Map.of() : rs.getMetadata().getAnnotations();
        return !String.valueOf(desired).equals(a.get(DESIRED_REPLICAS)) || !String.valueOf(max).equals(a.get(MAX_REPLICAS));
    }

    /**
     * SetNewReplicaSetAnnotations: copies the Deployment's annotations, raises the revision to {@code newRevision}
     * (never lowers it), remembering a revision it replaces in revision-history (the ReplicaSet came back through
     * an undo), and for a ReplicaSet about to be created sets the replicas annotations. True if anything changed.
     */
    static boolean setNewReplicaSetAnnotations(Deployment d, ReplicaSet rs, long newRevision, boolean exists) {
        boolean changed = copyDeploymentAnnotations(d, rs);
        Map<String, String> a = annotations(rs);
        String oldRevision = a.get(REVISION);
        long oldRevisionInt;
        if (oldRevision == null || oldRevision.isEmpty()) {
            oldRevisionInt = 0;
        } else {
            try {
                oldRevisionInt = Long.parseLong(oldRevision);
            } catch (NumberFormatException e) {
                return false;
            }
        }
        if (oldRevisionInt < newRevision) {
            a.put(REVISION, String.valueOf(newRevision));
            changed = true;
            if (oldRevision != null && !oldRevision.isEmpty()) {
                String history = a.getOrDefault(REVISION_HISTORY, "");
                if (history.isEmpty()) {
                    a.put(REVISION_HISTORY, oldRevision);
                } else {
                    List<String> old = new ArrayList<>(Arrays.asList(history.split(",")));
                    int total = history.length() + oldRevision.length() + 1;
                    int start = 0;
                    while (total > MAX_REVISION_HISTORY_CHARS && start < old.size()) {
                        total -= old.get(start).length() + 1;
                        start++;
                    }
                    if (total <= MAX_REVISION_HISTORY_CHARS) {
                        List<String> kept = new ArrayList<>(old.subList(start, old.size()));
                        kept.add(oldRevision);
                        a.put(REVISION_HISTORY, String.join(",", kept));
                    }
                }
            }
        }
        if (!exists && setReplicasAnnotations(rs, Replicas.replicas(d), Replicas.replicas(d) + Replicas.maxSurge(d))) {
            changed = true;
        }
        return changed;
    }
}
