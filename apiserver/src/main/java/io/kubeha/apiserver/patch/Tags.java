package io.kubeha.apiserver.patch;

import io.kubeha.apiserver.patch.Tag.ListKey;

import java.util.Map;
import java.util.Set;

import static java.util.Map.entry;

/**
 * The patch facts of the Kubernetes types, keyed by the fabric8 class's simple name (which is the Go type's
 * name) and the JSON field name. They are the struct tags of k8s.io/api ({@code patchStrategy},
 * {@code patchMergeKey}) and the list/map/struct types its OpenAPI schema gives server-side apply. A field
 * that is not listed has no tag: its lists are replaced whole by a strategic merge patch and are atomic for
 * server-side apply.
 *
 * <p>Checked against kubectl 1.32's strategic merge ({@code kubectl patch --local}), which runs the real Go
 * code over the real struct tags: e.g. {@code NodeSpec.taints}, {@code PodSpec.tolerations},
 * {@code ServiceAccount.imagePullSecrets}, {@code EndpointSubset} lists and
 * {@code CertificateSigningRequestStatus.conditions} are replaced whole, while
 * {@code ServiceAccount.secrets} merges by name and {@code NodeSpec.podCIDRs} merges as a set.
 */
final class Tags {
    private Tags() {}

    private static final ListKey PROTOCOL_TCP = new ListKey("protocol", Trees.NODES.stringNode("TCP"));

    private static final Map<String, Tag> FIELDS = Map.ofEntries(
            // metav1.ObjectMeta
            entry("ObjectMeta.finalizers", Tag.mergeSet()),
            entry("ObjectMeta.ownerReferences", Tag.mergeBy("uid")),
            // core/v1 PodSpec and containers
            entry("PodSpec.volumes", Tag.mergeRetainKeysBy("name")),
            entry("PodSpec.initContainers", Tag.mergeBy("name")),
            entry("PodSpec.containers", Tag.mergeBy("name")),
            entry("PodSpec.ephemeralContainers", Tag.mergeBy("name")),
            entry("PodSpec.imagePullSecrets", Tag.mergeBy("name")),
            entry("PodSpec.hostAliases", Tag.mergeBy("ip")),
            entry("PodSpec.topologySpreadConstraints", Tag.mergeBy("topologyKey")
                    .withApplyKeys(new ListKey("topologyKey", null), new ListKey("whenUnsatisfiable", null))),
            entry("PodSpec.schedulingGates", Tag.mergeBy("name")),
            entry("PodSpec.resourceClaims", Tag.mergeRetainKeysBy("name")),
            // server-side apply: a node selector is one value (+mapType=atomic)
            entry("PodSpec.nodeSelector", Tag.applyAtomicMap()),
            entry("Container.ports", Tag.mergeBy("containerPort")
                    .withApplyKeys(new ListKey("containerPort", null), PROTOCOL_TCP)),
            entry("Container.env", Tag.mergeBy("name")),
            entry("Container.volumeMounts", Tag.mergeBy("mountPath")),
            entry("Container.volumeDevices", Tag.mergeBy("devicePath")),
            entry("EphemeralContainer.ports", Tag.mergeBy("containerPort")
                    .withApplyKeys(new ListKey("containerPort", null), PROTOCOL_TCP)),
            entry("EphemeralContainer.env", Tag.mergeBy("name")),
            entry("EphemeralContainer.volumeMounts", Tag.mergeBy("mountPath")),
            entry("EphemeralContainer.volumeDevices", Tag.mergeBy("devicePath")),
            // core/v1 PodStatus, ContainerStatus
            entry("PodStatus.podIPs", Tag.mergeBy("ip")),
            entry("PodStatus.hostIPs", Tag.mergeBy("ip")),
            entry("PodStatus.resourceClaimStatuses", Tag.mergeRetainKeysBy("name")),
            entry("ContainerStatus.allocatedResourcesStatus", Tag.mergeBy("name")),
            entry("ContainerStatus.volumeMounts", Tag.mergeBy("mountPath")),
            // core/v1 Service, Node, ServiceAccount, ReplicationController
            entry("ServiceSpec.ports", Tag.mergeBy("port")
                    .withApplyKeys(new ListKey("port", null), PROTOCOL_TCP)),
            entry("ServiceSpec.selector", Tag.applyAtomicMap()),
            entry("ReplicationControllerSpec.selector", Tag.applyAtomicMap()),
            entry("NodeSpec.podCIDRs", Tag.mergeSet()),
            entry("NodeStatus.addresses", Tag.mergeBy("type")),
            entry("ServiceAccount.secrets", Tag.mergeBy("name")),
            // apps/v1: kubectl sends $retainKeys for a deployment strategy (Recreate has no rollingUpdate)
            entry("DeploymentSpec.strategy", Tag.retainKeysOnly()),
            // policy: a disruption budget's selector is replaced, not merged
            entry("PodDisruptionBudgetSpec.selector", Tag.replace()),
            // admissionregistration, storage, resource
            entry("MutatingWebhookConfiguration.webhooks", Tag.mergeBy("name")),
            entry("ValidatingWebhookConfiguration.webhooks", Tag.mergeBy("name")),
            entry("MutatingWebhook.matchConditions", Tag.mergeBy("name")),
            entry("ValidatingWebhook.matchConditions", Tag.mergeBy("name")),
            entry("ValidatingAdmissionPolicySpec.matchConditions", Tag.mergeBy("name")),
            entry("ValidatingAdmissionPolicySpec.variables", Tag.mergeBy("name")),
            entry("CSINodeSpec.drivers", Tag.mergeBy("name")),
            entry("ResourceClaimStatus.reservedFor", Tag.mergeBy("uid")));

    /** Status types whose {@code conditions} are a plain list (+listType=atomic or map without patch tags). */
    private static final Set<String> ATOMIC_CONDITIONS = Set.of("CertificateSigningRequestStatus");

    /**
     * Structs that server-side apply treats as one value ({@code +structType=atomic}): applying a selector
     * replaces the whole selector and {@code f:selector} is owned as one field.
     */
    private static final Set<String> ATOMIC_STRUCTS = Set.of("LabelSelector", "OwnerReference",
            "LocalObjectReference", "ObjectReference", "TypedLocalObjectReference", "ConfigMapKeySelector",
            "SecretKeySelector", "ObjectFieldSelector", "ResourceFieldSelector");

    /** The facts of field {@code json} of struct {@code owner}, whose value has shape {@code shape}. */
    static Tag of(Class<?> owner, String json, Shape shape) {
        Tag t = FIELDS.get(owner.getSimpleName() + "." + json);
        if (t != null) return t;
        // Every status condition list of the built-in types merges by type (Pod, Node, Deployment, ReplicaSet,
        // DaemonSet, StatefulSet, Job, Namespace, PVC, Service, PDB, HPA, ...), with the one exception above.
        if (json.equals("conditions") && owner.getSimpleName().endsWith("Status")
                && !ATOMIC_CONDITIONS.contains(owner.getSimpleName())
                && shape instanceof Shape.ListOf(Shape.Struct(Class<?> item))
                && Schema.members(item).containsKey("type")) {
            return Tag.mergeBy("type");
        }
        return Tag.NONE;
    }

    /** The table's keys ({@code Type.field}), for tests that check them against the model. */
    static Set<String> tabled() {
        return FIELDS.keySet();
    }

    static boolean atomicStruct(Class<?> type) {
        return ATOMIC_STRUCTS.contains(type.getSimpleName());
    }
}
