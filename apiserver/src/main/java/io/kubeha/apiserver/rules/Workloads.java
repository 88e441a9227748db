package io.kubeha.apiserver.rules;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.kubeha.apiserver.api.FieldError;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import static io.kubeha.apiserver.rules.Meta.nz;

/** What Deployments, ReplicaSets and DaemonSets share: selector against template, the template, int-or-percent. */
final class Workloads {
    private Workloads() {}

    /** Template defaults are SetDefaults_PodSpec's only: no enableServiceLinks, no requests from limits. */
    static void defaultTemplate(PodTemplateSpec t) {
        if (t == null) return;
        if (t.getSpec() == null) t.setSpec(new PodSpec());
        PodDefaults.spec(t.getSpec());
    }

    /**
     * The selector (required, valid, not empty) and the template it must match; {@code emptyWord} is how kube names
     * the owner in "empty selector is invalid for ..." (a ReplicaSet says deployment, as kube's does).
     */
    static List<FieldError> selectorAndTemplate(LabelSelector selector, PodTemplateSpec template, Path spec, String emptyWord,
                                                boolean selectorRequired) {
        List<FieldError> errs = new ArrayList<>();
        Path sp = spec.child("selector");
        if (selector == null) {
            if (selectorRequired) errs.add(Errs.required(sp));
        } else {
            errs.addAll(Selectors.validate(selector, sp));
            if (Selectors.isEmpty(selector)) errs.add(Errs.invalidRaw(sp, Go.selector(selector), "empty selector is invalid for " + emptyWord));
        }
        Path tp = spec.child("template");
        if (!Selectors.convertible(selector)) {
            errs.add(Errs.invalidRaw(sp, Go.selector(selector), "invalid label selector"));
            return errs;
        }
        var labels = template == null || template.getMetadata() == null ? null : template.getMetadata().getLabels();
        // a missing selector selects nothing (labels.Nothing()), so it fails to match as well
        if (selector == null || (!Selectors.isEmpty(selector) && !Selectors.matches(selector, labels))) {
            errs.add(Errs.invalidRaw(tp.child("metadata", "labels"), Go.stringMap(labels), "`selector` does not match template `labels`"));
        }
        return errs;
    }

    /** A replicated pod's template: valid, restarting always, no deadline. */
    static List<FieldError> template(PodTemplateSpec template, Path tp, String owner) {
        List<FieldError> errs = new ArrayList<>(PodValidation.template(template, tp));
        PodSpec s = template == null || template.getSpec() == null ? new PodSpec() : template.getSpec();
        if (!"Always".equals(s.getRestartPolicy())) {
            errs.add(Errs.notSupported(tp.child("spec", "restartPolicy"), nz(s.getRestartPolicy()), List.of("Always")));
        }
        if (s.getActiveDeadlineSeconds() != null) {
            errs.add(Errs.forbidden(tp.child("spec", "activeDeadlineSeconds"), "activeDeadlineSeconds in " + owner + " is not Supported"));
        }
        return errs;
    }

    static void nonNegative(List<FieldError> errs, Number v, Path p) {
        if (v != null && v.longValue() < 0) errs.add(Errs.invalid(p, v.longValue(), "must be greater than or equal to 0"));
    }

    /** ValidatePositiveIntOrPercent: a non-negative int or a "N%" string. */
    static List<FieldError> intOrPercent(IntOrString v, Path p) {
        List<FieldError> errs = new ArrayList<>();
        if (v != null && v.getStrVal() != null) {
            for (String msg : Names.percent(v.getStrVal())) errs.add(Errs.invalidRaw(p, Go.intOrString(v), msg));
        } else {
            int i = v == null || v.getIntVal() == null ? 0 : v.getIntVal();
            if (i < 0) errs.add(Errs.invalid(p, i, "must be greater than or equal to 0"));
        }
        return errs;
    }

    /** The value of an int or a valid percentage (its number), 0 for anything else. */
    static int value(IntOrString v) {
        if (v == null) return 0;
        if (v.getStrVal() != null) {
            String s = v.getStrVal();
            return Names.percent(s).isEmpty() ? Integer.parseInt(s.substring(0, s.length() - 1)) : 0;
        }
        return v.getIntVal() == null ? 0 : v.getIntVal();
    }

    static List<FieldError> notMoreThan100Percent(IntOrString v, Path p) {
        if (v != null && v.getStrVal() != null && Names.percent(v.getStrVal()).isEmpty() && value(v) > 100) {
            return List.of(Errs.invalidRaw(p, Go.intOrString(v), "must not be greater than 100%"));
        }
        return List.of();
    }

    /** Selectors of Deployments, ReplicaSets and DaemonSets are immutable in apps/v1. */
    static List<FieldError> selectorImmutable(LabelSelector now, LabelSelector before) {
        if (Objects.equals(io.kubeha.apiserver.api.Json.tree(now), io.kubeha.apiserver.api.Json.tree(before))) return List.of();
        return List.of(Errs.immutable(Path.of("spec", "selector"), Go.selector(now)));
    }
}
