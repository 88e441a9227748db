package io.kubeha.apiserver.http;

import io.kubeha.apiserver.api.ApiException;
import io.kubeha.apiserver.api.FieldError;
import io.kubeha.apiserver.registry.ResourceType;
import io.kubeha.apiserver.storage.Obj;
import io.kubeha.apiserver.storage.ObjectStorage;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What each resource type does on create, update and delete beyond storing the object, as kube-apiserver's
 * per-type strategies: the status a client may not set, generation, namespaces that must exist, the grace
 * period of a pod's deletion.
 */
class Admission {
    private static final Pattern DNS1123_SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    private static final Pattern DNS1123_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
    /** Kinds whose spec changes bump metadata.generation (the others leave it unset, as kube-apiserver does). */
    private static final Set<String> WITH_GENERATION = Set.of("Deployment", "ReplicaSet", "DaemonSet", "StatefulSet");
    private static final Set<String> CREATE_ON_UPDATE = Set.of("Endpoints", "Lease", "EndpointSlice", "Event");

    private final ObjectStorage namespaces;

    Admission(ObjectStorage namespaces) {
        this.namespaces = namespaces;
    }

    void admitCreate(ResourceType type, ObjectNode obj, String namespace) {
        if (type.namespaced()) {
            ObjectNode ns = namespaces.find(null, namespace)
                    .orElseThrow(() -> ApiException.notFound("", "namespaces", namespace));
            if (ResourceHandler.isDeleting(ns)) {
                throw ApiException.forbidden(type.group(), type.resource(), Obj.name(obj),
                        "unable to create new content in namespace " + namespace + " because it is being terminated");
            }
        }
        List<FieldError> errors = new ArrayList<>(validateName(type, Obj.name(obj)));
        if (!errors.isEmpty()) throw ApiException.invalid(type.group(), type.kind(), Obj.name(obj), errors);
        if (type.has("status")) resetStatus(type, obj);
        if (WITH_GENERATION.contains(type.kind())) Obj.metadata(obj).put("generation", 1);
        if (type.kind().equals("Namespace")) {
            ObjectNode spec = obj.has("spec") && obj.get("spec").isObject() ? (ObjectNode) obj.get("spec") : obj.putObject("spec");
            if (!spec.has("finalizers")) spec.putArray("finalizers").add("kubernetes");
            obj.putObject("status").put("phase", "Active");
        }
    }

    /** A client cannot create an object with a status (except nodes, whose agent reports it on register). */
    private static void resetStatus(ResourceType type, ObjectNode obj) {
        switch (type.kind()) {
            case "Node", "Namespace" -> { }
            case "Pod" -> {
                ObjectNode status = obj.putObject("status");
                status.put("phase", "Pending");
                status.put("qosClass", qosClass(obj));
            }
            default -> obj.putObject("status");
        }
    }

    /** Kubernetes' QoS class: Guaranteed when every container's requests equal its limits, BestEffort when none set any. */
    static String qosClass(ObjectNode pod) {
        boolean any = false, guaranteed = true;
        JsonNode containers = pod.path("spec").path("containers");
        for (JsonNode c : containers) {
            JsonNode req = c.path("resources").path("requests");
            JsonNode lim = c.path("resources").path("limits");
            if (!req.isEmpty() || !lim.isEmpty()) any = true;
            for (String r : new String[] {"cpu", "memory"}) {
                JsonNode l = lim.get(r);
                JsonNode q = req.get(r);
                if (l == null || (q != null && !q.asString().equals(l.asString()))) guaranteed = false;
            }
        }
        if (!any) return "BestEffort";
        return guaranteed ? "Guaranteed" : "Burstable";
    }

    void admitUpdate(ResourceType type, ObjectNode next, ObjectNode old) {
        if (type.has("status") && !type.kind().equals("Node") && !type.kind().equals("Namespace")) {
            // the main resource cannot change the status: that is the status subresource's job
            JsonNode status = old.get("status");
            if (status == null) next.remove("status");
            else next.set("status", status.deepCopy());
        }
        if (type.kind().equals("Namespace")) {
            next.set("status", old.path("status").deepCopy());
            // spec.finalizers change only through /finalize
            if (old.has("spec")) next.set("spec", old.get("spec").deepCopy());
        }
        if (WITH_GENERATION.contains(type.kind())) {
            long gen = old.path("metadata").path("generation").asLong(1);
            if (!Objects.equals(next.get("spec"), old.get("spec"))) gen++;
            Obj.metadata(next).put("generation", gen);
        }
    }

    void admitStatusUpdate(ResourceType type, ObjectNode next, ObjectNode old) {
        // a status update changes nothing but the status
    }

    boolean allowCreateOnUpdate(ResourceType type) {
        return CREATE_ON_UPDATE.contains(type.kind());
    }

    String defaultPropagation(ResourceType type) {
        return "Background";
    }

    /** Seconds a deletion waits before the object goes; 0 deletes at once (finalizers permitting). */
    long gracePeriod(ResourceType type, ObjectNode obj, Long requested) {
        if (!type.kind().equals("Pod")) return 0;
        String node = obj.path("spec").path("nodeName").asString("");
        String phase = obj.path("status").path("phase").asString("");
        // a pod no agent runs, or one that has finished, has nothing to stop
        if (node.isEmpty() || phase.equals("Succeeded") || phase.equals("Failed")) return 0;
        if (requested != null) return Math.max(0, requested);
        return obj.path("spec").path("terminationGracePeriodSeconds").asLong(30);
    }

    void onDeleting(ResourceType type, ObjectNode obj) {
        if (type.kind().equals("Namespace")) ((ObjectNode) obj.withObject("status")).put("phase", "Terminating");
    }

    /** Whether the object waits for something before it is really deleted, beyond metadata.finalizers. */
    boolean holdsDeletion(ResourceType type, ObjectNode obj) {
        return type.kind().equals("Namespace") && obj.path("spec").path("finalizers").size() > 0;
    }

    static List<FieldError> validateName(ResourceType type, String name) {
        if (name == null || name.isEmpty()) return List.of(FieldError.required("metadata.name", "name or generateName is required"));
        boolean label = type.kind().equals("Namespace") || type.kind().equals("Service");
        if (label) {
            if (name.length() > 63 || !DNS1123_LABEL.matcher(name).matches()) {
                return List.of(FieldError.invalid("metadata.name", name, "a lowercase RFC 1123 label must consist of lower case "
                        + "alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  "
                        + "or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"));
            }
        } else if (name.length() > 253 || !DNS1123_SUBDOMAIN.matcher(name).matches()) {
            return List.of(FieldError.invalid("metadata.name", name, "a lowercase RFC 1123 subdomain must consist of lower case "
                    + "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. "
                    + "'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"));
        }
        return List.of();
    }
}
