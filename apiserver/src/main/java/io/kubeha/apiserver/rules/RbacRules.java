package io.kubeha.apiserver.rules;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.rbac.AggregationRule;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.RoleRef;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import io.kubeha.apiserver.api.FieldError;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import static io.kubeha.apiserver.rules.Meta.list;
import static io.kubeha.apiserver.rules.Meta.nz;

/**
 * The rbac.authorization.k8s.io/v1 kinds, as kube-apiserver 1.33 defaults and validates them
 * (pkg/apis/rbac/v1/defaults.go, pkg/apis/rbac/validation): names need only be URL path segments; every rule
 * has verbs, and either resources (with API groups) or non-resource URLs, the latter in ClusterRoles only; a
 * binding's roleRef is a Role or ClusterRole of this group and never changes; subjects are Users, Groups
 * (apiGroup rbac.authorization.k8s.io, defaulted) or ServiceAccounts (apiGroup "", and a namespace when the
 * binding is cluster-wide; a RoleBinding's ServiceAccount without one means the binding's namespace).
 *
 * <p>What kube's RBAC storage adds on top, the escalation check (a writer may only grant what it holds itself
 * or may "bind"/"escalate"), needs the requesting user and the authorizer, and is left to whoever wires those.
 */
final class RbacRules {
    private RbacRules() {}

    static final String GROUP = "rbac.authorization.k8s.io";
    private static final Path ROLE_REF = Path.of("roleRef");
    private static final Path SUBJECTS = Path.of("subjects");

    static final class RoleRules extends KindRules<Role> {
        RoleRules() {
            super(true, NameRule.PATH_SEGMENT);
        }

        @Override
        List<FieldError> validateKind(Role r) {
            return rules(r.getRules(), true);
        }
    }

    static final class ClusterRoleRules extends KindRules<ClusterRole> {
        ClusterRoleRules() {
            super(false, NameRule.PATH_SEGMENT);
        }

        @Override
        List<FieldError> validateKind(ClusterRole r) {
            List<FieldError> errs = rules(r.getRules(), false);
            AggregationRule agg = r.getAggregationRule();
            if (agg != null) {
                Path p = Path.of("aggregationRule", "clusterRoleSelectors");
                List<LabelSelector> selectors = list(agg.getClusterRoleSelectors());
                if (selectors.isEmpty()) {
                    errs.add(Errs.required(p, "at least one clusterRoleSelector required if aggregationRule is non-nil"));
                }
                for (int i = 0; i < selectors.size(); i++) errs.addAll(Selectors.validate(selectors.get(i), p.index(i)));
            }
            return errs;
        }
    }

    static final class RoleBindingRules extends KindRules<RoleBinding> {
        RoleBindingRules() {
            super(true, NameRule.PATH_SEGMENT);
        }

        @Override
        public void applyDefaults(RoleBinding b) {
            defaults(b.getRoleRef(), b.getSubjects());
            if (b.getRoleRef() == null) b.setRoleRef(defaultRef());
        }

        @Override
        List<FieldError> validateKind(RoleBinding b) {
            return binding(b.getRoleRef(), b.getSubjects(), true);
        }

        @Override
        List<FieldError> validateKindUpdate(RoleBinding b, RoleBinding old) {
            List<FieldError> errs = validateKind(b);
            roleRefUnchanged(errs, b.getRoleRef(), old.getRoleRef());
            return errs;
        }
    }

    static final class ClusterRoleBindingRules extends KindRules<ClusterRoleBinding> {
        ClusterRoleBindingRules() {
            super(false, NameRule.PATH_SEGMENT);
        }

        @Override
        public void applyDefaults(ClusterRoleBinding b) {
            defaults(b.getRoleRef(), b.getSubjects());
            if (b.getRoleRef() == null) b.setRoleRef(defaultRef());
        }

        @Override
        List<FieldError> validateKind(ClusterRoleBinding b) {
            return binding(b.getRoleRef(), b.getSubjects(), false);
        }

        @Override
        List<FieldError> validateKindUpdate(ClusterRoleBinding b, ClusterRoleBinding old) {
            List<FieldError> errs = validateKind(b);
            roleRefUnchanged(errs, b.getRoleRef(), old.getRoleRef());
            return errs;
        }
    }

    // ------------------------------------------------------------------ defaults

    /** A binding without roleRef still gets its apiGroup defaulted, as Go's zero-valued struct would. */
    private static RoleRef defaultRef() {
        RoleRef r = new RoleRef();
        r.setApiGroup(GROUP);
        return r;
    }

    /** roleRef.apiGroup defaults to this group; a User's or Group's subject apiGroup too (a ServiceAccount's stays ""). */
    private static void defaults(RoleRef ref, List<Subject> subjects) {
        if (ref != null && nz(ref.getApiGroup()).isEmpty()) ref.setApiGroup(GROUP);
        for (Subject s : list(subjects)) {
            if (s == null || !nz(s.getApiGroup()).isEmpty()) continue;
            if ("User".equals(s.getKind()) || "Group".equals(s.getKind())) s.setApiGroup(GROUP);
        }
    }

    // ------------------------------------------------------------------ validation

    private static List<FieldError> rules(List<PolicyRule> rules, boolean namespaced) {
        List<FieldError> errs = new ArrayList<>();
        List<PolicyRule> l = list(rules);
        for (int i = 0; i < l.size(); i++) errs.addAll(rule(l.get(i) == null ? new PolicyRule() : l.get(i), namespaced, Path.of("rules").index(i)));
        return errs;
    }

    /** pkg/apis/rbac/validation ValidatePolicyRule. */
    static List<FieldError> rule(PolicyRule r, boolean namespaced, Path p) {
        List<FieldError> errs = new ArrayList<>();
        if (list(r.getVerbs()).isEmpty()) errs.add(Errs.required(p.child("verbs"), "verbs must contain at least one value"));
        List<String> urls = list(r.getNonResourceURLs());
        if (!urls.isEmpty()) {
            if (namespaced) {
                errs.add(Errs.invalidRaw(p.child("nonResourceURLs"), Go.strings(urls), "namespaced rules cannot apply to non-resource URLs"));
            }
            if (!list(r.getApiGroups()).isEmpty() || !list(r.getResources()).isEmpty() || !list(r.getResourceNames()).isEmpty()) {
                errs.add(Errs.invalidRaw(p.child("nonResourceURLs"), Go.strings(urls),
                        "rules cannot apply to both regular resources and non-resource URLs"));
            }
            return errs;
        }
        if (list(r.getApiGroups()).isEmpty()) errs.add(Errs.required(p.child("apiGroups"), "resource rules must supply at least one api group"));
        if (list(r.getResources()).isEmpty()) errs.add(Errs.required(p.child("resources"), "resource rules must supply at least one resource"));
        if (!list(r.getResourceNames()).isEmpty() && list(r.getResources()).size() > 1) {
            errs.add(Errs.required(p.child("resourceNames"), "resource names cannot apply to multiple resources"));
        }
        return errs;
    }

    private static List<FieldError> binding(RoleRef ref, List<Subject> subjects, boolean namespaced) {
        List<FieldError> errs = new ArrayList<>();
        RoleRef r = ref == null ? new RoleRef() : ref;
        if (!GROUP.equals(nz(r.getApiGroup()))) errs.add(Errs.notSupported(ROLE_REF.child("apiGroup"), nz(r.getApiGroup()), List.of(GROUP)));
        List<String> kinds = namespaced ? List.of("Role", "ClusterRole") : List.of("ClusterRole");
        if (!kinds.contains(nz(r.getKind()))) errs.add(Errs.notSupported(ROLE_REF.child("kind"), nz(r.getKind()), kinds));
        String name = nz(r.getName());
        if (name.isEmpty()) errs.add(Errs.required(ROLE_REF.child("name")));
        else for (String msg : Names.pathSegment(name)) errs.add(Errs.invalid(ROLE_REF.child("name"), name, msg));
        List<Subject> l = list(subjects);
        for (int i = 0; i < l.size(); i++) errs.addAll(subject(l.get(i) == null ? new Subject() : l.get(i), namespaced, SUBJECTS.index(i)));
        return errs;
    }

    private static List<FieldError> subject(Subject s, boolean namespaced, Path p) {
        List<FieldError> errs = new ArrayList<>();
        String name = nz(s.getName());
        String group = nz(s.getApiGroup());
        if (name.isEmpty()) errs.add(Errs.required(p.child("name")));
        switch (nz(s.getKind())) {
            case "ServiceAccount" -> {
                if (!name.isEmpty()) for (String msg : Names.dns1123Subdomain(name)) errs.add(Errs.invalid(p.child("name"), name, msg));
                if (!group.isEmpty()) errs.add(Errs.notSupported(p.child("apiGroup"), group, List.of("")));
                if (!namespaced && nz(s.getNamespace()).isEmpty()) errs.add(Errs.required(p.child("namespace")));
            }
            case "User" -> {
                if (name.isEmpty()) errs.add(Errs.invalid(p.child("name"), name, "user name cannot be empty"));
                if (!GROUP.equals(group)) errs.add(Errs.notSupported(p.child("apiGroup"), group, List.of(GROUP)));
            }
            case "Group" -> {
                if (name.isEmpty()) errs.add(Errs.invalid(p.child("name"), name, "group name cannot be empty"));
                if (!GROUP.equals(group)) errs.add(Errs.notSupported(p.child("apiGroup"), group, List.of(GROUP)));
            }
            default -> errs.add(Errs.notSupported(p.child("kind"), nz(s.getKind()), List.of("ServiceAccount", "User", "Group")));
        }
        return errs;
    }

    /** kube: {@code roleRef: Invalid value: rbac.RoleRef{APIGroup:"...", Kind:"...", Name:"..."}: cannot change roleRef}. */
    private static void roleRefUnchanged(List<FieldError> errs, RoleRef now, RoleRef before) {
        RoleRef a = now == null ? new RoleRef() : now;
        RoleRef b = before == null ? new RoleRef() : before;
        if (Objects.equals(nz(a.getApiGroup()), nz(b.getApiGroup())) && Objects.equals(nz(a.getKind()), nz(b.getKind()))
                && Objects.equals(nz(a.getName()), nz(b.getName()))) {
            return;
        }
        errs.add(Errs.invalidRaw(ROLE_REF, roleRef(a), "cannot change roleRef"));
    }

    static String roleRef(RoleRef r) {
        return "rbac.RoleRef{APIGroup:" + Go.quote(nz(r.getApiGroup())) + ", Kind:" + Go.quote(nz(r.getKind()))
                + ", Name:" + Go.quote(nz(r.getName())) + "}";
    }
}
