package io.kubeha.controllers.daemonset;

import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeAffinity;
import io.fabric8.kubernetes.api.model.NodeSelector;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirementBuilder;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import io.fabric8.kubernetes.api.model.NodeSelectorTermBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Which nodes a DaemonSet's pod belongs on, with kube-controller-manager's rules (NodeShouldRunDaemonPod): the
 * template's nodeName, nodeSelector and required node affinity must match the node, and every NoSchedule/NoExecute
 * taint must be tolerated by the template's tolerations plus the ones Kubernetes adds to every daemon pod. A pod
 * already running may stay on a node whose only untolerated taints are NoSchedule; an untolerated NoExecute taint
 * evicts it. Node readiness and cordoning play no part: daemon pods tolerate both.
 */
final class Placement {
    static final String NOT_READY = "node.kubernetes.io/not-ready";
    static final String UNREACHABLE = "node.kubernetes.io/unreachable";
    static final String DISK_PRESSURE = "node.kubernetes.io/disk-pressure";
    static final String MEMORY_PRESSURE = "node.kubernetes.io/memory-pressure";
    static final String PID_PRESSURE = "node.kubernetes.io/pid-pressure";
    static final String UNSCHEDULABLE = "node.kubernetes.io/unschedulable";
    static final String NETWORK_UNAVAILABLE = "node.kubernetes.io/network-unavailable";
    /** The only field node affinity may select on, as in Kubernetes. */
    static final String NAME_FIELD = "metadata.name";

    private Placement() {
    }

    /**
     * @param shouldRun             a daemon pod should be created on the node if there is none
     * @param shouldContinueRunning a daemon pod already there may stay
     */
    record Decision(boolean shouldRun, boolean shouldContinueRunning) {
    }

    static Decision decide(Node node, DaemonSet ds) {
        PodSpec template = ds.getSpec().getTemplate().getSpec();
        String nodeName = template == null ? null : template.getNodeName();
        if (nodeName != null && !nodeName.isEmpty() && !nodeName.equals(node.getMetadata().getName())) {
            return new Decision(false, false);
        }
        List<Toleration> tolerations = daemonTolerations(template);
        if (!requiredAffinityMatches(template, node)) {
            return new Decision(false, false);
        }
        boolean untoleratedNoSchedule = false, untoleratedNoExecute = false;
        List<Taint> taints = node.getSpec() == null || node.getSpec().getTaints() == null ? List.of() : node.getSpec().getTaints();
        for (Taint taint : taints) {
            boolean noSchedule = "NoSchedule".equals(taint.getEffect()), noExecute = "NoExecute".equals(taint.getEffect());
            if ((noSchedule || noExecute) && !tolerated(tolerations, taint)) {
                untoleratedNoSchedule |= noSchedule;
                untoleratedNoExecute |= noExecute;
            }
        }
        if (untoleratedNoSchedule || untoleratedNoExecute) {
            return new Decision(false, !untoleratedNoExecute);
        }
        return new Decision(true, true);
    }

    /**
     * The template's tolerations with those every daemon pod gets (AddOrUpdateDaemonPodTolerations): not-ready and
     * unreachable NoExecute without a time limit, so node failures never evict daemon pods; disk, memory and pid
     * pressure and unschedulable NoSchedule; network-unavailable for host-network pods. A toleration with the same
     * key, operator, value and effect is replaced, others are kept.
     */
    static List<Toleration> daemonTolerations(PodSpec spec) {
        List<Toleration> out = new ArrayList<>(spec == null || spec.getTolerations() == null ? List.of() : spec.getTolerations());
        addOrUpdate(out, exists(NOT_READY, "NoExecute"));
        addOrUpdate(out, exists(UNREACHABLE, "NoExecute"));
        addOrUpdate(out, exists(DISK_PRESSURE, "NoSchedule"));
        addOrUpdate(out, exists(MEMORY_PRESSURE, "NoSchedule"));
        addOrUpdate(out, exists(PID_PRESSURE, "NoSchedule"));
        addOrUpdate(out, exists(UNSCHEDULABLE, "NoSchedule"));
        if (spec != null && Boolean.TRUE.equals(spec.getHostNetwork())) {
            addOrUpdate(out, exists(NETWORK_UNAVAILABLE, "NoSchedule"));
        }
        return out;
    }

    private static Toleration exists(String key, String effect) {
        return new TolerationBuilder().withKey(key).withOperator("Exists").withEffect(effect).build();
    }

    private static void addOrUpdate(List<Toleration> tolerations, Toleration t) {
        for (int i = 0; i < tolerations.size(); i++) {
            Toleration have = tolerations.get(i);
            if (nz(have.getKey()).equals(t.getKey()) && nz(have.getEffect()).equals(t.getEffect())
                    && op(have).equals(op(t)) && nz(have.getValue()).equals(nz(t.getValue()))) {
                tolerations.set(i, t);
                return;
            }
        }
        tolerations.add(t);
    }

    static boolean tolerated(List<Toleration> tolerations, Taint taint) {
        for (Toleration t : tolerations) {
            if (tolerates(t, taint)) {
                return true;
            }
        }
        return false;
    }

    /** Kubernetes' Toleration.ToleratesTaint: effect and key (when set) must match; Equal compares values. */
    static boolean tolerates(Toleration t, Taint taint) {
        if (!nz(t.getEffect()).isEmpty() && !t.getEffect().equals(taint.getEffect())) {
            return false;
        }
        if (!nz(t.getKey()).isEmpty() && !t.getKey().equals(taint.getKey())) {
            return false;
        }
        return switch (op(t)) {
            case "Equal" -> nz(t.getValue()).equals(nz(taint.getValue()));
            case "Exists" -> true;
            default -> false;
        };
    }

    private static String op(Toleration t) {
        return nz(t.getOperator()).isEmpty() ? "Equal" : t.getOperator();
    }

    /** spec.nodeSelector (every label) and the required node affinity (any term) both hold for the node. */
    static boolean requiredAffinityMatches(PodSpec spec, Node node) {
        if (spec == null) {
            return true;
        }
        Map<String, String> labels = node.getMetadata().getLabels() == null ? Map.of() : node.getMetadata().getLabels();
        if (spec.getNodeSelector() != null) {
            for (var e : spec.getNodeSelector().entrySet()) {
                if (!Objects.equals(e.getValue(), labels.get(e.getKey()))) {
                    return false;
                }
            }
        }
        NodeSelector required = spec.getAffinity() == null || spec.getAffinity().getNodeAffinity() == null ? null
                : spec.getAffinity().getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution();
        if (required == null) {
            return true;
        }
        List<NodeSelectorTerm> terms = required.getNodeSelectorTerms() == null ? List.of() : required.getNodeSelectorTerms();
        for (NodeSelectorTerm term : terms) {
            if (termMatches(term, labels, node.getMetadata().getName())) {
                return true;
            }
        }
        return false;
    }

    /** Expressions and fields of a term are ANDed; a term with neither matches nothing. */
    private static boolean termMatches(NodeSelectorTerm term, Map<String, String> labels, String nodeName) {
        List<NodeSelectorRequirement> exprs = term.getMatchExpressions() == null ? List.of() : term.getMatchExpressions();
        List<NodeSelectorRequirement> fields = term.getMatchFields() == null ? List.of() : term.getMatchFields();
        if (exprs.isEmpty() && fields.isEmpty()) {
            return false;
        }
        for (NodeSelectorRequirement r : exprs) {
            if (!requirementMatches(r, labels)) {
                return false;
            }
        }
        for (NodeSelectorRequirement r : fields) {
            if (!NAME_FIELD.equals(r.getKey()) || !requirementMatches(r, Map.of(NAME_FIELD, nodeName))) {
                return false;
            }
        }
        return true;
    }

    private static boolean requirementMatches(NodeSelectorRequirement r, Map<String, String> labels) {
        String value = labels.get(r.getKey());
        List<String> values = r.getValues() == null ? List.of() : r.getValues();
        return switch (nz(r.getOperator())) {
            case "In" -> value != null && values.contains(value);
            case "NotIn" -> value == null || !values.contains(value);
            case "Exists" -> value != null;
            case "DoesNotExist" -> value == null;
            case "Gt", "Lt" -> {
                if (value == null || values.size() != 1) {
                    yield false;
                }
                try {
                    long have = Long.parseLong(value), want = Long.parseLong(values.getFirst());
                    yield "Gt".equals(r.getOperator()) ? have > want : have < want;
                } catch (NumberFormatException e) {
                    yield false;
                }
            }
            default -> false;
        };
    }

    /**
     * The pod's affinity with its required node selector replaced by {@code matchFields metadata.name In [node]}
     * (ReplaceDaemonSetPodNodeNameNodeAffinity): the default scheduler then binds the pod to that node and nowhere
     * else. Other required terms are dropped: the controller has already checked them against the node.
     */
    static Affinity pinnedTo(Affinity affinity, String node) {
        NodeSelectorTerm term = new NodeSelectorTermBuilder().withMatchFields(new NodeSelectorRequirementBuilder()
                .withKey(NAME_FIELD).withOperator("In").withValues(node).build()).build();
        Affinity a = affinity == null ? new Affinity() : affinity;
        if (a.getNodeAffinity() == null) {
            a.setNodeAffinity(new NodeAffinity());
        }
        if (a.getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution() == null) {
            a.getNodeAffinity().setRequiredDuringSchedulingIgnoredDuringExecution(new NodeSelector());
        }
        a.getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution().setNodeSelectorTerms(new ArrayList<>(List.of(term)));
        return a;
    }

    /**
     * The node a daemon pod is for: spec.nodeName once bound, before that the single node of its
     * {@code metadata.name In [node]} affinity term (GetTargetNodeName); null if it names no node.
     */
    static String targetNode(Pod pod) {
        if (pod.getSpec() == null) {
            return null;
        }
        if (pod.getSpec().getNodeName() != null && !pod.getSpec().getNodeName().isEmpty()) {
            return pod.getSpec().getNodeName();
        }
        Affinity a = pod.getSpec().getAffinity();
        NodeSelector required = a == null || a.getNodeAffinity() == null ? null
                : a.getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution();
        if (required == null || required.getNodeSelectorTerms() == null) {
            return null;
        }
        for (NodeSelectorTerm term : required.getNodeSelectorTerms()) {
            for (NodeSelectorRequirement r : term.getMatchFields() == null ? List.<NodeSelectorRequirement>of() : term.getMatchFields()) {
                if (NAME_FIELD.equals(r.getKey()) && "In".equals(r.getOperator()) && r.getValues() != null && r.getValues().size() == 1) {
                    return r.getValues().getFirst();
                }
            }
        }
        return null;
    }

    // ---- pod state, as kube's podutil ----

    static boolean isReady(Pod p) {
        return p.getStatus() != null && p.getStatus().getConditions() != null && p.getStatus().getConditions().stream()
                .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    /** Ready for at least minReadySeconds at {@code now}. */
    static boolean isAvailable(Pod p, int minReadySeconds, Instant now) {
        if (!isReady(p)) {
            return false;
        }
        if (minReadySeconds <= 0) {
            return true;
        }
        String since = p.getStatus().getConditions().stream().filter(c -> "Ready".equals(c.getType()))
                .map(c -> c.getLastTransitionTime()).filter(Objects::nonNull).findFirst().orElse(null);
        return since != null && !Instant.parse(since).plusSeconds(minReadySeconds).isAfter(now);
    }

    static String phase(Pod p) {
        return p.getStatus() == null ? null : p.getStatus().getPhase();
    }

    static boolean isTerminal(Pod p) {
        return "Failed".equals(phase(p)) || "Succeeded".equals(phase(p));
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }
}
