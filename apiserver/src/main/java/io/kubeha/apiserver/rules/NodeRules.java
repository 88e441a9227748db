package io.kubeha.apiserver.rules;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeSpec;
import io.fabric8.kubernetes.api.model.Taint;
import io.kubeha.apiserver.api.FieldError;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

import static io.kubeha.apiserver.rules.Meta.list;
import static io.kubeha.apiserver.rules.Meta.nz;

/** Nodes (core/v1), minimally: taints, pod CIDRs, and what may not change once set. */
final class NodeRules extends KindRules<Node> {
    NodeRules() {
        super(false, NameRule.DNS_SUBDOMAIN);
    }

    /**
     * spec.podCIDR and spec.podCIDRs are one field in kube's internal Node (PodCIDRs; podCIDR is its first entry, as
     * the v1 conversion fills it both ways): a client that sets only one of them gets the other filled in.
     */
    @Override
    public void applyDefaults(Node node) {
        NodeSpec s = node.getSpec();
        if (s == null) return;
        if (list(s.getPodCIDRs()).isEmpty() && !nz(s.getPodCIDR()).isEmpty()) s.setPodCIDRs(new ArrayList<>(List.of(s.getPodCIDR())));
        else if (nz(s.getPodCIDR()).isEmpty() && !list(s.getPodCIDRs()).isEmpty()) s.setPodCIDR(s.getPodCIDRs().getFirst());
    }

    /** The kubelet owns the status (nodes/status); a node update keeps the stored one. On create any status goes. */
    @Override
    void prepareKindUpdate(Node node, Node old) {
        node.setStatus(old.getStatus());
    }

    @Override
    List<FieldError> validateKind(Node node) {
        List<FieldError> errs = new ArrayList<>();
        NodeSpec s = node.getSpec() == null ? new NodeSpec() : node.getSpec();
        Path spec = Path.of("spec");
        errs.addAll(taints(list(s.getTaints()), spec.child("taints")));
        var cidrs = list(s.getPodCIDRs());
        if (!cidrs.isEmpty()) {
            for (int i = 0; i < cidrs.size(); i++) errs.addAll(Names.validCidr(spec.child("podCIDRs").index(i), nz(cidrs.get(i))));
            if (cidrs.size() > 2) errs.add(Errs.invalidRaw(spec.child("podCIDRs"), Go.strings(cidrs), "may specify no more than one CIDR for each IP family"));
            Set<String> seen = new HashSet<>();
            for (int i = 0; i < cidrs.size(); i++) {
                if (!seen.add(nz(cidrs.get(i)))) errs.add(Errs.duplicate(spec.child("podCIDRs").index(i), nz(cidrs.get(i))));
            }
            // the v1 field's documented rule: "If this field is specified, the 0th entry must match the podCIDR field"
            if (!nz(s.getPodCIDR()).isEmpty() && !nz(s.getPodCIDR()).equals(nz(cidrs.getFirst()))) {
                errs.add(Errs.invalid(spec.child("podCIDR"), s.getPodCIDR(), "must match the first entry of spec.podCIDRs (" + nz(cidrs.getFirst()) + ")"));
            }
        }
        return errs;
    }

    private static List<FieldError> taints(List<Taint> taints, Path p) {
        List<FieldError> errs = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < taints.size(); i++) {
            Taint t = taints.get(i);
            Path tp = p.index(i);
            errs.addAll(Meta.labelName(nz(t.getKey()), tp.child("key")));
            if (!nz(t.getValue()).isEmpty()) {
                for (String msg : Names.labelValue(t.getValue())) errs.add(Errs.invalid(tp.child("value"), t.getValue(), msg));
            }
            if (nz(t.getEffect()).isEmpty()) errs.add(Errs.required(tp.child("effect")));
            else errs.addAll(PodValidation.taintEffect(t.getEffect(), tp.child("effect")));
            String key = nz(t.getKey()) + ":" + nz(t.getEffect());
            if (!seen.add(key)) errs.add(Errs.duplicateRaw(tp, "core.Taint{Key:" + Go.quote(nz(t.getKey())) + ", Value:" + Go.quote(nz(t.getValue()))
                    + ", Effect:" + Go.quote(nz(t.getEffect())) + ", TimeAdded:<nil>}"));
        }
        return errs;
    }

    @Override
    List<FieldError> validateKindUpdate(Node node, Node old) {
        List<FieldError> errs = new ArrayList<>(validateKind(node));
        NodeSpec s = node.getSpec() == null ? new NodeSpec() : node.getSpec();
        NodeSpec o = old.getSpec() == null ? new NodeSpec() : old.getSpec();
        // pod CIDRs and the provider ID may be set once, from empty, never changed
        if (!list(o.getPodCIDRs()).isEmpty() && !Objects.equals(list(o.getPodCIDRs()), list(s.getPodCIDRs()))) {
            errs.add(Errs.forbidden(Path.of("spec", "podCIDRs"), "node updates may not change podCIDR except from \"\" to valid"));
        } else if (!nz(o.getPodCIDR()).isEmpty() && !nz(o.getPodCIDR()).equals(nz(s.getPodCIDR()))) {
            // a node stored before podCIDRs was mirrored, or a client that changes podCIDR alone
            errs.add(Errs.forbidden(Path.of("spec", "podCIDR"), "node updates may not change podCIDR except from \"\" to valid"));
        }
        if (!nz(o.getProviderID()).isEmpty() && !nz(o.getProviderID()).equals(nz(s.getProviderID()))) {
            errs.add(Errs.forbidden(Path.of("spec", "providerID"), "node updates may not change providerID except from \"\" to valid"));
        }
        return errs;
    }
}
