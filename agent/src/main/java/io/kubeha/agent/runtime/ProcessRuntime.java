package io.kubeha.agent.runtime;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Containers as OS processes, as Nomad's exec driver runs tasks: each container is one process in a session and
 * process group of its own ({@code setsid}), so that stopping it reaches everything it started; its stdout and
 * stderr are appended to its log file by the kernel, not through the agent, so the process outlives an agent
 * restart unharmed. A state file per container (pid, the process's start time in clock ticks since boot, its
 * cgroup), written whole before the container is reported started, lets a restarted agent take back exactly the
 * processes it started: a pid that now belongs to another process (its start time differs) is not adopted, and a
 * container whose state cannot be written is stopped at once rather than left running unrecorded.
 * <p>
 * Files and folders a container must see at fixed paths (the pod's /etc/resolv.conf, naming the cluster DNS,
 * /etc/hosts, and its volumes at their mountPath) are bind-mounted in a private mount namespace of the container's own ({@code unshare --mount}, then
 * {@code mount --bind}, then exec: still one process, the same pid). That needs root; without it the container
 * runs in the host's view and finds the pod's resolv.conf at $KUBEHA_RESOLV_CONF instead (logged once).
 * <p>
 * A container with a network namespace ({@link ContainerSpec#netns()}, the agent's {@code --netns} mode) is started
 * through {@code nsenter --net=NETNS --}, first in the chain: nsenter joins the namespace and execs setsid, which
 * execs the rest, so the container is still the one process the runtime started (its pid is the container's id).
 */
public final class ProcessRuntime implements ContainerRuntime {
    private static final Logger LOG = LoggerFactory.getLogger(ProcessRuntime.class);
    private static final String SETSID = "/usr/bin/setsid";
    private static final String UNSHARE = "/usr/bin/unshare";
    private static final String NSENTER = "/usr/bin/nsenter";
    /** Positional pairs SOURCE TARGET up to "--", then the program and its arguments. */
    /** Joins the cgroup named first ("-" for none), then the positional SOURCE TARGET pairs up to "--", then execs. */
    private static final String MOUNT_THEN_EXEC = "[ \"$1\" = - ] || echo $$ > \"$1\" || exit 127; shift; while [ \"$1\" != -- ]; do "
            // a missing mount point is made, as a container runtime makes it in its root file system (here the host's)
            + "if [ ! -e \"$2\" ]; then if [ -d \"$1\" ]; then mkdir -p \"$2\"; else mkdir -p \"$(dirname \"$2\")\" && : > \"$2\"; fi; fi; "
            + "mount --bind \"$1\" \"$2\" || exit 127; shift 2; done; shift; exec \"$@\"";
    private static final boolean CAN_MOUNT = new File(UNSHARE).canExecute() && isRoot();
    private static final java.util.concurrent.atomic.AtomicBoolean WARNED = new java.util.concurrent.atomic.AtomicBoolean();

    /** Whether this process runs as root (effective uid 0): mount namespaces, cgroups and network namespaces need it. */
    public static boolean isRoot() {
        try {
            return "0".equals(Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("Uid:"))
                    .findFirst().map(l -> l.split("\\s+")[2]).orElse(""));
        } catch (IOException e) {
            return false;
        }
    }

    /** Whether containers get their pod's files at their paths (bind mounts in a mount namespace of their own). */
    public static boolean canPlaceFiles() {
        return CAN_MOUNT;
    }

    private final Path stateDir;
    private final ScheduledExecutorService timers;

    /** @param stateDir where the runtime keeps one file per running container (created if missing) */
    public ProcessRuntime(Path stateDir) throws IOException {
        this.stateDir = Files.createDirectories(stateDir);
        this.timers = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("process-runtime-timers").factory());
    }

    @Override
    public String name() {
        return "process";
    }

    @Override
    public RunningContainer start(ContainerSpec spec) throws IOException {
        Files.createDirectories(spec.logFile().getParent());
        List<String> cmd = new ArrayList<>();
        // setns(CLONE_NEWNET) needs no fork: nsenter execs the next program in the same process
        if (spec.netns() != null) cmd.addAll(List.of(NSENTER, "--net=" + spec.netns(), "--"));
        if (new File(SETSID).canExecute()) cmd.add(SETSID);
        Optional<MemoryCgroup> cgroup = MemoryCgroup.create(spec.podUid() + "_" + spec.container() + "_" + System.nanoTime(), spec.memoryLimit());
        boolean mounts = !spec.files().isEmpty() && CAN_MOUNT;
        if (mounts || cgroup.isPresent()) {
            // (unshare execs) sh, which joins the cgroup, mounts and execs the program: one pid throughout
            if (mounts) cmd.addAll(List.of(UNSHARE, "--mount", "--propagation", "private"));
            cmd.addAll(List.of("/bin/sh", "-c", MOUNT_THEN_EXEC, "kubeha-container"));
            cmd.add(cgroup.map(c -> c.procs().toString()).orElse("-"));
            if (mounts) {
                spec.files().forEach((target, source) -> {
                    cmd.add(source.toString());
                    cmd.add(target);
                });
            }
            cmd.add("--");
        }
        if (!spec.files().isEmpty() && !CAN_MOUNT && WARNED.compareAndSet(false, true)) {
            LOG.warn("containers see the host's files, not their pod's {}: bind mounts need root and {}", spec.files().keySet(), UNSHARE);
        }
        cmd.addAll(spec.argv());
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(spec.workDir().toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(spec.logFile().toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().clear();
        pb.environment().putAll(spec.env());
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            // as a container runtime words it: the pod's status shows this
            throw new IOException("failed to start container \"" + spec.container() + "\": exec: \"" + spec.argv().getFirst()
                    + "\": " + rootMessage(e), e);
        }
        Instant started = p.toHandle().info().startInstant().orElse(Instant.now());
        Path state = stateFile(spec.podUid(), spec.container(), p.pid());
        Properties props = new Properties();
        props.setProperty("podUid", spec.podUid());
        props.setProperty("container", spec.container());
        props.setProperty("pid", Long.toString(p.pid()));
        props.setProperty("startInstant", started.toString());
        bootTicks(p.pid()).ifPresent(t -> props.setProperty("startTicks", Long.toString(t)));
        cgroup.ifPresent(c -> props.setProperty("cgroup", c.dir().toString()));
        try {
            writeAtomically(state, props);
        } catch (IOException e) {
            // a process no restarted agent could find again must not run on: stop it before saying it failed
            killGroup(p.pid());
            p.destroyForcibly();
            cgroup.ifPresent(c -> {
                p.onExit().join();
                c.remove();
            });
            throw new IOException("failed to start container \"" + spec.container() + "\": cannot record it in "
                    + stateDir + ": " + rootMessage(e), e);
        }
        CompletableFuture<RunningContainer.Exit> exit = p.onExit().thenApply(done -> {
            // the container ends with its main process, as a cgroup is torn down: whatever it started goes too
            killGroup(done.pid());
            boolean oom = cgroup.map(MemoryCgroup::oomKilled).orElse(false);
            cgroup.ifPresent(MemoryCgroup::remove);
            return oom ? new RunningContainer.Exit(done.exitValue(), "OOMKilled", Instant.now()) : RunningContainer.Exit.of(done.exitValue(), Instant.now());
        });
        return new ProcessContainer(spec.podUid(), spec.container(), p.toHandle(), started, exit, state);
    }

    /** SIGKILL to a process group that may still have members (a group id is not reused while it has any). */
    private static void killGroup(long pgid) {
        try {
            Process k = new ProcessBuilder("kill", "-KILL", "--", "-" + pgid).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            k.waitFor(5, TimeUnit.SECONDS);
        } catch (IOException e) {
            // no kill command: nothing more to do
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String rootMessage(Throwable e) {
        while (e.getCause() != null) e = e.getCause();
        String m = e.getMessage();
        return m == null ? e.toString() : m.replaceFirst("^error=\\d+, ", "");
    }

    private Path stateFile(String podUid, String container, long pid) {
        return stateDir.resolve(podUid + "_" + container + "_" + pid + ".properties");
    }

    /**
     * Writes a state file whole or not at all (a temporary file, then a rename): an agent killed mid-write leaves no
     * torn file that a restarted agent could not read.
     */
    private static void writeAtomically(Path file, Properties props) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (var w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            props.store(w, "a container process started by the kubeha agent");
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * When a process started, in clock ticks since boot (field 22 of /proc/PID/stat): unlike a wall-clock instant,
     * it does not move when the machine's clock is set, so a pid reused by another process is told apart for sure.
     * Empty where /proc is not there.
     */
    static Optional<Long> bootTicks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.UTF_8);
            // the command name (field 2) is in parentheses and may hold spaces: count from after its closing one
            String[] rest = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
            return Optional.of(Long.parseLong(rest[22 - 3]));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Whether the live process {@code h} is the one a state file recorded (not another that got its pid). */
    private static boolean sameProcess(ProcessHandle h, Properties props) {
        String ticks = props.getProperty("startTicks");
        if (ticks != null) {
            Optional<Long> now = bootTicks(h.pid());
            if (now.isPresent()) return now.get() == Long.parseLong(ticks);
        }
        Instant startInstant = Instant.parse(props.getProperty("startInstant", Instant.EPOCH.toString()));
        return h.info().startInstant().map(startInstant::equals).orElse(false);
    }

    @Override
    public List<RunningContainer> recover() {
        List<RunningContainer> out = new ArrayList<>();
        try (var files = Files.list(stateDir)) {
            for (Path f : files.filter(x -> x.toString().endsWith(".properties")).toList()) {
                Properties props = new Properties();
                try (var r = Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
                    props.load(r);
                } catch (IOException e) {
                    LOG.warn("unreadable container state {}: {}", f, e.toString());
                    continue;
                }
                long pid;
                Instant startInstant;
                try {
                    pid = Long.parseLong(props.getProperty("pid", "-1"));
                    startInstant = Instant.parse(props.getProperty("startInstant", Instant.EPOCH.toString()));
                } catch (RuntimeException e) {
                    LOG.warn("unreadable container state {}: {}", f, e.toString());
                    Files.deleteIfExists(f);
                    continue;
                }
                Optional<ProcessHandle> h = ProcessHandle.of(pid).filter(ProcessHandle::isAlive).filter(x -> sameProcess(x, props));
                Optional<MemoryCgroup> cgroup = Optional.ofNullable(props.getProperty("cgroup")).map(Path::of).flatMap(MemoryCgroup::existing);
                if (h.isEmpty()) {
                    cgroup.ifPresent(MemoryCgroup::remove);
                    Files.deleteIfExists(f); // ended while the agent was away, or the pid is someone else's now
                    continue;
                }
                // not our child any more: its exit code is the kernel's secret, only its end (and an OOM kill) is seen
                CompletableFuture<RunningContainer.Exit> exit = h.get().onExit().thenApply(done -> {
                    boolean oom = cgroup.map(MemoryCgroup::oomKilled).orElse(false);
                    cgroup.ifPresent(MemoryCgroup::remove);
                    return new RunningContainer.Exit(oom ? 137 : -1, oom ? "OOMKilled" : "Unknown", Instant.now());
                });
                out.add(new ProcessContainer(props.getProperty("podUid"), props.getProperty("container"), h.get(),
                        startInstant, exit, f));
            }
            // a temporary file left by an agent killed mid-write names no process that was ever started unrecorded
            try (var tmps = Files.list(stateDir)) {
                for (Path t : tmps.filter(x -> x.toString().endsWith(".properties.tmp")).toList()) Files.deleteIfExists(t);
            }
        } catch (IOException e) {
            LOG.warn("cannot list container states in {}: {}", stateDir, e.toString());
        }
        return out;
    }

    @Override
    public void forget(RunningContainer container) {
        if (container instanceof ProcessContainer pc) {
            try {
                Files.deleteIfExists(pc.state);
            } catch (IOException e) {
                LOG.warn("cannot remove {}: {}", pc.state, e.toString());
            }
        }
    }

    @Override
    public void close() {
        timers.shutdownNow(); // processes keep running: a restarted agent takes them back
    }

    private final class ProcessContainer implements RunningContainer {
        private final String podUid;
        private final String name;
        private final ProcessHandle process;
        private final Instant started;
        private final CompletableFuture<Exit> exit;
        final Path state;

        ProcessContainer(String podUid, String name, ProcessHandle process, Instant started, CompletableFuture<Exit> exit, Path state) {
            this.podUid = podUid;
            this.name = name;
            this.process = process;
            this.started = started;
            this.exit = exit;
            this.state = state;
        }

        @Override
        public String id() {
            return "process://" + process.pid();
        }

        @Override
        public String podUid() {
            return podUid;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public Instant startedAt() {
            return started;
        }

        @Override
        public CompletableFuture<Exit> exit() {
            return exit;
        }

        @Override
        public void stop(Duration grace) {
            if (exit.isDone()) return;
            signalGroup("TERM");
            if (grace.isZero() || grace.isNegative()) {
                signalGroup("KILL");
                return;
            }
            try {
                var kill = timers.schedule(() -> signalGroup("KILL"), grace.toMillis(), TimeUnit.MILLISECONDS);
                exit.whenComplete((e, t) -> kill.cancel(false));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // the agent is stopping (a preStop hook outlived it): the container got SIGTERM; a restarted agent
                // takes back whatever still runs and stops it
            }
        }

        /** Signals the container's process group (everything it started), or the process alone without setsid. */
        private void signalGroup(String signal) {
            if (!process.isAlive()) return;
            try {
                Process k = new ProcessBuilder("kill", "-" + signal, "--", "-" + process.pid()).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                if (!k.waitFor(5, TimeUnit.SECONDS) || k.exitValue() != 0) {
                    // no group of that id (started without setsid): the process itself
                    if (signal.equals("KILL")) process.destroyForcibly();
                    else process.destroy();
                }
            } catch (IOException e) {
                if (signal.equals("KILL")) process.destroyForcibly();
                else process.destroy();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public String toString() {
            return name + "(" + id() + ")";
        }
    }
}
