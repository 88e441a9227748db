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
 * hostPath (the path itself), downwardAPI (the pod's metadata and resources as files), and projected (configMap,
 * secret, downwardAPI and serviceAccountToken sources in one folder: the volume every pod gets for its service
 * account). A service-account token is asked for with a TokenRequest bound to the pod and kept fresh by
 * {@link Tokens}. Files are replaced by a rename, so a process reading one sees the old content or the new, never
 * half. The process runtime bind-mounts the volumes at their mountPath (subPath honoured).
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

    /**
     * The container's mounts, mountPath to source, setting up the volumes they name and recording the service-account
     * tokens written in {@code tokens} (null: none may be asked for).
     */
    static Map<String, Path> mounts(Pod pod, Container c, Path podDir, Environment.Lookup lookup, Tokens tokens)
            throws MountError, IOException {
        Map<String, Path> out = new LinkedHashMap<>();
        if (c.getVolumeMounts() == null || c.getVolumeMounts().isEmpty()) return out;
        Map<String, Volume> volumes = new LinkedHashMap<>();
        if (pod.getSpec().getVolumes() != null) pod.getSpec().getVolumes().forEach(v -> volumes.put(v.getName(), v));
        for (VolumeMount m : c.getVolumeMounts()) {
            Volume v = volumes.get(m.getName());
            if (v == null) throw new MountError("volume \"" + m.getName() + "\" is mounted by container " + c.getName() + " but not defined in the pod");
            Path source = setUp(pod, v, podDir.resolve("volumes").resolve(v.getName()), lookup, tokens);
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

    private static Path setUp(Pod pod, Volume v, Path dir, Environment.Lookup lookup, Tokens tokens) throws MountError, IOException {
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
        if (v.getDownwardAPI() != null) {
            Map<String, FileContent> files = new LinkedHashMap<>();
            int mode = v.getDownwardAPI().getDefaultMode() == null ? 0644 : v.getDownwardAPI().getDefaultMode();
            downward(pod, v.getName(), v.getDownwardAPI().getItems(), mode, files);
            return writeFiles(dir, files, v.getName());
        }
        if (v.getProjected() != null) {
            return projected(pod, v, dir, lookup, tokens);
        }
        throw new MountError("volume \"" + v.getName() + "\": only emptyDir, configMap, secret, hostPath, downwardAPI and projected"
                + " volumes are supported by kubeha's agent");
    }

    /** The service-account token files the pod's projected volumes hold under {@code podDir}, and what to ask for them. */
    static List<Tokens.Projection> tokenProjections(Pod pod, Path podDir) {
        List<Tokens.Projection> out = new java.util.ArrayList<>();
        if (pod.getSpec() == null || pod.getSpec().getVolumes() == null) return out;
        String sa = pod.getSpec().getServiceAccountName() == null || pod.getSpec().getServiceAccountName().isEmpty()
                ? "default" : pod.getSpec().getServiceAccountName();
        for (Volume v : pod.getSpec().getVolumes()) {
            if (v.getProjected() == null || v.getProjected().getSources() == null) continue;
            Path dir = podDir.resolve("volumes").resolve(v.getName());
            int mode = v.getProjected().getDefaultMode() == null ? 0644 : v.getProjected().getDefaultMode();
            for (var src : v.getProjected().getSources()) {
                var t = src.getServiceAccountToken();
                if (t == null || !Files.isDirectory(dir)) continue;
                Path file = dir.resolve(t.getPath()).normalize();
                if (!file.startsWith(dir)) continue;
                out.add(new Tokens.Projection(file, pod.getMetadata().getNamespace(), sa, t.getAudience() == null ? "" : t.getAudience(),
                        t.getExpirationSeconds() == null ? 3600 : t.getExpirationSeconds(), mode));
            }
        }
        return out;
    }

    /** A file to write: its content and mode. */
    record FileContent(byte[] content, int mode) {
    }

    /** A projected volume: its sources' files in one folder, each source as its own volume kind would write them. */
    private static Path projected(Pod pod, Volume v, Path dir, Environment.Lookup lookup, Tokens tokens) throws MountError, IOException {
        String ns = pod.getMetadata().getNamespace();
        var projected = v.getProjected();
        int mode = projected.getDefaultMode() == null ? 0644 : projected.getDefaultMode();
        Map<String, FileContent> files = new LinkedHashMap<>();
        List<Tokens.Projection> wanted = new java.util.ArrayList<>();
        for (var src : projected.getSources() == null ? List.<io.fabric8.kubernetes.api.model.VolumeProjection>of() : projected.getSources()) {
            if (src.getConfigMap() != null) {
                var cmSrc = src.getConfigMap();
                ConfigMap cm = lookup.configMap(ns, cmSrc.getName());
                if (cm == null) {
                    if (Boolean.TRUE.equals(cmSrc.getOptional())) continue;
                    throw new MountError("MountVolume.SetUp failed for volume \"" + v.getName() + "\" : configmap \"" + cmSrc.getName()
                            + "\" not found");
                }
                Map<String, byte[]> data = new LinkedHashMap<>();
                if (cm.getData() != null) cm.getData().forEach((k, val) -> data.put(k, val.getBytes(StandardCharsets.UTF_8)));
                if (cm.getBinaryData() != null) cm.getBinaryData().forEach((k, val) -> data.put(k, Base64.getDecoder().decode(val)));
                select(data, cmSrc.getItems(), mode, cmSrc.getOptional(), "configmap", cmSrc.getName(), v.getName(), files);
            } else if (src.getSecret() != null) {
                var secretSrc = src.getSecret();
                Secret secret = lookup.secret(ns, secretSrc.getName());
                if (secret == null) {
                    if (Boolean.TRUE.equals(secretSrc.getOptional())) continue;
                    throw new MountError("MountVolume.SetUp failed for volume \"" + v.getName() + "\" : secret \"" + secretSrc.getName()
                            + "\" not found");
                }
                Map<String, byte[]> data = new LinkedHashMap<>();
                Environment.secretData(secret).forEach((k, val) -> data.put(k, val.getBytes(StandardCharsets.UTF_8)));
                select(data, secretSrc.getItems(), mode, secretSrc.getOptional(), "secret", secretSrc.getName(), v.getName(), files);
            } else if (src.getDownwardAPI() != null) {
                downward(pod, v.getName(), src.getDownwardAPI().getItems(), mode, files);
            } else if (src.getServiceAccountToken() != null) {
                var t = src.getServiceAccountToken();
                if (tokens == null) throw new MountError("MountVolume.SetUp failed for volume \"" + v.getName() + "\" : no token source");
                String sa = pod.getSpec().getServiceAccountName() == null || pod.getSpec().getServiceAccountName().isEmpty()
                        ? "default" : pod.getSpec().getServiceAccountName();
                long seconds = t.getExpirationSeconds() == null ? 3600 : t.getExpirationSeconds();
                Tokens.Projection p = new Tokens.Projection(dir.resolve(t.getPath()).normalize(), ns, sa,
                        t.getAudience() == null ? "" : t.getAudience(), seconds, mode);
                if (!p.file().startsWith(dir)) throw new MountError("token path " + t.getPath() + " leaves volume " + v.getName());
                String token;
                try {
                    token = tokens.issue(p, pod);
                } catch (RuntimeException e) {
                    throw new MountError("MountVolume.SetUp failed for volume \"" + v.getName() + "\" : failed to fetch token: "
                            + e.getMessage());
                }
                files.put(t.getPath(), new FileContent(token.getBytes(StandardCharsets.UTF_8), mode));
                wanted.add(p);
            }
        }
        Path out = writeFiles(dir, files, v.getName());
        if (tokens != null) wanted.forEach(tokens::written);
        return out;
    }

    /** The downward API's items as files: metadata fields, or a container's resources. */
    private static void downward(Pod pod, String volume, List<io.fabric8.kubernetes.api.model.DownwardAPIVolumeFile> items, int mode,
                                 Map<String, FileContent> files) throws MountError {
        for (var item : items == null ? List.<io.fabric8.kubernetes.api.model.DownwardAPIVolumeFile>of() : items) {
            String value;
            try {
                if (item.getFieldRef() != null) {
                    value = Environment.field(pod, item.getFieldRef().getFieldPath(), null, null);
                } else if (item.getResourceFieldRef() != null) {
                    var ref = item.getResourceFieldRef();
                    Container first = pod.getSpec().getContainers().getFirst();
                    value = Environment.resource(pod, first, ref.getContainerName(), ref.getResource(), ref.getDivisor());
                } else {
                    throw new MountError("MountVolume.SetUp failed for volume \"" + volume + "\" : item " + item.getPath()
                            + " names neither fieldRef nor resourceFieldRef");
                }
            } catch (Environment.ConfigError e) {
                throw new MountError("MountVolume.SetUp failed for volume \"" + volume + "\" : " + e.getMessage());
            }
            files.put(item.getPath(), new FileContent((value == null ? "" : value).getBytes(StandardCharsets.UTF_8),
                    item.getMode() == null ? mode : item.getMode()));
        }
    }

    /** A ConfigMap's or Secret's keys (or the items asked for) as files of a projected volume. */
    private static void select(Map<String, byte[]> data, List<KeyToPath> items, int mode, Boolean optional, String kind, String name,
                               String volume, Map<String, FileContent> files) throws MountError {
        if (items == null || items.isEmpty()) {
            data.forEach((k, val) -> files.put(k, new FileContent(val, mode)));
            return;
        }
        for (KeyToPath item : items) {
            byte[] value = data.get(item.getKey());
            if (value == null) {
                if (Boolean.TRUE.equals(optional)) continue;
                throw new MountError("MountVolume.SetUp failed for volume \"" + volume + "\" : " + kind + " references non-existent config key: "
                        + item.getKey() + " (" + kind + " " + name + ")");
            }
            files.put(item.getPath(), new FileContent(value, item.getMode() == null ? mode : item.getMode()));
        }
    }

    /** The files (relative paths) in {@code dir}, each replaced by a rename; files an earlier write left and these lack go. */
    static Path writeFiles(Path dir, Map<String, FileContent> files, String volume) throws IOException, MountError {
        Files.createDirectories(dir);
        java.util.Set<Path> keep = new java.util.HashSet<>();
        for (var e : files.entrySet()) {
            Path target = dir.resolve(e.getKey()).normalize();
            if (!target.startsWith(dir) || target.equals(dir)) throw new MountError("item path " + e.getKey() + " leaves volume " + volume);
            Files.createDirectories(target.getParent());
            replace(target, e.getValue().content(), e.getValue().mode());
            for (Path p = target; p != null && !p.equals(dir); p = p.getParent()) keep.add(p);
        }
        try (var old = Files.walk(dir)) {
            for (Path f : old.sorted(java.util.Comparator.reverseOrder()).toList()) {
                if (!f.equals(dir) && !keep.contains(f)) Files.deleteIfExists(f);
            }
        }
        return dir;
    }

    /** Writes a file beside its target and renames it over the target: readers see the old content or the new. */
    static void replace(Path target, byte[] content, int mode) throws IOException {
        Path tmp = target.resolveSibling("..." + target.getFileName() + ".tmp");
        file(tmp, content, mode);
        Files.move(tmp, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** The keys (or the items asked for) as files, replacing what an earlier start wrote. */
    private static Path write(Path dir, Map<String, byte[]> data, List<KeyToPath> items, Integer defaultMode, Boolean optional,
                              String kind, String name, String volume) throws IOException, MountError {
        Map<String, FileContent> files = new LinkedHashMap<>();
        select(data, items, defaultMode == null ? 0644 : defaultMode, optional, kind, name, volume, files);
        return writeFiles(dir, files, volume);
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
