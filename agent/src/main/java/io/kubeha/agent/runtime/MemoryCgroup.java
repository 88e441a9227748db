package io.kubeha.agent.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A container's memory limit, enforced by the kernel: a memory cgroup of its own (cgroup v2's memory.max, or v1's
 * memory.limit_in_bytes) that the container's process joins before it execs the program, so everything it starts is
 * counted. When the kernel's OOM killer ends it, the cgroup's oom_kill count says so, and the container's end is
 * reported as OOMKilled, as the kubelet does. Needs write access to the cgroup file system (root); without it the
 * limit is what the image makes of it (a jar's heap).
 */
final class MemoryCgroup {
    private static final Path V2 = Path.of("/sys/fs/cgroup");
    private static final Path V1 = Path.of("/sys/fs/cgroup/memory");
    private static final Optional<Layout> LAYOUT = detect();

    private record Layout(Path parent, boolean v2) {
    }

    private final Path dir;
    private final boolean v2;

    private MemoryCgroup(Path dir, boolean v2) {
        this.dir = dir;
        this.v2 = v2;
    }

    private static Optional<Layout> detect() {
        try {
            if (Files.isRegularFile(V2.resolve("cgroup.controllers"))
                    && Files.readString(V2.resolve("cgroup.controllers")).contains("memory")) {
                Path parent = V2.resolve("kubeha");
                Files.createDirectories(parent);
                // children of a v2 cgroup get the memory controller only when the parent delegates it
                Files.writeString(parent.resolve("cgroup.subtree_control"), "+memory");
                return Optional.of(new Layout(parent, true));
            }
            if (Files.isRegularFile(V1.resolve("memory.limit_in_bytes"))) {
                Path parent = V1.resolve("kubeha");
                Files.createDirectories(parent);
                return Optional.of(new Layout(parent, false));
            }
        } catch (IOException | RuntimeException e) {
            // not ours to write: no cgroups
        }
        return Optional.empty();
    }

    /** Whether limits are enforced by cgroups on this machine. */
    static boolean available() {
        return LAYOUT.isPresent();
    }

    /** A cgroup limited to {@code bytes}, or empty where cgroups are not writable. */
    static Optional<MemoryCgroup> create(String name, long bytes) {
        if (LAYOUT.isEmpty() || bytes <= 0) return Optional.empty();
        Layout l = LAYOUT.get();
        try {
            Path dir = Files.createDirectories(l.parent().resolve(name));
            Files.writeString(dir.resolve(l.v2() ? "memory.max" : "memory.limit_in_bytes"), Long.toString(bytes));
            if (!l.v2()) {
                // v1 counts swap apart: without swap accounting the limit above is the whole story
                Path swap = dir.resolve("memory.memsw.limit_in_bytes");
                if (Files.exists(swap)) Files.writeString(swap, Long.toString(bytes));
            }
            return Optional.of(new MemoryCgroup(dir, l.v2()));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * The cgroup of a container taken back after an agent restart, from the folder its state file names; empty
     * when it is not (or no longer) a cgroup of ours.
     */
    static Optional<MemoryCgroup> existing(Path dir) {
        if (LAYOUT.isEmpty() || dir == null) return Optional.empty();
        Layout l = LAYOUT.get();
        Path d = dir.toAbsolutePath().normalize();
        if (!d.getParent().equals(l.parent()) || !Files.isDirectory(d)) return Optional.empty();
        return Optional.of(new MemoryCgroup(d, l.v2()));
    }

    /** Its folder, kept in the container's state file so that a restarted agent can find it. */
    Path dir() {
        return dir;
    }

    /** The file a process writes its pid to, to join. */
    Path procs() {
        return dir.resolve("cgroup.procs");
    }

    /** Whether the kernel's OOM killer has killed in this cgroup. */
    boolean oomKilled() {
        try {
            String f = Files.readString(dir.resolve(v2 ? "memory.events" : "memory.oom_control"));
            for (String line : f.split("\n")) {
                String[] kv = line.trim().split("\\s+");
                if (kv.length == 2 && kv[0].equals("oom_kill")) return Long.parseLong(kv[1]) > 0;
            }
        } catch (IOException | NumberFormatException e) {
            // gone or unreadable
        }
        return false;
    }

    /** Removes the cgroup once its processes have ended (best effort). */
    void remove() {
        try {
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            // still has processes (a child that outlived the container): left for the next start
        }
    }
}
