package io.kubeha.apiserver.rules;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentSpec;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatus;
import io.fabric8.kubernetes.api.model.apps.DeploymentStrategy;
import io.fabric8.kubernetes.api.model.apps.RollingUpdateDeployment;
import io.kubeha.apiserver.api.FieldError;

import java.util.ArrayList;
import java.util.List;

import static io.kubeha.apiserver.rules.Meta.nz;

/** Deployments (apps/v1). */
final class DeploymentRules extends KindRules<Deployment> {
    DeploymentRules() {
        super(true, NameRule.DNS_SUBDOMAIN);
    }

    @Override
    public void applyDefaults(Deployment d) {
        if (d.getSpec() == null) d.setSpec(new DeploymentSpec());
        DeploymentSpec s = d.getSpec();
        if (s.getReplicas() == null) s.setReplicas(1);
        if (s.getStrategy() == null) s.setStrategy(new DeploymentStrategy());
        DeploymentStrategy st = s.getStrategy();
        if (nz(st.getType()).isEmpty()) st.setType("RollingUpdate");
        if (st.getType().equals("RollingUpdate")) {
            if (st.getRollingUpdate() == null) st.setRollingUpdate(new RollingUpdateDeployment());
            if (st.getRollingUpdate().getMaxUnavailable() == null) st.getRollingUpdate().setMaxUnavailable(new IntOrString("25%"));
            if (st.getRollingUpdate().getMaxSurge() == null) st.getRollingUpdate().setMaxSurge(new IntOrString("25%"));
        }
        if (s.getRevisionHistoryLimit() == null) s.setRevisionHistoryLimit(10);
        if (s.getProgressDeadlineSeconds() == null) s.setProgressDeadlineSeconds(600);
        Workloads.defaultTemplate(s.getTemplate());
    }

    @Override
    public void prepareForCreate(Deployment d) {
        d.setStatus(new DeploymentStatus());
    }

    @Override
    void prepareKindUpdate(Deployment d, Deployment old) {
        d.setStatus(old.getStatus());
    }

    @Override
    List<FieldError> validateKind(Deployment d) {
        List<FieldError> errs = new ArrayList<>();
        DeploymentSpec s = d.getSpec() == null ? new DeploymentSpec() : d.getSpec();
        Path spec = Path.of("spec");
        Workloads.nonNegative(errs, s.getReplicas(), spec.child("replicas"));
        errs.addAll(Workloads.selectorAndTemplate(s.getSelector(), s.getTemplate(), spec, "deployment", true));
        if (Selectors.convertible(s.getSelector())) errs.addAll(Workloads.template(s.getTemplate(), spec.child("template"), "ReplicaSet"));
        errs.addAll(strategy(s.getStrategy(), spec.child("strategy")));
        Workloads.nonNegative(errs, s.getMinReadySeconds(), spec.child("minReadySeconds"));
        Workloads.nonNegative(errs, s.getRevisionHistoryLimit(), spec.child("revisionHistoryLimit"));
        if (s.getProgressDeadlineSeconds() != null) {
            Workloads.nonNegative(errs, s.getProgressDeadlineSeconds(), spec.child("progressDeadlineSeconds"));
            int min = s.getMinReadySeconds() == null ? 0 : s.getMinReadySeconds();
            if (s.getProgressDeadlineSeconds() <= min) {
                errs.add(Errs.invalid(spec.child("progressDeadlineSeconds"), s.getProgressDeadlineSeconds(), "must be greater than minReadySeconds"));
            }
        }
        return errs;
    }

    @Override
    List<FieldError> validateKindUpdate(Deployment d, Deployment old) {
        List<FieldError> errs = new ArrayList<>(validateKind(d));
        errs.addAll(Workloads.selectorImmutable(d.getSpec() == null ? null : d.getSpec().getSelector(),
                old.getSpec() == null ? null : old.getSpec().getSelector()));
        return errs;
    }

    private static List<FieldError> strategy(DeploymentStrategy st, Path p) {
        List<FieldError> errs = new ArrayList<>();
        if (st == null) st = new DeploymentStrategy();
        switch (nz(st.getType())) {
            case "Recreate" -> {
                if (st.getRollingUpdate() != null) errs.add(Errs.forbidden(p.child("rollingUpdate"), "may not be specified when strategy `type` is 'Recreate'"));
            }
            case "RollingUpdate" -> {
                RollingUpdateDeployment ru = st.getRollingUpdate();
                if (ru == null) {
                    errs.add(Errs.required(p.child("rollingUpdate"), "this should be defaulted and never be nil"));
                } else {
                    Path rp = p.child("rollingUpdate");
                    errs.addAll(Workloads.intOrPercent(ru.getMaxUnavailable(), rp.child("maxUnavailable")));
                    errs.addAll(Workloads.intOrPercent(ru.getMaxSurge(), rp.child("maxSurge")));
                    if (Workloads.value(ru.getMaxUnavailable()) == 0 && Workloads.value(ru.getMaxSurge()) == 0) {
                        errs.add(Errs.invalidRaw(rp.child("maxUnavailable"), Go.intOrString(ru.getMaxUnavailable()), "may not be 0 when `maxSurge` is 0"));
                    }
                    errs.addAll(Workloads.notMoreThan100Percent(ru.getMaxUnavailable(), rp.child("maxUnavailable")));
                }
            }
            default -> errs.add(Errs.notSupportedRaw(p, strategyGo(st), List.of("Recreate", "RollingUpdate")));
        }
        return errs;
    }

    private static String strategyGo(DeploymentStrategy st) {
        return "apps.DeploymentStrategy{Type:" + Go.quote(nz(st.getType())) + ", RollingUpdate:"
                + (st.getRollingUpdate() == null ? "(*apps.RollingUpdateDeployment)(nil)" : "(*apps.RollingUpdateDeployment)(...)") + "}";
    }
}
