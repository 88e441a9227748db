package io.kubeha.scheduler;

import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeAffinity;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PreferredSchedulingTerm;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Node affinity of a pod: spec.affinity.nodeAffinity and, for pods written for Kubernetes before 1.6 (the seed's
 * kube-discovery), the alpha annotation holding the same structure as JSON. Both must hold when both are set.
 */
final class Affinities {
    static final String LEGACY_ANNOTATION = "scheduler.alpha.kubernetes.io/affinity";
    private static final KubernetesSerialization JSON = new KubernetesSerialization();

    private Affinities() { }

    /** The node affinities that apply to the pod: from the spec and from the legacy annotation (unparsable: none). */
    static List<NodeAffinity> nodeAffinities(Pod pod) {
        List<NodeAffinity> out = new ArrayList<>();
        if (pod.getSpec() != null && pod.getSpec().getAffinity() != null && pod.getSpec().getAffinity().getNodeAffinity() != null) {
            out.add(pod.getSpec().getAffinity().getNodeAffinity());
        }
        Map<String, String> annotations = pod.getMetadata().getAnnotations();
        String legacy = annotations == null ? null : annotations.get(LEGACY_ANNOTATION);
        if (legacy != null && !legacy.isBlank()) {
            try {
                Affinity a = JSON.unmarshal(legacy, Affinity.class);
                if (a != null && a.getNodeAffinity() != null) out.add(a.getNodeAffinity());
            } catch (RuntimeException e) {
                // kube-scheduler of that era also ignored an annotation it could not parse (and logged it)
            }
        }
        return out;
    }

    /** Terms are ORed, expressions of a term ANDed; an empty term matches nothing, as Kubernetes. */
    static boolean matchesAnyTerm(List<NodeSelectorTerm> terms, Node node) {
        for (NodeSelectorTerm t : terms) {
            if (matches(t, node)) return true;
        }
        return false;
    }

    static boolean matches(NodeSelectorTerm term, Node node) {
        List<NodeSelectorRequirement> exprs = Resources.nullSafe(term.getMatchExpressions());
        List<NodeSelectorRequirement> fields = Resources.nullSafe(term.getMatchFields());
        if (exprs.isEmpty() && fields.isEmpty()) return false;
        Map<String, String> labels = node.getMetadata().getLabels() == null ? Map.of() : node.getMetadata().getLabels();
        for (NodeSelectorRequirement r : exprs) {
            if (!matches(r, labels)) return false;
        }
        for (NodeSelectorRequirement r : fields) {
            // only metadata.name is a supported field, as Kubernetes
            if (!"metadata.name".equals(r.getKey())) return false;
            if (!matches(r, Map.of("metadata.name", node.getMetadata().getName()))) return false;
        }
        return true;
    }

    static boolean matches(NodeSelectorRequirement r, Map<String, String> labels) {
        String value = labels.get(r.getKey());
        List<String> values = Resources.nullSafe(r.getValues());
        return switch (r.getOperator() == null ? "" : r.getOperator()) {
            case "In" -> value != null && values.contains(value);
            case "NotIn" -> value == null || !values.contains(value);
            case "Exists" -> value != null;
            case "DoesNotExist" -> value == null;
            case "Gt", "Lt" -> {
                if (value == null || values.size() != 1) yield false;
                try {
                    long have = Long.parseLong(value);
                    long want = Long.parseLong(values.get(0));
                    yield r.getOperator().equals("Gt") ? have > want : have < want;
                } catch (NumberFormatException e) {
                    yield false;
                }
            }
            default -> false;
        };
    }

    static List<PreferredSchedulingTerm> preferred(Pod pod) {
        List<PreferredSchedulingTerm> out = new ArrayList<>();
        for (NodeAffinity a : nodeAffinities(pod)) {
            out.addAll(Resources.nullSafe(a.getPreferredDuringSchedulingIgnoredDuringExecution()));
        }
        return out;
    }
}
