package io.kubeha.apiserver.rules;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetSpec;
import io.fabric8.kubernetes.api.model.apps.DaemonSetStatus;
import io.fabric8.kubernetes.api.model.apps.DaemonSetUpdateStrategy;
import io.fabric8.kubernetes.api.model.apps.RollingUpdateDaemonSet;
import io.kubeha.apiserver.api.FieldError;

import java.util.ArrayList;
import java.util.List;

import static io.kubeha.apiserver.rules.Meta.nz;

/** DaemonSets (apps/v1). */
final class DaemonSetRules extends KindRules<DaemonSet> {
    DaemonSetRules() {
        super(true, NameRule.DNS_SUBDOMAIN);
    }

    @Override
    public void applyDefaults(DaemonSet ds) {
        if (ds.getSpec() == null) ds.setSpec(new DaemonSetSpec());
        DaemonSetSpec s = ds.getSpec();
        if (s.getUpdateStrategy() == null) s.setUpdateStrategy(new DaemonSetUpdateStrategy());
        DaemonSetUpdateStrategy st = s.getUpdateStrategy();
        if (nz(st.getType()).isEmpty()) st.setType("RollingUpdate");
        if (st.getType().equals("RollingUpdate")) {
            if (st.getRollingUpdate() == null) st.setRollingUpdate(new RollingUpdateDaemonSet());
            if (st.getRollingUpdate().getMaxUnavailable() == null) st.getRollingUpdate().setMaxUnavailable(new IntOrString(1));
            if (st.getRollingUpdate().getMaxSurge() == null) st.getRollingUpdate().setMaxSurge(new IntOrString(0));
        }
        if (s.getRevisionHistoryLimit() == null) s.setRevisionHistoryLimit(10);
        Workloads.defaultTemplate(s.getTemplate());
    }

    /**
     * kube-apiserver's template generation, which apps/v1 shows as this annotation: 1 on create, one more each time
     * the pod template changes. The DaemonSet controller labels pods with it (pod-template-generation).
     */
    static final String TEMPLATE_GENERATION = "deprecated.daemonset.template.generation";

    @Override
    public void prepareForCreate(DaemonSet ds) {
        ds.setStatus(new DaemonSetStatus());
        long given = templateGeneration(ds);
        setTemplateGeneration(ds, Math.max(1, given));
    }

    @Override
    void prepareKindUpdate(DaemonSet ds, DaemonSet old) {
        ds.setStatus(old.getStatus());
        long before = Math.max(1, templateGeneration(old));
        boolean templateChanged = !java.util.Objects.equals(ds.getSpec() == null ? null : ds.getSpec().getTemplate(),
                old.getSpec() == null ? null : old.getSpec().getTemplate());
        setTemplateGeneration(ds, templateChanged ? before + 1 : before);
    }

    private static long templateGeneration(DaemonSet ds) {
        var a = ds.getMetadata() == null ? null : ds.getMetadata().getAnnotations();
        try {
            return a == null || a.get(TEMPLATE_GENERATION) == null ? 0 : Long.parseLong(a.get(TEMPLATE_GENERATION));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static void setTemplateGeneration(DaemonSet ds, long generation) {
        if (ds.getMetadata() == null) ds.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMeta());
        var a = ds.getMetadata().getAnnotations() == null ? new java.util.LinkedHashMap<String, String>()
                : new java.util.LinkedHashMap<>(ds.getMetadata().getAnnotations());
        a.put(TEMPLATE_GENERATION, Long.toString(generation));
        ds.getMetadata().setAnnotations(a);
    }

    @Override
    List<FieldError> validateKind(DaemonSet ds) {
        List<FieldError> errs = new ArrayList<>();
        DaemonSetSpec s = ds.getSpec() == null ? new DaemonSetSpec() : ds.getSpec();
        Path spec = Path.of("spec");
        // unlike the others, kube does not require a DaemonSet's selector outright: a missing one selects nothing
        // (labels.Nothing()), so it fails to match the template
        errs.addAll(Selectors.validate(s.getSelector(), spec.child("selector")));
        var labels = s.getTemplate() == null || s.getTemplate().getMetadata() == null ? null : s.getTemplate().getMetadata().getLabels();
        if (Selectors.convertible(s.getSelector()) && (s.getSelector() == null || !Selectors.matches(s.getSelector(), labels))) {
            errs.add(Errs.invalidRaw(spec.child("template", "metadata", "labels"), Go.stringMap(labels), "`selector` does not match template `labels`"));
        }
        if (s.getSelector() != null && Selectors.isEmpty(s.getSelector())) {
            errs.add(Errs.invalidRaw(spec.child("selector"), Go.selector(s.getSelector()), "empty selector is invalid for daemonset"));
        }
        errs.addAll(Workloads.template(s.getTemplate(), spec.child("template"), "DaemonSet"));
        Workloads.nonNegative(errs, s.getMinReadySeconds(), spec.child("minReadySeconds"));
        errs.addAll(updateStrategy(s.getUpdateStrategy(), spec.child("updateStrategy")));
        Workloads.nonNegative(errs, s.getRevisionHistoryLimit(), spec.child("revisionHistoryLimit"));
        return errs;
    }

    @Override
    List<FieldError> validateKindUpdate(DaemonSet ds, DaemonSet old) {
        List<FieldError> errs = new ArrayList<>(validateKind(ds));
        errs.addAll(Workloads.selectorImmutable(ds.getSpec() == null ? null : ds.getSpec().getSelector(),
                old.getSpec() == null ? null : old.getSpec().getSelector()));
        return errs;
    }

    private static List<FieldError> updateStrategy(DaemonSetUpdateStrategy st, Path p) {
        List<FieldError> errs = new ArrayList<>();
        if (st == null) st = new DaemonSetUpdateStrategy();
        switch (nz(st.getType())) {
            case "OnDelete" -> { }
            case "RollingUpdate" -> {
                RollingUpdateDaemonSet ru = st.getRollingUpdate();
                if (ru == null) return List.of(Errs.required(p.child("rollingUpdate")));
                Path rp = p.child("rollingUpdate");
                errs.addAll(Workloads.intOrPercent(ru.getMaxUnavailable(), rp.child("maxUnavailable")));
                errs.addAll(Workloads.intOrPercent(ru.getMaxSurge(), rp.child("maxSurge")));
                errs.addAll(Workloads.notMoreThan100Percent(ru.getMaxUnavailable(), rp.child("maxUnavailable")));
                errs.addAll(Workloads.notMoreThan100Percent(ru.getMaxSurge(), rp.child("maxSurge")));
                boolean unavailable = Workloads.value(ru.getMaxUnavailable()) != 0, surge = Workloads.value(ru.getMaxSurge()) != 0;
                if (unavailable && surge) {
                    errs.add(Errs.invalidRaw(rp.child("maxSurge"), Go.intOrString(ru.getMaxSurge()), "may not be set when maxUnavailable is non-zero"));
                } else if (!unavailable && !surge) {
                    errs.add(Errs.required(rp.child("maxUnavailable"), "cannot be 0 when maxSurge is 0"));
                }
            }
            default -> errs.add(Errs.notSupportedRaw(p, "apps.DaemonSetUpdateStrategy{Type:" + Go.quote(nz(st.getType())) + ", RollingUpdate:...}",
                    List.of("RollingUpdate", "OnDelete")));
        }
        return errs;
    }
}
