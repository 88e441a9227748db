package io.kubeha.apiserver.rules;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Toleration;
import io.kubeha.apiserver.api.FieldError;
import io.kubeha.apiserver.api.Json;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import static io.kubeha.apiserver.rules.Meta.list;
import static io.kubeha.apiserver.rules.Meta.map;
import static io.kubeha.apiserver.rules.Meta.nz;

/** Pods (core/v1): pkg/apis/core/v1 defaults, ValidatePodCreate/ValidatePodUpdate, and the pod strategy. */
final class PodRules extends KindRules<Pod> {
    static final String NOT_READY = "node.kubernetes.io/not-ready";
    static final String UNREACHABLE = "node.kubernetes.io/unreachable";

    /** The fields a pod update may change, worded as kube lists them in its error. */
    static final String UPDATABLE = String.join(",", "`spec.containers[*].image`", "`spec.initContainers[*].image`",
            "`spec.activeDeadlineSeconds`", "`spec.tolerations` (only additions to existing tolerations)",
            "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)");

    PodRules() {
        super(true, NameRule.DNS_SUBDOMAIN);
    }

    @Override
    public void applyDefaults(Pod pod) {
        if (pod.getSpec() == null) pod.setSpec(new PodSpec());
        PodDefaults.podOnly(pod.getSpec());
        PodDefaults.spec(pod.getSpec());
    }

    /**
     * The pod strategy's PrepareForCreate (status Pending with the QoS class) and what three admission plugins
     * every cluster runs do: ServiceAccount (the "default" account; mounting its token is left to the server),
     * Priority (priority 0 and PreemptLowerPriority without a class, the system classes' values) and
     * DefaultTolerationSeconds (tolerate not-ready and unreachable nodes for 300 s).
     */
    @Override
    public void prepareForCreate(Pod pod) {
        PodSpec s = pod.getSpec();
        PodStatus status = new PodStatus();
        status.setPhase("Pending");
        status.setQosClass(qosClass(s));
        pod.setStatus(status);
        if (nz(s.getServiceAccountName()).isEmpty()) {
            s.setServiceAccountName("default");
            s.setServiceAccount("default");
        }
        if (s.getPriority() == null) {
            switch (nz(s.getPriorityClassName())) {
                case "" -> s.setPriority(0);
                case "system-node-critical" -> s.setPriority(2000001000);
                case "system-cluster-critical" -> s.setPriority(2000000000);
                default -> { } // a PriorityClass object decides; the server looks it up
            }
        }
        if (s.getPreemptionPolicy() == null && s.getPriority() != null) s.setPreemptionPolicy("PreemptLowerPriority");
        List<Toleration> ts = new ArrayList<>(list(s.getTolerations()));
        for (String key : List.of(NOT_READY, UNREACHABLE)) {
            if (ts.stream().noneMatch(t -> toleratesNoExecute(t, key))) {
                Toleration t = new Toleration();
                t.setKey(key);
                t.setOperator("Exists");
                t.setEffect("NoExecute");
                t.setTolerationSeconds(300L);
                ts.add(t);
            }
        }
        s.setTolerations(ts);
    }

    private static boolean toleratesNoExecute(Toleration t, String key) {
        boolean effect = nz(t.getEffect()).isEmpty() || "NoExecute".equals(t.getEffect());
        boolean k = nz(t.getKey()).isEmpty() ? "Exists".equals(t.getOperator()) : key.equals(t.getKey());
        return effect && k;
    }

    /** The status belongs to the kubelet (pods/status); a pod update keeps the stored one. */
    @Override
    void prepareKindUpdate(Pod pod, Pod old) {
        pod.setStatus(old.getStatus());
    }

    @Override
    List<FieldError> validateKind(Pod pod) {
        PodSpec spec = pod.getSpec() == null ? new PodSpec() : pod.getSpec();
        return PodValidation.spec(spec, Path.of("spec"), true);
    }

    @Override
    List<FieldError> validateKindUpdate(Pod pod, Pod old) {
        List<FieldError> errs = new ArrayList<>(validateKind(pod));
        Path spec = Path.of("spec");
        PodSpec ns = pod.getSpec() == null ? new PodSpec() : pod.getSpec();
        PodSpec os = old.getSpec() == null ? new PodSpec() : old.getSpec();
        for (String field : List.of("containers", "initContainers")) {
            List<Container> n = field.equals("containers") ? list(ns.getContainers()) : list(ns.getInitContainers());
            List<Container> o = field.equals("containers") ? list(os.getContainers()) : list(os.getInitContainers());
            if (n.size() != o.size()) {
                errs.add(Errs.forbidden(spec.child(field), "pod updates may not add or remove containers"));
                return errs;
            }
            for (int i = 0; i < n.size(); i++) {
                String img = nz(n.get(i).getImage());
                if (img.isEmpty()) errs.add(Errs.required(spec.child(field).index(i).child("image")));
                if (img.strip().length() != img.length()) {
                    errs.add(Errs.invalid(spec.child(field).index(i).child("image"), img, "must not have leading or trailing whitespace"));
                }
            }
        }
        Long nad = ns.getActiveDeadlineSeconds(), oad = os.getActiveDeadlineSeconds();
        if (nad != null) {
            if (nad < 0 || nad > Integer.MAX_VALUE) {
                errs.add(Errs.invalid(spec.child("activeDeadlineSeconds"), nad, Names.inclusiveRange(0, Integer.MAX_VALUE)));
                return errs;
            }
            if (oad != null && oad < nad) {
                errs.add(Errs.invalid(spec.child("activeDeadlineSeconds"), nad, "must be less than or equal to previous value"));
                return errs;
            }
        } else if (oad != null) {
            errs.add(Errs.invalidRaw(spec.child("activeDeadlineSeconds"), "null", "must not update from a positive integer to nil value"));
        }
        errs.addAll(onlyAddedTolerations(list(ns.getTolerations()), list(os.getTolerations()), spec.child("tolerations")));
        errs.addAll(onlyDeletedSchedulingGates(ns, os, spec.child("schedulingGates")));

        ObjectNode oldTree = (ObjectNode) Json.tree(os);
        ObjectNode munged = (ObjectNode) Json.tree(ns);
        if (munged.equals(oldTree)) return errs;
        for (String field : List.of("containers", "initContainers")) {
            JsonNode nc = munged.get(field), oc = oldTree.get(field);
            if (nc instanceof ArrayNode na && oc instanceof ArrayNode oa) {
                for (int i = 0; i < na.size() && i < oa.size(); i++) {
                    if (na.get(i) instanceof ObjectNode c) {
                        if (oa.get(i).has("image")) c.set("image", oa.get(i).get("image"));
                        else c.remove("image");
                    }
                }
            }
        }
        for (String field : List.of("activeDeadlineSeconds", "tolerations", "schedulingGates")) copy(oldTree, munged, field);
        Long ogp = os.getTerminationGracePeriodSeconds(), ngp = ns.getTerminationGracePeriodSeconds();
        if (ogp != null && ogp < 0 && ngp != null && ngp == 1) copy(oldTree, munged, "terminationGracePeriodSeconds");
        if (!munged.equals(oldTree)) {
            errs.add(Errs.forbidden(spec, "pod updates may not change fields other than " + UPDATABLE + "\n" + Diff.of(oldTree, munged, "spec")));
        }
        return errs;
    }

    private static void copy(ObjectNode from, ObjectNode to, String field) {
        if (from.has(field)) to.set(field, from.get(field));
        else to.remove(field);
    }

    /** Existing tolerations stay (only their tolerationSeconds may change); new ones may be added. */
    private static List<FieldError> onlyAddedTolerations(List<Toleration> now, List<Toleration> before, Path p) {
        for (Toleration o : before) {
            boolean found = now.stream().anyMatch(n -> Objects.equals(n.getKey(), o.getKey())
                    && Objects.equals(nz(n.getOperator()), nz(o.getOperator())) && Objects.equals(nz(n.getValue()), nz(o.getValue()))
                    && Objects.equals(nz(n.getEffect()), nz(o.getEffect())));
            if (!found) return List.of(Errs.forbidden(p, "existing toleration can not be modified except its tolerationSeconds"));
        }
        return PodValidation.tolerations(now, p);
    }

    private static List<FieldError> onlyDeletedSchedulingGates(PodSpec now, PodSpec before, Path p) {
        List<FieldError> errs = new ArrayList<>();
        var gates = list(now.getSchedulingGates());
        var old = list(before.getSchedulingGates()).stream().map(g -> nz(g.getName())).toList();
        for (int i = 0; i < gates.size(); i++) {
            String name = nz(gates.get(i).getName());
            if (!old.contains(name)) {
                errs.add(Errs.forbidden(p.index(i).child("name"), "only deletion is allowed, but found new scheduling gate '" + name + "'"));
            }
        }
        return errs;
    }

    /** kube's GetPodQOS: Guaranteed, Burstable or BestEffort, from cpu and memory requests and limits. */
    static String qosClass(PodSpec s) {
        Map<String, BigDecimal> requests = new HashMap<>(), limits = new HashMap<>();
        boolean guaranteed = true;
        List<Container> all = new ArrayList<>(list(s.getInitContainers()));
        all.addAll(list(s.getContainers()));
        for (Container c : all) {
            var r = c.getResources();
            Map<String, Quantity> req = r == null ? Map.of() : map(r.getRequests());
            Map<String, Quantity> lim = r == null ? Map.of() : map(r.getLimits());
            for (String name : List.of("cpu", "memory")) {
                BigDecimal q = PodValidation.amount(req.get(name));
                if (q != null && q.signum() > 0) requests.merge(name, q, BigDecimal::add);
            }
            int found = 0;
            for (String name : List.of("cpu", "memory")) {
                BigDecimal q = PodValidation.amount(lim.get(name));
                if (q != null && q.signum() > 0) {
                    limits.merge(name, q, BigDecimal::add);
                    found++;
                }
            }
            if (found < 2) guaranteed = false;
        }
        if (requests.isEmpty() && limits.isEmpty()) return "BestEffort";
        if (guaranteed) {
            for (var e : requests.entrySet()) {
                BigDecimal l = limits.get(e.getKey());
                if (l == null || l.compareTo(e.getValue()) != 0) guaranteed = false;
            }
        }
        return guaranteed && requests.size() == limits.size() ? "Guaranteed" : "Burstable";
    }
}
