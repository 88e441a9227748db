package io.kubeha.apiserver.protobuf;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import io.kubernetes.client.proto.IntStr;
import io.kubernetes.client.proto.Meta;
import io.kubernetes.client.proto.Resource;
import io.kubernetes.client.proto.V1;
import io.kubernetes.client.proto.V1Admissionregistration;
import io.kubernetes.client.proto.V1Apiextensions;
import io.kubernetes.client.proto.V1Apps;
import io.kubernetes.client.proto.V1Authentication;
import io.kubernetes.client.proto.V1Authorization;
import io.kubernetes.client.proto.V1Autoscaling;
import io.kubernetes.client.proto.V1Batch;
import io.kubernetes.client.proto.V1Certificates;
import io.kubernetes.client.proto.V1Coordination;
import io.kubernetes.client.proto.V1Discovery;
import io.kubernetes.client.proto.V1Events;
import io.kubernetes.client.proto.V1Networking;
import io.kubernetes.client.proto.V1Node;
import io.kubernetes.client.proto.V1Policy;
import io.kubernetes.client.proto.V1Rbac;
import io.kubernetes.client.proto.V1Scheduling;
import io.kubernetes.client.proto.V1Storage;
import io.kubernetes.client.proto.V2Autoscaling;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Which protobuf message is the wire form of an apiVersion and kind: a registry built from the descriptors of the
 * generated Kubernetes messages (package {@code k8s.io.api.core.v1} message {@code Namespace} is {@code v1}
 * {@code Namespace}; {@code k8s.io.api.apps.v1} is {@code apps/v1}). The meta/v1 kinds (Status, WatchEvent,
 * DeleteOptions, the discovery lists) belong to every group version, as in kube-apiserver's scheme.
 */
public final class ProtoTypes {
    static final String META_PACKAGE = "k8s.io.apimachinery.pkg.apis.meta.v1";

    /** The proto files of every group version that has built-in kinds (the v1 and v2 APIs, meta, runtime). */
    private static final List<FileDescriptor> FILES = List.of(
            V1.getDescriptor(), V1Apps.getDescriptor(), V1Batch.getDescriptor(), V1Rbac.getDescriptor(),
            V1Networking.getDescriptor(), V1Policy.getDescriptor(), V1Autoscaling.getDescriptor(), V2Autoscaling.getDescriptor(),
            V1Coordination.getDescriptor(), V1Discovery.getDescriptor(), V1Events.getDescriptor(), V1Certificates.getDescriptor(),
            V1Authentication.getDescriptor(), V1Authorization.getDescriptor(), V1Storage.getDescriptor(),
            V1Scheduling.getDescriptor(), V1Node.getDescriptor(), V1Admissionregistration.getDescriptor(),
            V1Apiextensions.getDescriptor(), Meta.getDescriptor(), io.kubernetes.client.proto.Runtime.getDescriptor(),
            IntStr.getDescriptor(), Resource.getDescriptor());

    private static final Map<String, Descriptor> BY_TYPE = new HashMap<>();
    private static final Map<String, Descriptor> META_KINDS = new HashMap<>();

    static {
        for (FileDescriptor f : FILES) {
            String apiVersion = apiVersion(f.getPackage());
            for (Descriptor d : f.getMessageTypes()) {
                if (f.getPackage().equals(META_PACKAGE)) META_KINDS.put(d.getName(), d);
                else if (apiVersion != null) BY_TYPE.put(apiVersion + "/" + d.getName(), d);
            }
        }
    }

    private ProtoTypes() {}

    /**
     * The apiVersion of a proto package: {@code k8s.io.api.core.v1} is "v1", {@code k8s.io.api.rbac.v1} is
     * "rbac.authorization.k8s.io/v1", {@code k8s.io.api.apps.v1} "apps/v1"; null for packages that are not a group.
     */
    static String apiVersion(String protoPackage) {
        String[] p = protoPackage.split("\\.");
        String version = p[p.length - 1];
        if (protoPackage.startsWith("k8s.io.api.") && p.length == 5) {
            String group = switch (p[3]) {
                case "core" -> "";
                case "apps", "batch", "policy", "autoscaling", "extensions" -> p[3];
                case "rbac" -> "rbac.authorization.k8s.io";
                default -> p[3] + ".k8s.io";
            };
            return group.isEmpty() ? version : group + "/" + version;
        }
        if (protoPackage.startsWith("k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.")) return "apiextensions.k8s.io/" + version;
        return null;
    }

    /** The message of {@code kind} in {@code apiVersion}, or of a meta/v1 kind in any group version. */
    public static Optional<Descriptor> find(String apiVersion, String kind) {
        if (apiVersion == null || kind == null) return Optional.empty();
        Descriptor d = BY_TYPE.get(apiVersion + "/" + kind);
        if (d == null && !apiVersion.isEmpty()) d = META_KINDS.get(kind);
        return Optional.ofNullable(d);
    }

    static Descriptor meta(String name) {
        return META_KINDS.get(name);
    }

    static Descriptor unknown() {
        return io.kubernetes.client.proto.Runtime.getDescriptor().findMessageTypeByName("Unknown");
    }
}
