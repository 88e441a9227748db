package io.kubeha.agent.pod;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Base64;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A pod's volumes as folders of the pod (POD/volumes/NAME), and a container's volumeMounts as the paths where it
 * sees them: emptyDir (kept across container restarts, gone with the pod), configMap and secret (their keys, or
 * the items asked for, written as files with defaultMode or the item's mode each time a container starts), and
 * hostPath (the path itself). The process runtime bind-mounts them at their mountPath (subPath honoured).
 */
final class Volumes {
    /** A volume that cannot be set up: the container waits in ContainerCreating, as the kubelet's FailedMount. */
    static final class MountError extends Exception {
        MountError(String message) {
            super(message);
        }
    }

    private Volumes() {
    }

    /**
     * The kubelet's hostPath type check: the OrCreate types make what is missing (a folder 0755 with its parents; an
     * empty file 0644, whose folder must exist), the others require that kind of thing at the path; no type checks
     * nothing.
     */
    static void hostPathType(Path p, String type) throws MountError, IOException {
        switch (type) {
            case "" -> {
            }
            case "DirectoryOrCreate" -> {
                if (!Files.exists(p)) {
                    Files.createDirectories(p);
                    Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
                } else if (!Files.isDirectory(p)) {
                    throw new MountError("hostPath type check failed: " + p + " is not a directory");
                }
            }
            case "Directory" -> {
                if (!Files.isDirectory(p)) throw new MountError("hostPath type check failed: " + p + " is not a directory");
            }
            case "FileOrCreate" -> {
                if (!Files.exists(p)) {
                    if (p.getParent() != null && !Files.isDirectory(p.getParent())) {
                        throw new MountError("hostPath type check failed: " + p.getParent() + " (the folder of " + p
                                + ") does not exist; FileOrCreate does not create it");
                    }
                    Files.createFile(p);
                    Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
                } else if (!Files.isRegularFile(p)) {
                    throw new MountError("hostPath type check failed: " + p + " is not a file");
                }
            }
            case "File" -> {
                if (!Files.isRegularFile(p)) throw new MountError("hostPath type check failed: " + p + " is not a file");
            }
            case "Socket" -> requireKind(p, 0140000, "a socket file");
            case "CharDevice" -> requireKind(p, 0020000, "a character device");
            case "BlockDevice" -> requireKind(p, 0060000, "a block device");
            default -> throw new MountError("hostPath type " + type + " is not one of DirectoryOrCreate, Directory, FileOrCreate,"
                    + " File, Socket, CharDevice, BlockDevice");
        }
    }

    private static void requireKind(Path p, int kind, String what) throws MountError {
        int mode;
        try {
            mode = (Integer) Files.getAttribute(p, "unix:mode");
        } catch (IOException | UnsupportedOperationException e) {
            throw new MountError("hostPath type check failed: " + p + " is not " + what);
        }
        if ((mode & 0170000) != kind) throw new MountError("hostPath type check failed: " + p + " is not " + what);
    }

    /** The container's mounts, mountPath to source, setting up the volumes they name. */
    static Map<String, Path> mounts(Pod pod, Container c, Path podDir, Environment.Lookup lookup) throws MountError, IOException {
        Map<String, Path> out = new LinkedHashMap<>();
        if (c.getVolumeMounts() == null || c.getVolumeMounts().isEmpty()) return out;
        Map<String, Volume> volumes = new LinkedHashMap<>();
        if (pod.getSpec().getVolumes() != null) pod.getSpec().getVolumes().forEach(v -> volumes.put(v.getName(), v));
        for (VolumeMount m : c.getVolumeMounts()) {
            Volume v = volumes.get(m.getName());
            if (v == null) throw new MountError("volume \"" + m.getName() + "\" is mounted by container " + c.getName() + " but not defined in the pod");
            Path source = setUp(pod, v, podDir.resolve("volumes").resolve(v.getName()), lookup);
            if (m.getSubPath() != null && !m.getSubPath().isEmpty()) {
                Path sub = source.resolve(m.getSubPath()).normalize();
                if (!sub.startsWith(source)) throw new MountError("subPath " + m.getSubPath() + " leaves volume " + v.getName());
                if (!Files.exists(sub)) Files.createDirectories(sub);
                source = sub;
            }
            out.put(m.getMountPath(), source);
        }
        return out;
    }

    private static Path setUp(Pod pod, Volume v, Path dir, Environment.Lookup lookup) throws MountError, IOException {
        String ns = pod.getMetadata().getNamespace();
        if (v.getEmptyDir() != null) {
            return Files.createDirectories(dir);
        }
        if (v.getHostPath() != null) {
            Path p = Path.of(v.getHostPath().getPath());
            String type = v.getHostPath().getType() == null ? "" : v.getHostPath().getType();
            try {
                hostPathType(p, type);
            } catch (MountError e) {
                throw new MountError("MountVolume.SetUp failed for volume \"" + v.getName() + "\" : " + e.getMessage());
            }
            return p;
        }
        if (v.getConfigMap() != null) {
            var src = v.getConfigMap();
            ConfigMap cm = lookup.configMap(ns, src.getName());
            if (cm == null) {
                if (Boolean.TRUE.equals(src.getOptional())) return Files.createDirectories(dir);
                throw new MountError("MountVolume.SetUp failed for volume \"" + v.getName() + "\" : configmap \"" + src.getName() + "\" not found");
            }
            Map<String, byte[]> data = new LinkedHashMap<>();
            if (cm.getData() != null) cm.getData().forEach((k, val) -> data.put(k, val.getBytes(StandardCharsets.UTF_8)));
            if (cm.getBinaryData() != null) cm.getBinaryData().forEach((k, val) -> data.put(k, Base64.getDecoder().decode(val)));
            return write(dir, data, src.getItems(), src.getDefaultMode(), src.getOptional(), "configmap", src.getName(), v.getName());
        }
        if (v.getSecret() != null) {
            var src = v.getSecret();
            Secret s = lookup.secret(ns, src.getSecretName());
            if (s == null) {
                if (Boolean.TRUE.equals(src.getOptional())) return Files.createDirectories(dir);
                throw new MountError("MountVolume.SetUp failed for volume \"" + v.getName() + "\" : secret \"" + src.getSecretName() + "\" not found");
            }
            Map<String, byte[]> data = new LinkedHashMap<>();
            Environment.secretData(s).forEach((k, val) -> data.put(k, val.getBytes(StandardCharsets.UTF_8)));
            return write(dir, data, src.getItems(), src.getDefaultMode(), src.getOptional(), "secret", src.getSecretName(), v.getName());
        }
        throw new MountError("volume \"" + v.getName() + "\": only emptyDir, configMap, secret and hostPath volumes are supported by kubeha's agent");
    }

    /** The keys (or the items asked for) as files, replacing what an earlier start wrote. */
    private static Path write(Path dir, Map<String, byte[]> data, List<KeyToPath> items, Integer defaultMode, Boolean optional,
                              String kind, String name, String volume) throws IOException, MountError {
        Files.createDirectories(dir);
        try (var old = Files.walk(dir)) {
            for (Path f : old.sorted(java.util.Comparator.reverseOrder()).toList()) {
                if (!f.equals(dir)) Files.deleteIfExists(f);
            }
        }
        int mode = defaultMode == null ? 0644 : defaultMode;
        if (items == null || items.isEmpty()) {
            for (var e : data.entrySet()) file(dir.resolve(e.getKey()), e.getValue(), mode);
        } else {
            for (KeyToPath item : items) {
                byte[] value = data.get(item.getKey());
                if (value == null) {
                    if (Boolean.TRUE.equals(optional)) continue;
                    throw new MountError("MountVolume.SetUp failed for volume \"" + volume + "\" : configmap references non-existent config key: "
                            .replace("configmap", kind) + item.getKey() + " (" + kind + " " + name + ")");
                }
                Path target = dir.resolve(item.getPath()).normalize();
                if (!target.startsWith(dir)) throw new MountError("item path " + item.getPath() + " leaves volume " + volume);
                Files.createDirectories(target.getParent());
                file(target, value, item.getMode() == null ? mode : item.getMode());
            }
        }
        return dir;
    }

    private static void file(Path f, byte[] content, int mode) throws IOException {
        Files.write(f, content);
        try {
            Files.setPosixFilePermissions(f, permissions(mode));
        } catch (UnsupportedOperationException ignored) {
            // not a POSIX file system
        }
    }

    static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> p = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] order = {PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
                PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
                PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ};
        for (int i = 0; i < order.length; i++) {
            if ((mode & (1 << i)) != 0) p.add(order[i]);
        }
        return p;
    }
}
