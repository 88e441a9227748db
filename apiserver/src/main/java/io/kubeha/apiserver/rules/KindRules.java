package io.kubeha.apiserver.rules;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.kubeha.apiserver.api.FieldError;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The skeleton every kind shares: metadata checks first, then the kind's own, in kube's order. Identical errors
 * are reported once, as kube's ErrorList.ToAggregate does (update validation re-runs create validation).
 */
abstract class KindRules<T extends HasMetadata> implements TypeRules<T> {
    private final boolean namespaced;
    private final NameRule nameRule;

    KindRules(boolean namespaced, NameRule nameRule) {
        this.namespaced = namespaced;
        this.nameRule = nameRule;
    }

    @Override
    public boolean namespaced() {
        return namespaced;
    }

    @Override
    public void applyDefaults(T obj) {}

    /**
     * What kube's BeforeUpdate does for every kind, so a client that PUTs a copy read before the server changed
     * them is not refused: an update never removes the deletion timestamp or grace period, and a missing uid or
     * creationTimestamp is the stored one. Then the kind's own preparation.
     */
    @Override
    public final void prepareForUpdate(T obj, T old) {
        var m = obj.getMetadata();
        var o = old.getMetadata();
        if (m != null && o != null) {
            if (Meta.notEmpty(o.getDeletionTimestamp())) m.setDeletionTimestamp(o.getDeletionTimestamp());
            if (o.getDeletionGracePeriodSeconds() != null && m.getDeletionGracePeriodSeconds() == null) {
                m.setDeletionGracePeriodSeconds(o.getDeletionGracePeriodSeconds());
            }
            if (!Meta.notEmpty(m.getUid())) m.setUid(o.getUid());
            if (Meta.notEmpty(o.getCreationTimestamp())) m.setCreationTimestamp(o.getCreationTimestamp());
        }
        prepareKindUpdate(obj, old);
    }

    /** The kind's own update preparation; {@code old} is never changed. */
    void prepareKindUpdate(T obj, T old) {}

    @Override
    public final List<FieldError> validateCreate(T obj) {
        List<FieldError> errs = new ArrayList<>(Meta.validate(obj.getMetadata(), namespaced, nameRule));
        errs.addAll(validateKind(obj));
        return dedup(errs);
    }

    @Override
    public final List<FieldError> validateUpdate(T obj, T old) {
        List<FieldError> errs = new ArrayList<>(Meta.validateUpdate(obj.getMetadata(), old.getMetadata(), namespaced));
        errs.addAll(validateKindUpdate(obj, old));
        return dedup(errs);
    }

    /** The kind's own create checks (metadata is done). */
    List<FieldError> validateKind(T obj) {
        return List.of();
    }

    /** The kind's own update checks (metadata update is done); by default the create checks on the new object. */
    List<FieldError> validateKindUpdate(T obj, T old) {
        return validateKind(obj);
    }

    private static List<FieldError> dedup(List<FieldError> errs) {
        Set<String> seen = new LinkedHashSet<>();
        List<FieldError> out = new ArrayList<>(errs.size());
        for (FieldError e : errs) if (seen.add(e.toString())) out.add(e);
        return List.copyOf(out);
    }
}
