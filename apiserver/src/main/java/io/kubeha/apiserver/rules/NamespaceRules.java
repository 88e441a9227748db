package io.kubeha.apiserver.rules;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceSpec;
import io.fabric8.kubernetes.api.model.NamespaceStatus;
import io.kubeha.apiserver.api.FieldError;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;

import static io.kubeha.apiserver.rules.Meta.list;
import static io.kubeha.apiserver.rules.Meta.nz;

/** Namespaces (core/v1): cluster-scoped, named by DNS labels. */
final class NamespaceRules extends KindRules<Namespace> {
    static final String NAME_LABEL = "kubernetes.io/metadata.name";

    NamespaceRules() {
        super(false, NameRule.DNS_LABEL);
    }

    /** Every namespace carries its name as a label, so namespace selectors can pick it by name. */
    @Override
    public void applyDefaults(Namespace ns) {
        String name = ns.getMetadata() == null ? null : ns.getMetadata().getName();
        if (name == null || name.isEmpty()) return;
        var labels = ns.getMetadata().getLabels() == null ? new LinkedHashMap<String, String>() : new LinkedHashMap<>(ns.getMetadata().getLabels());
        labels.put(NAME_LABEL, name);
        ns.getMetadata().setLabels(labels);
    }

    /**
     * Active, with the "kubernetes" finalizer the namespace controller removes once the namespace's content is gone.
     * It is added here, not in defaults, because it may later be removed (through namespaces/finalize).
     */
    @Override
    public void prepareForCreate(Namespace ns) {
        NamespaceStatus st = new NamespaceStatus();
        st.setPhase("Active");
        ns.setStatus(st);
        if (ns.getSpec() == null) ns.setSpec(new NamespaceSpec());
        List<String> f = new ArrayList<>(list(ns.getSpec().getFinalizers()));
        if (!f.contains("kubernetes")) f.add("kubernetes");
        ns.getSpec().setFinalizers(f);
    }

    /** spec.finalizers change only through namespaces/finalize, status through namespaces/status. */
    @Override
    void prepareKindUpdate(Namespace ns, Namespace old) {
        if (ns.getSpec() == null) ns.setSpec(new NamespaceSpec());
        ns.getSpec().setFinalizers(old.getSpec() == null ? null : old.getSpec().getFinalizers());
        ns.setStatus(old.getStatus());
    }

    @Override
    List<FieldError> validateKind(Namespace ns) {
        List<FieldError> errs = new ArrayList<>();
        List<String> f = ns.getSpec() == null ? List.of() : list(ns.getSpec().getFinalizers());
        Path p = Path.of("spec", "finalizers");
        for (String name : f) {
            for (String msg : Names.qualifiedName(nz(name))) errs.add(Errs.invalid(p, nz(name), msg));
            if (!nz(name).contains("/") && !List.of("kubernetes", "orphan", "foregroundDeletion").contains(nz(name))) {
                errs.add(Errs.invalid(p, nz(name), "name is neither a standard finalizer name nor is it fully qualified"));
            }
        }
        return errs;
    }

    @Override
    List<FieldError> validateKindUpdate(Namespace ns, Namespace old) {
        return List.of();
    }
}
