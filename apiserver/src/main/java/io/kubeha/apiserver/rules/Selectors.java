package io.kubeha.apiserver.rules;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.kubeha.apiserver.api.FieldError;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.kubeha.apiserver.rules.Meta.list;
import static io.kubeha.apiserver.rules.Meta.map;
import static io.kubeha.apiserver.rules.Meta.nz;

/** metav1.LabelSelector: validation (apimachinery's ValidateLabelSelector) and matching against labels. */
final class Selectors {
    private Selectors() {}

    static List<FieldError> validate(LabelSelector s, Path p) {
        List<FieldError> errs = new ArrayList<>();
        if (s == null) return errs;
        errs.addAll(Meta.labels(s.getMatchLabels(), p.child("matchLabels")));
        List<LabelSelectorRequirement> exprs = list(s.getMatchExpressions());
        for (int i = 0; i < exprs.size(); i++) {
            LabelSelectorRequirement r = exprs.get(i);
            Path rp = p.child("matchExpressions").index(i);
            List<String> values = list(r.getValues());
            switch (nz(r.getOperator())) {
                case "In", "NotIn" -> {
                    if (values.isEmpty()) errs.add(Errs.required(rp.child("values"), "must be specified when `operator` is 'In' or 'NotIn'"));
                }
                case "Exists", "DoesNotExist" -> {
                    if (!values.isEmpty()) errs.add(Errs.forbidden(rp.child("values"), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
                }
                default -> errs.add(Errs.invalid(rp.child("operator"), nz(r.getOperator()), "not a valid selector operator"));
            }
            errs.addAll(Meta.labelName(nz(r.getKey()), rp.child("key")));
            for (int v = 0; v < values.size(); v++) {
                for (String msg : Names.labelValue(nz(values.get(v)))) {
                    errs.add(Errs.invalid(rp.child("values").index(v), nz(values.get(v)), msg));
                }
            }
        }
        return errs;
    }

    /** Whether metav1.LabelSelectorAsSelector would accept it. */
    static boolean convertible(LabelSelector s) {
        if (s == null) return true;
        for (LabelSelectorRequirement r : list(s.getMatchExpressions())) {
            int n = list(r.getValues()).size();
            switch (nz(r.getOperator())) {
                case "In", "NotIn" -> {
                    if (n == 0) return false;
                }
                case "Exists", "DoesNotExist" -> {
                    if (n != 0) return false;
                }
                default -> {
                    return false;
                }
            }
        }
        return true;
    }

    static boolean isEmpty(LabelSelector s) {
        return s == null || (map(s.getMatchLabels()).isEmpty() && list(s.getMatchExpressions()).isEmpty());
    }

    static boolean matches(LabelSelector s, Map<String, String> labels) {
        Map<String, String> l = map(labels);
        if (s == null) return false;
        for (var e : map(s.getMatchLabels()).entrySet()) {
            if (!e.getValue().equals(l.get(e.getKey()))) return false;
        }
        for (LabelSelectorRequirement r : list(s.getMatchExpressions())) {
            String v = l.get(r.getKey());
            List<String> values = list(r.getValues());
            boolean ok = switch (nz(r.getOperator())) {
                case "In" -> v != null && values.contains(v);
                case "NotIn" -> v == null || !values.contains(v);
                case "Exists" -> v != null;
                case "DoesNotExist" -> v == null;
                default -> false;
            };
            if (!ok) return false;
        }
        return true;
    }
}
