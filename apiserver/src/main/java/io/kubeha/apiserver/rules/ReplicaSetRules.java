package io.kubeha.apiserver.rules;

import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetSpec;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetStatus;
import io.kubeha.apiserver.api.FieldError;

import java.util.ArrayList;
import java.util.List;

/** ReplicaSets (apps/v1). */
final class ReplicaSetRules extends KindRules<ReplicaSet> {
    ReplicaSetRules() {
        super(true, NameRule.DNS_SUBDOMAIN);
    }

    @Override
    public void applyDefaults(ReplicaSet rs) {
        if (rs.getSpec() == null) rs.setSpec(new ReplicaSetSpec());
        if (rs.getSpec().getReplicas() == null) rs.getSpec().setReplicas(1);
        Workloads.defaultTemplate(rs.getSpec().getTemplate());
    }

    @Override
    public void prepareForCreate(ReplicaSet rs) {
        rs.setStatus(new ReplicaSetStatus());
    }

    @Override
    void prepareKindUpdate(ReplicaSet rs, ReplicaSet old) {
        rs.setStatus(old.getStatus());
    }

    @Override
    List<FieldError> validateKind(ReplicaSet rs) {
        List<FieldError> errs = new ArrayList<>();
        ReplicaSetSpec s = rs.getSpec() == null ? new ReplicaSetSpec() : rs.getSpec();
        Path spec = Path.of("spec");
        Workloads.nonNegative(errs, s.getReplicas(), spec.child("replicas"));
        Workloads.nonNegative(errs, s.getMinReadySeconds(), spec.child("minReadySeconds"));
        errs.addAll(Workloads.selectorAndTemplate(s.getSelector(), s.getTemplate(), spec, "deployment", true));
        if (Selectors.convertible(s.getSelector())) errs.addAll(Workloads.template(s.getTemplate(), spec.child("template"), "ReplicaSet"));
        return errs;
    }

    @Override
    List<FieldError> validateKindUpdate(ReplicaSet rs, ReplicaSet old) {
        List<FieldError> errs = new ArrayList<>(validateKind(rs));
        errs.addAll(Workloads.selectorImmutable(rs.getSpec() == null ? null : rs.getSpec().getSelector(),
                old.getSpec() == null ? null : old.getSpec().getSelector()));
        return errs;
    }
}
