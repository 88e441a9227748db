package io.kubeha.apiserver.openapi;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

import java.util.Map;
import java.util.Set;

/**
 * What Kubernetes' published schemas say about fields that the fabric8 classes cannot tell by their Java
 * types: the strategic-merge-patch metadata from the {@code patchStrategy}/{@code patchMergeKey} struct tags of
 * {@code k8s.io/api} and {@code k8s.io/apimachinery}, which strings are timestamps, which are base64.
 *
 * <p>kubectl reads the patch metadata to compute strategic merge patches ({@code kubectl apply} on an object
 * that exists): without {@code x-kubernetes-patch-merge-key: name} a changed container would replace the whole
 * {@code containers} list instead of being merged into it by name.
 */
final class KubeFacts {
    static final String GVK = "x-kubernetes-group-version-kind";
    static final String MERGE_KEY = "x-kubernetes-patch-merge-key";
    static final String STRATEGY = "x-kubernetes-patch-strategy";

    private KubeFacts() {}

    /** One field's strategic-merge-patch tags; {@code key} is null for lists of scalars and for retainKeys alone. */
    record Patch(String strategy, String key) {}

    private static final String CORE = "io.k8s.api.core.v1.";
    private static final String APPS = "io.k8s.api.apps.v1.";

    private static final Patch BY_NAME = new Patch("merge", "name");
    private static final Patch BY_TYPE = new Patch("merge", "type");
    private static final Patch BY_IP = new Patch("merge", "ip");
    private static final Patch VOLUMES = new Patch("merge,retainKeys", "name");

    private static final Map<String, Patch> CONTAINER = Map.of(
            "ports", new Patch("merge", "containerPort"),
            "env", BY_NAME,
            "volumeMounts", new Patch("merge", "mountPath"),
            "volumeDevices", new Patch("merge", "devicePath"));

    /** definition name -> property -> tags, as in Kubernetes 1.33's types.go. */
    static final Map<String, Map<String, Patch>> PATCH = Map.ofEntries(
            Map.entry(Definitions.META + "ObjectMeta", Map.of(
                    "finalizers", new Patch("merge", null),
                    "ownerReferences", new Patch("merge", "uid"))),
            Map.entry(CORE + "PodSpec", Map.of(
                    "volumes", VOLUMES,
                    "initContainers", BY_NAME,
                    "containers", BY_NAME,
                    "ephemeralContainers", BY_NAME,
                    "imagePullSecrets", BY_NAME,
                    "hostAliases", BY_IP,
                    "topologySpreadConstraints", new Patch("merge", "topologyKey"),
                    "schedulingGates", BY_NAME,
                    "resourceClaims", VOLUMES)),
            Map.entry(CORE + "Container", CONTAINER),
            Map.entry(CORE + "EphemeralContainer", CONTAINER),
            Map.entry(CORE + "PodStatus", Map.of(
                    "conditions", BY_TYPE,
                    "podIPs", BY_IP,
                    "hostIPs", BY_IP,
                    "resourceClaimStatuses", VOLUMES)),
            Map.entry(CORE + "NodeSpec", Map.of("podCIDRs", new Patch("merge", null))),
            Map.entry(CORE + "NodeStatus", Map.of("conditions", BY_TYPE, "addresses", BY_TYPE)),
            Map.entry(CORE + "NamespaceStatus", Map.of("conditions", BY_TYPE)),
            Map.entry(CORE + "ServiceSpec", Map.of("ports", new Patch("merge", "port"))),
            Map.entry(CORE + "ServiceStatus", Map.of("conditions", BY_TYPE)),
            Map.entry(CORE + "ServiceAccount", Map.of("secrets", BY_NAME)),
            Map.entry(APPS + "DeploymentSpec", Map.of("strategy", new Patch("retainKeys", null))),
            Map.entry(APPS + "DeploymentStatus", Map.of("conditions", BY_TYPE)),
            Map.entry(APPS + "ReplicaSetStatus", Map.of("conditions", BY_TYPE)),
            Map.entry(APPS + "DaemonSetStatus", Map.of("conditions", BY_TYPE)));

    /**
     * Strings that are timestamps in Kubernetes (metav1.Time) but plain {@code String}s in fabric8. The
     * MicroTimes (events' eventTime, a lease's renewTime) have their own types in fabric8 and need no entry.
     */
    private static final Set<String> TIMES = Set.of(
            "creationTimestamp", "deletionTimestamp", "firstTimestamp", "lastTimestamp", "deprecatedFirstTimestamp",
            "deprecatedLastTimestamp", "lastProbeTime", "lastTransitionTime", "lastHeartbeatTime", "lastUpdateTime",
            "startTime", "startedAt", "finishedAt", "timeAdded");

    /** Base64 strings: {@code format: byte} in Kubernetes. */
    private static final Set<String> BYTES = Set.of(CORE + "Secret.data", CORE + "ConfigMap.binaryData",
            "io.k8s.api.certificates.v1.CertificateSigningRequestSpec.request",
            "io.k8s.api.certificates.v1.CertificateSigningRequestStatus.certificate");

    /**
     * The reference or format a {@code String} property has in Kubernetes: {@link Definitions#TIME}, "byte", or
     * null for a plain string.
     */
    static String stringFormat(String definition, String property) {
        if (TIMES.contains(property)) return Definitions.TIME;
        if (property.equals("time") && definition.equals(Definitions.META + "ManagedFieldsEntry")) return Definitions.TIME;
        if (BYTES.contains(definition + "." + property)) return "byte";
        return null;
    }

    /** Adds the patch tags to a freshly reflected definition; fails when the model lost a tagged field. */
    static void decorate(String definition, ObjectNode schema) {
        Map<String, Patch> tags = PATCH.get(definition);
        if (tags == null) return;
        JsonNode props = schema.get("properties");
        for (Map.Entry<String, Patch> t : tags.entrySet()) {
            JsonNode p = props == null ? null : props.get(t.getKey());
            if (!(p instanceof ObjectNode property)) {
                throw new IllegalStateException(definition + " has no property " + t.getKey() + " to tag for patching");
            }
            if (t.getValue().key() != null) property.put(MERGE_KEY, t.getValue().key());
            property.put(STRATEGY, t.getValue().strategy());
        }
    }
}
