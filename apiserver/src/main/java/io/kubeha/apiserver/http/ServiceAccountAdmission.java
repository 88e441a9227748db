package io.kubeha.apiserver.http;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.kubeha.apiserver.api.ApiException;
import io.kubeha.apiserver.auth.Lookup;
import tools.jackson.databind.node.ObjectNode;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * kube-apiserver's ServiceAccount admission plugin, on pod creation: a pod without {@code serviceAccountName} runs as
 * its namespace's {@code default} ServiceAccount; the ServiceAccount must exist (else 403 "error looking up service
 * account NS/NAME: serviceaccount "NAME" not found", which a ReplicaSet retries until the serviceaccount controller
 * has made {@code default}); and unless {@code automountServiceAccountToken} is false (the pod's, else the
 * ServiceAccount's) the pod gets the projected volume {@code kube-api-access-XXXXX} (a bound token the node agent
 * requests and refreshes, {@code ca.crt} from the kube-root-ca.crt ConfigMap, the namespace from the downward API)
 * mounted read-only at {@code /var/run/secrets/kubernetes.io/serviceaccount} in every container and init container
 * that does not mount something there itself.
 *
 * <p>Only a secured server runs it, as only a secured server has tokens to give: without authentication a pod has no
 * use for one, and the plain-HTTP test servers create pods in namespaces no controller gave a ServiceAccount.
 */
final class ServiceAccountAdmission {
    static final String MOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount";
    static final String VOLUME_PREFIX = "kube-api-access-";
    /** Kube's default: an hour and seven seconds, which tells kube-apiserver the token came from this plugin's volume. */
    static final long TOKEN_SECONDS = 3607;
    private static final String ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789"; // kube's utilrand alphabet: no vowels, no 0/1/3
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Lookup lookup;

    ServiceAccountAdmission(Lookup lookup) {
        this.lookup = lookup;
    }

    void admitCreate(Pod pod) {
        PodSpec spec = pod.getSpec();
        if (spec == null) return;
        if (spec.getServiceAccountName() == null || spec.getServiceAccountName().isEmpty()) {
            String deprecated = spec.getServiceAccount();
            spec.setServiceAccountName(deprecated == null || deprecated.isEmpty() ? "default" : deprecated);
        }
        spec.setServiceAccount(spec.getServiceAccountName()); // the deprecated field mirrors it, as kube's conversion
        String ns = pod.getMetadata().getNamespace();
        String name = spec.getServiceAccountName();
        Optional<ObjectNode> sa = lookup.get("", "serviceaccounts", ns, name);
        if (sa.isEmpty()) {
            throw ApiException.forbidden("", "pods", pod.getMetadata().getName(),
                    "error looking up service account " + ns + "/" + name + ": serviceaccount \"" + name + "\" not found");
        }
        boolean automount = spec.getAutomountServiceAccountToken() != null
                ? spec.getAutomountServiceAccountToken()
                : !sa.get().path("automountServiceAccountToken").isBoolean() || sa.get().path("automountServiceAccountToken").asBoolean();
        if (automount) mountToken(spec);
    }

    private static void mountToken(PodSpec spec) {
        String volumeName = null;
        List<Volume> volumes = spec.getVolumes() == null ? new ArrayList<>() : new ArrayList<>(spec.getVolumes());
        for (Volume v : volumes) {
            if (v.getName() != null && v.getName().startsWith(VOLUME_PREFIX)) {
                volumeName = v.getName();
                break;
            }
        }
        boolean hasVolume = volumeName != null;
        if (!hasVolume) volumeName = VOLUME_PREFIX + suffix();
        boolean mounted = false;
        for (List<Container> list : List.of(nz(spec.getInitContainers()), nz(spec.getContainers()))) {
            for (Container c : list) {
                List<VolumeMount> mounts = c.getVolumeMounts() == null ? new ArrayList<>() : new ArrayList<>(c.getVolumeMounts());
                if (mounts.stream().anyMatch(m -> MOUNT_PATH.equals(m.getMountPath()))) continue;
                mounts.add(new VolumeMountBuilder().withName(volumeName).withReadOnly(true).withMountPath(MOUNT_PATH).build());
                c.setVolumeMounts(mounts);
                mounted = true;
            }
        }
        if (mounted && !hasVolume) {
            volumes.add(new VolumeBuilder().withName(volumeName).withNewProjected().withDefaultMode(0644)
                    .addNewSource().withNewServiceAccountToken().withExpirationSeconds(TOKEN_SECONDS).withPath("token").endServiceAccountToken().endSource()
                    .addNewSource().withNewConfigMap().withName("kube-root-ca.crt").addNewItem().withKey("ca.crt").withPath("ca.crt").endItem()
                    .endConfigMap().endSource()
                    .addNewSource().withNewDownwardAPI().addNewItem().withPath("namespace").withNewFieldRef().withApiVersion("v1")
                    .withFieldPath("metadata.namespace").endFieldRef().endItem().endDownwardAPI().endSource()
                    .endProjected().build());
            spec.setVolumes(volumes);
        }
    }

    private static String suffix() {
        StringBuilder sb = new StringBuilder(5);
        for (int i = 0; i < 5; i++) sb.append(ALPHANUMS.charAt(RANDOM.nextInt(ALPHANUMS.length())));
        return sb.toString();
    }

    private static <T> List<T> nz(List<T> l) {
        return l == null ? List.of() : l;
    }
}
