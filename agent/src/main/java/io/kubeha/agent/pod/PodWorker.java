package io.kubeha.agent.pod;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.LifecycleHandler;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.kubeha.agent.images.ImageStore;
import io.kubeha.agent.runtime.ContainerSpec;
import io.kubeha.agent.runtime.RunningContainer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Runs one pod on this node, as the kubelet's pod worker does: level-triggered, a sync whenever the pod changes,
 * a container ends, a probe flips or a back-off runs out (and every 10 seconds regardless), each sync comparing the
 * pod's spec with what runs and reporting status when it changed.
 * <ul>
 *   <li>Containers start in order with their environment, working folder and log file; one that ends is restarted
 *       by the restart policy (Always, OnFailure, Never) after the kubelet's back-off: at once the first time, then
 *       10s doubling to 5 minutes, reset once it ran for 10 minutes (CrashLoopBackOff while it waits).</li>
 *   <li>Probes: startup gates the others, liveness failure restarts the container, readiness makes it Ready.</li>
 *   <li>Deletion: a pod with a deletionTimestamp has its containers stopped (the preStop hook, then SIGTERM, then
 *       SIGKILL once the grace period is spent), then the agent deletes the pod object for good (grace 0,
 *       precondition on its uid).</li>
 *   <li>Lifecycle hooks (exec, httpGet, sleep): postStart runs once a container started, before its probes, and a
 *       failure kills the container (FailedPostStartHook); preStop runs before every stop the agent decides
 *       (deletion, a failed liveness or startup probe), bounded by the grace period, which the SIGTERM then gets
 *       what is left of (at least 2 s, as the kubelet gives).</li>
 *   <li>After an agent restart the worker takes back the containers the runtime recovered, keeping their
 *       restart counts from the pod's last reported status.</li>
 * </ul>
 */
final class PodWorker {
    private static final Logger LOG = LoggerFactory.getLogger(PodWorker.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Duration RESET_AFTER = Duration.ofMinutes(10);

    private final PodContext ctx;
    private final String uid;
    private final Semaphore wake = new Semaphore(0);
    private final Map<String, ContainerRecord> containers = new LinkedHashMap<>();
    private final Runnable onFinished;
    private volatile Pod pod;
    private volatile boolean gone;
    private volatile boolean closed;
    private String podIp;
    /** The pod's network (its namespace in --netns mode) is set up; checked again after an agent restart. */
    private boolean networkReady;
    private String networkError;
    private Instant startTime;
    private String lastReported;
    private final Map<String, String> transitions = new LinkedHashMap<>();
    private boolean terminating;
    private Thread thread;
    /** The pod's projected service-account tokens, refreshed at every pass when due. */
    private final Tokens tokens;

    /** What the worker knows of one container of its pod. */
    private static final class ContainerRecord {
        final String name;
        RunningContainer current;
        RunningContainer.Exit lastExit;
        Instant lastStartedAt;
        String lastId;
        int restartCount;
        boolean everStarted;
        Instant backoffUntil;
        Duration backoff = Duration.ZERO;
        String waitingReason = "ContainerCreating";
        String waitingMessage;
        boolean done;
        /** Taken back after an agent restart, its probes not yet started. */
        boolean adopted;
        /** The run whose stop (its preStop hook first) is under way, and by when it is to be killed at the latest. */
        RunningContainer stopping;
        Instant stopBy;
        volatile boolean ready;
        volatile boolean started;
        final List<Prober> probers = new ArrayList<>();

        ContainerRecord(String name) {
            this.name = name;
        }

        void closeProbers() {
            probers.forEach(Prober::close);
            probers.clear();
        }
    }

    PodWorker(PodContext ctx, Pod pod, List<RunningContainer> recovered, Runnable onFinished) {
        this.ctx = ctx;
        this.pod = pod;
        this.uid = pod.getMetadata().getUid();
        this.onFinished = onFinished;
        this.tokens = new Tokens((namespace, sa, request) -> ctx.client().serviceAccounts().inNamespace(namespace).withName(sa)
                .tokenRequest(request), ctx.clock());
        adopt(pod, recovered);
    }

    /** Takes back containers that outlived an agent restart, with the restart counts the API last heard of. */
    private void adopt(Pod pod, List<RunningContainer> recovered) {
        if (recovered.isEmpty()) return;
        Map<String, Integer> counts = new LinkedHashMap<>();
        if (pod.getStatus() != null && pod.getStatus().getContainerStatuses() != null) {
            pod.getStatus().getContainerStatuses().forEach(cs -> counts.put(cs.getName(), cs.getRestartCount() == null ? 0 : cs.getRestartCount()));
        }
        if (pod.getStatus() != null && pod.getStatus().getPodIP() != null) podIp = pod.getStatus().getPodIP();
        if (pod.getStatus() != null && pod.getStatus().getStartTime() != null) startTime = Instant.parse(pod.getStatus().getStartTime());
        for (RunningContainer rc : recovered) {
            ContainerRecord rec = containers.computeIfAbsent(rc.name(), ContainerRecord::new);
            if (rec.current != null) {
                rc.stop(Duration.ZERO); // two of one name: keep one
                continue;
            }
            rec.current = rc;
            rec.everStarted = true;
            rec.restartCount = counts.getOrDefault(rc.name(), 0);
            rec.adopted = true; // its probes start with the first sync, as for a container just started
            rc.exit().thenRun(this::wake);
            LOG.info("pod {}/{}: took back container {} ({})", ns(), name(), rc.name(), rc.id());
        }
        // the tokens its containers read were written by the agent before: ask for new ones at the first pass
        if (!ctx.runtime().name().equals("simulated")) {
            Volumes.tokenProjections(pod, ctx.podsDir().resolve(uid)).forEach(tokens::written);
        }
    }

    PodWorker start() {
        thread = Thread.ofVirtual().name("pod-" + ns() + "-" + name()).start(this::loop);
        return this;
    }

    void update(Pod p) {
        pod = p;
        wake();
    }

    /** The pod object is gone from the API (deleted for good, perhaps forced): stop everything. */
    void podGone() {
        gone = true;
        wake();
    }

    void wake() {
        wake.release();
    }

    /** The agent stops: containers keep running (a restarted agent takes them back); only the worker ends. */
    void close() {
        closed = true;
        wake();
        synchronized (this) {
            containers.values().forEach(ContainerRecord::closeProbers);
        }
    }

    String ns() {
        return pod.getMetadata().getNamespace();
    }

    String name() {
        return pod.getMetadata().getName();
    }

    private void loop() {
        try {
            while (!closed) {
                boolean finished;
                try {
                    finished = sync();
                } catch (KubernetesClientException e) {
                    LOG.warn("pod {}/{}: API request failed ({}); retrying", ns(), name(), e.getMessage());
                    finished = false;
                } catch (RuntimeException e) {
                    LOG.error("pod {}/{}: sync failed", ns(), name(), e);
                    finished = false;
                }
                if (finished) {
                    onFinished.run();
                    return;
                }
                // a periodic resync besides the wake-ups (pod changes, container exits, probes, back-offs): 10 s, so that
                // an agent with 30,000 (simulated) pods is not woken 30,000 times a second
                wake.tryAcquire(10, TimeUnit.SECONDS);
                wake.drainPermits();
            }
        } catch (InterruptedException e) {
            // closing
        }
    }

    /** One pass; true once the pod is finished here for good (stopped, object deleted, resources released). */
    private synchronized boolean sync() {
        Pod p = pod;
        if (gone || p.getMetadata().getDeletionTimestamp() != null) {
            return terminate(p);
        }
        if (podIp == null) {
            try {
                // hostNetwork: the node's address, as the kubelet reports it
                podIp = Boolean.TRUE.equals(p.getSpec().getHostNetwork()) ? ctx.hostIp() : ctx.ips().allocate(uid);
            } catch (IOException e) {
                LOG.warn("pod {}/{}: {}", ns(), name(), e.getMessage());
                return false;
            }
        }
        if (!networkReady && !Boolean.TRUE.equals(p.getSpec().getHostNetwork())) {
            try {
                ctx.network().setUp(uid, podIp);
                networkReady = true;
            } catch (IOException e) {
                if (!Objects.equals(networkError, e.getMessage())) {
                    ctx.events().pod(p, "Warning", "FailedCreatePodSandBox", "Failed to create pod sandbox: " + e.getMessage());
                    LOG.warn("pod {}/{}: network: {}", ns(), name(), e.getMessage());
                }
                networkError = e.getMessage();
                return false;
            }
        }
        if (startTime == null) startTime = Instant.now(ctx.clock()).truncatedTo(ChronoUnit.SECONDS);
        String policy = p.getSpec().getRestartPolicy() == null ? "Always" : p.getSpec().getRestartPolicy();
        for (Container c : p.getSpec().getContainers()) {
            ContainerRecord rec = containers.computeIfAbsent(c.getName(), ContainerRecord::new);
            if (rec.current != null && rec.current.exited().isPresent()) ended(p, c, rec, policy);
            if (rec.current != null && rec.adopted) {
                rec.adopted = false;
                startProbers(c, rec, envOrEmpty(p, c));
            }
            if (rec.current == null && !rec.done) {
                Instant now = Instant.now(ctx.clock());
                if (rec.backoffUntil != null && now.isBefore(rec.backoffUntil)) {
                    rec.waitingReason = "CrashLoopBackOff";
                    rec.waitingMessage = "back-off " + human(rec.backoff) + " restarting failed container=" + c.getName()
                            + " pod=" + name() + "_" + ns() + "(" + uid + ")";
                    continue;
                }
                startContainer(p, c, rec);
            }
        }
        if (tokens.any()) tokens.refresh(p);
        report(p);
        return false;
    }

    /** A container ended: remember how, and decide by the restart policy whether and when it runs again. */
    private void ended(Pod p, Container c, ContainerRecord rec, String policy) {
        RunningContainer rc = rec.current;
        RunningContainer.Exit exit = rc.exited().orElseThrow();
        rec.lastExit = exit;
        rec.lastStartedAt = rc.startedAt();
        rec.lastId = rc.id();
        rec.current = null;
        rec.ready = false;
        rec.started = false;
        rec.closeProbers();
        ctx.runtime().forget(rc);
        boolean restart = switch (policy) {
            case "Never" -> false;
            case "OnFailure" -> exit.exitCode() != 0;
            default -> true;
        };
        LOG.info("pod {}/{}: container {} ended with {} ({}){}", ns(), name(), c.getName(), exit.exitCode(), exit.reason(),
                restart ? "; restarting" : "");
        if (!restart) {
            rec.done = true;
            return;
        }
        Duration ran = Duration.between(rc.startedAt(), exit.finishedAt());
        if (ran.compareTo(RESET_AFTER) >= 0) rec.backoff = Duration.ZERO;
        // the kubelet restarts at once the first time, then waits 10s, 20s, ... up to 5 minutes
        Instant now = Instant.now(ctx.clock());
        rec.backoffUntil = rec.backoff.isZero() ? now : now.plus(rec.backoff);
        rec.backoff = rec.backoff.isZero() ? ctx.initialBackoff() : min(rec.backoff.multipliedBy(2), ctx.maxBackoff());
        if (!rec.backoffUntil.isAfter(now)) return;
        Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(Duration.between(Instant.now(ctx.clock()), rec.backoffUntil).plusMillis(10).toMillis());
            } catch (InterruptedException ignored) {
                return;
            }
            wake();
        });
        ctx.events().pod(p, "Warning", "BackOff", "Back-off restarting failed container " + c.getName() + " in pod " + name()
                + "_" + ns() + "(" + uid + ")");
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private static String human(Duration d) {
        long s = d.toSeconds();
        return s >= 60 ? (s / 60) + "m" + (s % 60) + "s" : s + "s";
    }

    private void startContainer(Pod p, Container c, ContainerRecord rec) {
        if (ctx.runtime().name().equals("simulated")) {
            startSimulated(p, c, rec);
            return;
        }
        Map<String, String> env;
        List<String> argv;
        try {
            env = Environment.of(p, c, podIp, ctx.hostIp(), lookup());
            argv = argv(c, env);
        } catch (Environment.ConfigError e) {
            waiting(p, rec, "CreateContainerConfigError", e.getMessage());
            return;
        } catch (ImageMissing e) {
            waiting(p, rec, "ErrImageNeverPull", e.getMessage());
            return;
        } catch (IOException e) {
            waiting(p, rec, "CreateContainerError", e.getMessage());
            return;
        }
        Path logFile = ctx.logsDir().resolve(ns() + "_" + name() + "_" + uid).resolve(c.getName())
                .resolve((rec.everStarted ? rec.restartCount + 1 : rec.restartCount) + ".log");
        try {
            Path workDir = Files.createDirectories(ctx.podsDir().resolve(uid).resolve("containers").resolve(c.getName()));
            env.put("HOME", workDir.toString());
            Map<String, Path> files = podFiles(p);
            if (files.containsKey("/etc/resolv.conf")) env.put("KUBEHA_RESOLV_CONF", files.get("/etc/resolv.conf").toString());
            try {
                files.putAll(Volumes.mounts(p, c, ctx.podsDir().resolve(uid), lookup(), tokens));
            } catch (Volumes.MountError e) {
                if (!"ContainerCreating".equals(rec.waitingReason) || !e.getMessage().equals(rec.waitingMessage)) {
                    ctx.events().pod(p, "Warning", "FailedMount", e.getMessage());
                }
                rec.waitingReason = "ContainerCreating";
                rec.waitingMessage = e.getMessage();
                return;
            }
            ContainerSpec spec = new ContainerSpec(uid, c.getName(), c.getImage(), argv, env, workDir, logFile, memoryLimit(c), files)
                    .inNetns(ctx.network().namespace(uid).orElse(null));
            RunningContainer rc = ctx.runtime().start(spec);
            if (rec.everStarted) rec.restartCount++;
            rec.everStarted = true;
            rec.current = rc;
            rec.waitingReason = null;
            rec.waitingMessage = null;
            rc.exit().thenRun(this::wake);
            ctx.events().pod(p, "Normal", "Started", "Started container " + c.getName());
            LOG.info("pod {}/{}: started container {} ({}) at {}", ns(), name(), c.getName(), rc.id(), podIp);
            if (!postStart(p, c, rec, env)) return;
            startProbers(c, rec, env);
        } catch (IOException e) {
            waiting(p, rec, "RunContainerError", e.getMessage());
            rec.backoffUntil = Instant.now(ctx.clock()).plus(rec.backoff.isZero() ? ctx.initialBackoff() : rec.backoff);
            rec.backoff = rec.backoff.isZero() ? ctx.initialBackoff() : min(rec.backoff.multipliedBy(2), ctx.maxBackoff());
        }
    }

    /** A simulated container needs no environment, files or volumes: nothing runs (thousands of pods per agent). */
    private void startSimulated(Pod p, Container c, ContainerRecord rec) {
        try {
            Path nowhere = ctx.podsDir().resolve(uid);
            RunningContainer rc = ctx.runtime().start(new ContainerSpec(uid, c.getName(), c.getImage(),
                    List.of(c.getImage() == null ? "simulated" : c.getImage()), Map.of(), nowhere, nowhere.resolve("log"), 0, Map.of()));
            if (rec.everStarted) rec.restartCount++;
            rec.everStarted = true;
            rec.current = rc;
            rec.waitingReason = null;
            rec.waitingMessage = null;
            rc.exit().thenRun(this::wake);
            // as KWOK's: probes pass at once, there is nothing to probe
            rec.started = true;
            rec.ready = true;
        } catch (IOException e) {
            waiting(p, rec, "RunContainerError", e.getMessage());
        }
    }

    /**
     * The pod's /etc/resolv.conf and /etc/hosts, as the kubelet writes them: by dnsPolicy (ClusterFirst: the
     * cluster DNS with the namespace's search path and ndots:5; Default: the node's, so no file; None: dnsConfig
     * alone) plus dnsConfig; hosts with localhost, the pod's own name and address, and hostAliases.
     */
    private Map<String, Path> podFiles(Pod p) throws IOException {
        Path etc = Files.createDirectories(ctx.podsDir().resolve(uid).resolve("etc"));
        Map<String, Path> files = new LinkedHashMap<>();
        String resolv = resolvConf(p);
        if (resolv != null) {
            Path f = etc.resolve("resolv.conf");
            Files.writeString(f, resolv);
            files.put("/etc/resolv.conf", f);
        }
        if (!Boolean.TRUE.equals(p.getSpec().getHostNetwork())) {
            StringBuilder hosts = new StringBuilder("# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n"
                    + "::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\n"
                    + "fe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n");
            String hostname = p.getSpec().getHostname() != null ? p.getSpec().getHostname() : name();
            hosts.append(podIp).append('\t');
            if (p.getSpec().getSubdomain() != null && !p.getSpec().getSubdomain().isEmpty()) {
                hosts.append(hostname).append('.').append(p.getSpec().getSubdomain()).append('.').append(ns()).append(".svc.")
                        .append(ctx.clusterDomain()).append('\t');
            }
            hosts.append(hostname).append('\n');
            if (p.getSpec().getHostAliases() != null) {
                p.getSpec().getHostAliases().forEach(a -> hosts.append("\n# Entries added by HostAliases.\n").append(a.getIp()).append('\t')
                        .append(String.join("\t", a.getHostnames() == null ? List.of() : a.getHostnames())).append('\n'));
            }
            Path f = etc.resolve("hosts");
            Files.writeString(f, hosts.toString());
            files.put("/etc/hosts", f);
        }
        return files;
    }

    private String resolvConf(Pod p) throws IOException {
        String policy = p.getSpec().getDnsPolicy() == null ? "ClusterFirst" : p.getSpec().getDnsPolicy();
        boolean hostNetwork = Boolean.TRUE.equals(p.getSpec().getHostNetwork());
        boolean cluster = ctx.clusterDns() != null
                && (policy.equals("ClusterFirstWithHostNet") || (policy.equals("ClusterFirst") && !hostNetwork));
        List<String> nameservers = new ArrayList<>();
        List<String> searches = new ArrayList<>();
        List<String> options = new ArrayList<>();
        var dnsConfig = p.getSpec().getDnsConfig();
        if (cluster) {
            nameservers.add(ctx.clusterDns());
            String d = ctx.clusterDomain();
            searches.addAll(List.of(ns() + ".svc." + d, "svc." + d, d));
            options.add("ndots:5");
        } else if (!policy.equals("None")) {
            if (dnsConfig == null) return null; // the node's own resolv.conf, as it is
            for (String line : Files.readAllLines(Path.of("/etc/resolv.conf"))) {
                String[] w = line.strip().split("\\s+");
                if (w.length < 2) continue;
                switch (w[0]) {
                    case "nameserver" -> nameservers.add(w[1]);
                    case "search" -> searches.addAll(List.of(w).subList(1, w.length));
                    case "options" -> options.addAll(List.of(w).subList(1, w.length));
                    default -> { }
                }
            }
        }
        if (dnsConfig != null) {
            if (dnsConfig.getNameservers() != null) nameservers.addAll(dnsConfig.getNameservers());
            if (dnsConfig.getSearches() != null) searches.addAll(dnsConfig.getSearches());
            if (dnsConfig.getOptions() != null) {
                dnsConfig.getOptions().forEach(o -> {
                    options.removeIf(x -> x.equals(o.getName()) || x.startsWith(o.getName() + ":"));
                    options.add(o.getValue() == null ? o.getName() : o.getName() + ":" + o.getValue());
                });
            }
        }
        StringBuilder sb = new StringBuilder();
        if (!searches.isEmpty()) sb.append("search ").append(String.join(" ", searches.stream().distinct().toList())).append('\n');
        nameservers.stream().distinct().limit(3).forEach(n -> sb.append("nameserver ").append(n).append('\n'));
        if (!options.isEmpty()) sb.append("options ").append(String.join(" ", options)).append('\n');
        return sb.toString();
    }

    private void waiting(Pod p, ContainerRecord rec, String reason, String message) {
        boolean changed = !reason.equals(rec.waitingReason) || !Objects.equals(message, rec.waitingMessage);
        rec.waitingReason = reason;
        rec.waitingMessage = message;
        if (changed) {
            ctx.events().pod(p, "Warning", "Failed", "Error: " + message);
            LOG.warn("pod {}/{}: container {}: {}: {}", ns(), name(), rec.name, reason, message);
        }
    }

    private static final class ImageMissing extends Exception {
        ImageMissing(String m) {
            super(m);
        }
    }

    private List<String> argv(Container c, Map<String, String> env) throws IOException, ImageMissing {
        List<String> command = Environment.expandAll(c.getCommand(), env);
        List<String> args = Environment.expandAll(c.getArgs(), env);
        if (ctx.runtime().name().equals("simulated")) {
            List<String> argv = new ArrayList<>();
            argv.add(c.getImage() == null ? "simulated" : c.getImage());
            return argv;
        }
        ImageStore.Image image = c.getImage() == null ? null : ctx.images().find(c.getImage()).orElse(null);
        if (image == null) {
            if (!command.isEmpty()) {
                // a host program named by command: the image is only a name here
                List<String> argv = new ArrayList<>(command);
                argv.addAll(args);
                return argv;
            }
            throw new ImageMissing("Container image \"" + c.getImage() + "\" is not present in the node's image store ("
                    + ctx.images().root() + "); import it with: kubeha image import " + c.getImage() + " PATH");
        }
        return ctx.images().argv(image, command, args, ctx.java(), memoryLimit(c), ctx.jvmOptions());
    }

    private static long memoryLimit(Container c) {
        if (c.getResources() == null || c.getResources().getLimits() == null) return 0;
        Quantity q = c.getResources().getLimits().get("memory");
        return q == null ? 0 : q.getNumericalAmount().longValue();
    }

    private void startProbers(Container c, ContainerRecord rec, Map<String, String> env) {
        boolean hasStartup = c.getStartupProbe() != null;
        rec.started = !hasStartup;
        rec.ready = c.getReadinessProbe() == null && !hasStartup;
        ProbeListener listener = new ProbeListener(c, rec, rec.current, env);
        if (hasStartup) {
            rec.probers.add(new Prober(Prober.Kind.STARTUP, inPodNetwork(c.getStartupProbe()), c, podIp, env, listener).start());
        } else {
            listener.startLivenessAndReadiness();
        }
    }

    /** An exec probe runs in the pod's network namespace (--netns), as Kubernetes runs it in the container. */
    private io.fabric8.kubernetes.api.model.Probe inPodNetwork(io.fabric8.kubernetes.api.model.Probe probe) {
        if (probe == null || probe.getExec() == null) return probe;
        List<String> cmd = ctx.network().inPod(uid, probe.getExec().getCommand());
        if (cmd == probe.getExec().getCommand()) return probe;
        return new io.fabric8.kubernetes.api.model.ProbeBuilder(probe).editExec().withCommand(cmd).endExec().build();
    }

    /** The probes of one run of one container; results of an earlier run are ignored. */
    private final class ProbeListener implements Prober.Listener {
        private final Container c;
        private final ContainerRecord rec;
        private final RunningContainer run;
        private final Map<String, String> env;

        ProbeListener(Container c, ContainerRecord rec, RunningContainer run, Map<String, String> env) {
            this.c = c;
            this.rec = rec;
            this.run = run;
            this.env = env;
        }

        void startLivenessAndReadiness() {
            if (c.getLivenessProbe() != null) {
                rec.probers.add(new Prober(Prober.Kind.LIVENESS, inPodNetwork(c.getLivenessProbe()), c, podIp, env, this).start());
            }
            if (c.getReadinessProbe() != null) {
                rec.probers.add(new Prober(Prober.Kind.READINESS, inPodNetwork(c.getReadinessProbe()), c, podIp, env, this).start());
            }
        }

        @Override
        public void changed(Prober prober, boolean success, String message) {
            synchronized (PodWorker.this) {
                if (rec.current != run) return;
                switch (prober.kind) {
                    case STARTUP -> {
                        if (success) {
                            rec.started = true;
                            if (c.getReadinessProbe() == null) rec.ready = true;
                            startLivenessAndReadiness();
                        } else {
                            unhealthy(c, rec, "Startup", message);
                        }
                    }
                    case READINESS -> {
                        rec.ready = success;
                        if (!success) ctx.events().pod(pod, "Warning", "Unhealthy", "Readiness probe failed: " + message);
                    }
                    case LIVENESS -> {
                        if (!success) unhealthy(c, rec, "Liveness", message);
                    }
                }
            }
            wake();
        }
    }

    /** A liveness or startup probe failed: the kubelet kills the container, and the restart policy decides. */
    private void unhealthy(Container c, ContainerRecord rec, String probe, String message) {
        Pod p = pod;
        ctx.events().pod(p, "Warning", "Unhealthy", probe + " probe failed: " + message);
        ctx.events().pod(p, "Normal", "Killing", "Container " + c.getName() + " failed " + probe.toLowerCase()
                + " probe, will be restarted");
        // stop first: closing the probers interrupts this very thread (a prober's), which would cut the signalling short
        kill(p, rec, probeGrace(p, probe.equals("Startup") ? c.getStartupProbe() : c.getLivenessProbe()));
        rec.ready = false;
        rec.closeProbers();
    }

    /**
     * The grace period of a kill for a failed liveness or startup probe: the probe's own terminationGracePeriodSeconds
     * when it has one (Kubernetes' probe-level grace period, GA in 1.27), else the pod's.
     */
    private static Duration probeGrace(Pod p, io.fabric8.kubernetes.api.model.Probe probe) {
        Long s = probe == null ? null : probe.getTerminationGracePeriodSeconds();
        return s == null ? grace(p) : Duration.ofSeconds(Math.max(0, s));
    }

    /** The minimum a container gets between SIGTERM and SIGKILL after its preStop hook, as the kubelet gives. */
    private static final Duration MIN_GRACE_AFTER_HOOK = Duration.ofSeconds(2);

    /**
     * Stops the container's current run as the kubelet kills a container: its preStop hook first (on a thread of its
     * own, bounded by the grace period), then SIGTERM with what is left of the grace period (at least 2 s), then
     * SIGKILL. Returns at once; the run's exit wakes the worker.
     */
    private void kill(Pod p, ContainerRecord rec, Duration grace) {
        RunningContainer run = rec.current;
        if (run == null || run.exited().isPresent()) return;
        Instant by = Instant.now().plus(grace);
        if (rec.stopping == run) {
            // already stopping: a shorter grace period (a deletion with --grace-period, a forced one) cuts it short,
            // as the kubelet's kill with a grace-period override does; a longer one changes nothing
            if (by.isBefore(rec.stopBy)) {
                rec.stopBy = by;
                run.stop(grace);
            }
            return;
        }
        rec.stopping = run;
        rec.stopBy = by;
        Container c = spec(p, rec.name);
        LifecycleHandler preStop = c == null || c.getLifecycle() == null ? null : c.getLifecycle().getPreStop();
        if (preStop == null || grace.isZero() || ctx.runtime().name().equals("simulated")) {
            run.stop(grace);
            return;
        }
        Thread.ofVirtual().name("prestop-" + name() + "-" + rec.name).start(() -> {
            long start = System.nanoTime();
            String failure;
            try {
                failure = hook(p, c, "PreStop", preStop, envOrEmpty(p, c), grace);
            } catch (RuntimeException e) {
                failure = "PreStop hook of container " + c.getName() + " failed: " + e; // the SIGTERM must come all the same
            }
            if (failure != null) {
                LOG.info("pod {}/{}: preStop hook of {} failed: {}", ns(), name(), rec.name, failure);
                ctx.events().pod(p, "Warning", "FailedPreStopHook", failure);
            }
            Duration left = grace.minusNanos(System.nanoTime() - start);
            run.stop(left.compareTo(MIN_GRACE_AFTER_HOOK) < 0 ? MIN_GRACE_AFTER_HOOK : left);
        });
    }

    /**
     * Runs the container's postStart hook, if it has one, before its probes start (the kubelet does not call a
     * container running until the hook returned). False when it failed: the container is killed and the restart
     * policy decides, as the kubelet's FailedPostStartHook.
     */
    private boolean postStart(Pod p, Container c, ContainerRecord rec, Map<String, String> env) {
        LifecycleHandler h = c.getLifecycle() == null ? null : c.getLifecycle().getPostStart();
        if (h == null) return true;
        // bounded so that a hook that never returns cannot hold the worker for good; the kubelet's own limit is
        // the pod's lifetime, a grace period is the nearest bound the pod itself states
        Duration bound = grace(p).plusSeconds(30);
        String failure = hook(p, c, "PostStart", h, env, bound);
        if (failure == null) return true;
        LOG.info("pod {}/{}: postStart hook of {} failed: {}", ns(), name(), c.getName(), failure);
        ctx.events().pod(p, "Warning", "FailedPostStartHook", failure);
        ctx.events().pod(p, "Normal", "Killing", "FailedPostStartHook");
        kill(p, rec, grace(p));
        return false;
    }

    /**
     * One hook, bounded by {@code timeout} (each handler keeps to it: the command is killed, the request given up, the
     * sleep cut short): null when it succeeded, else the kubelet's words for the failure. Runs on the calling thread.
     */
    private String hook(Pod p, Container c, String which, LifecycleHandler h, Map<String, String> env, Duration timeout) {
        String pod = name() + "_" + ns() + "(" + uid + ")";
        try {
            if (h.getExec() != null) {
                String f = Handlers.exec(ctx.network().inPod(uid, h.getExec().getCommand()), env, timeout);
                return f == null ? null : "Exec lifecycle hook (" + h.getExec().getCommand() + ") for Container \"" + c.getName()
                        + "\" in Pod \"" + pod + "\" failed - error: " + f;
            }
            if (h.getHttpGet() != null) {
                String f = Handlers.httpGet(h.getHttpGet(), c, podIp, timeout, "kube-lifecycle/1.33", true);
                return f == null ? null : "HTTP lifecycle hook (" + h.getHttpGet().getPath() + ") for Container \"" + c.getName()
                        + "\" in Pod \"" + pod + "\" failed - error: " + f;
            }
            if (h.getSleep() != null && h.getSleep().getSeconds() != null) {
                Duration sleep = Duration.ofSeconds(Math.max(0, h.getSleep().getSeconds()));
                Thread.sleep(sleep.compareTo(timeout) <= 0 ? sleep : timeout);
                return null;
            }
            if (h.getTcpSocket() != null) return which + " hook of container " + c.getName() + ": tcpSocket is not supported as a lifecycle handler";
            return which + " hook of container " + c.getName() + " names no handler (exec, httpGet or sleep)";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return which + " hook of container " + c.getName() + " in pod " + pod + " was interrupted";
        }
    }

    private static Container spec(Pod p, String container) {
        return p.getSpec().getContainers().stream().filter(c -> c.getName().equals(container)).findFirst().orElse(null);
    }

    /** The container's environment for a probe or hook; empty when it cannot be had now (a reference gone, the API down). */
    private Map<String, String> envOrEmpty(Pod p, Container c) {
        try {
            return Environment.of(p, c, podIp, ctx.hostIp(), lookup());
        } catch (Environment.ConfigError | RuntimeException e) {
            return Map.of();
        }
    }

    private static Duration grace(Pod p) {
        Long s = p.getMetadata().getDeletionGracePeriodSeconds();
        if (s == null) s = p.getSpec().getTerminationGracePeriodSeconds();
        return Duration.ofSeconds(s == null ? 30 : Math.max(0, s));
    }

    /** Stops every container; once all have ended, deletes the pod object for good and releases the pod's address. */
    private boolean terminate(Pod p) {
        if (!terminating) {
            terminating = true;
            Duration grace = grace(p);
            for (ContainerRecord rec : containers.values()) {
                rec.closeProbers();
                rec.ready = false;
                if (rec.current != null && rec.current.exited().isEmpty()) {
                    ctx.events().pod(p, "Normal", "Killing", "Stopping container " + rec.name);
                    kill(p, rec, grace);
                }
            }
            LOG.info("pod {}/{}: stopping (grace {}s)", ns(), name(), grace.toSeconds());
        } else {
            // a later deletion may have shortened the grace period (kubectl delete --grace-period=1, --force)
            Duration grace = grace(p);
            for (ContainerRecord rec : containers.values()) {
                if (rec.current != null && rec.current.exited().isEmpty()) kill(p, rec, grace);
            }
        }
        for (ContainerRecord rec : containers.values()) {
            if (rec.current != null && rec.current.exited().isEmpty()) return false; // wait for the exits
        }
        for (ContainerRecord rec : containers.values()) {
            if (rec.current != null) ctx.runtime().forget(rec.current);
        }
        if (!gone) {
            try {
                deleteForGood(p);
            } catch (KubernetesClientException e) {
                if (e.getCode() != 404 && e.getCode() != 409) throw e; // 409: the uid differs, a new pod of that name
            }
        }
        // the network goes first and the address last: an address is never handed out again while an interface of
        // this pod still holds it, and a step that fails is tried again at the next sync (an agent that dies
        // meanwhile finds the address file at its start and finishes the job)
        try {
            ctx.network().tearDown(uid);
        } catch (IOException e) {
            LOG.warn("pod {}/{}: removing its network failed (tried again): {}", ns(), name(), e.toString());
            return false;
        }
        try {
            deleteTree(ctx.podsDir().resolve(uid));
            deleteTree(ctx.logsDir().resolve(ns() + "_" + name() + "_" + uid));
        } catch (IOException e) {
            LOG.warn("pod {}/{}: cleaning up: {}", ns(), name(), e.toString());
        }
        try {
            ctx.ips().release(uid);
        } catch (IOException e) {
            LOG.warn("pod {}/{}: releasing its address failed (tried again): {}", ns(), name(), e.toString());
            return false;
        }
        LOG.info("pod {}/{}: stopped and removed", ns(), name());
        return true;
    }

    private void deleteForGood(Pod p) {
        String body = "{\"kind\":\"DeleteOptions\",\"apiVersion\":\"v1\",\"gracePeriodSeconds\":0,\"preconditions\":{\"uid\":\"" + uid + "\"}}";
        var http = ctx.client().getHttpClient();
        String url = ctx.client().getMasterUrl().toString().replaceAll("/$", "") + "/api/v1/namespaces/" + ns() + "/pods/" + name();
        try {
            var resp = http.sendAsync(http.newHttpRequestBuilder().uri(url).method("DELETE", "application/json", body).build(), String.class)
                    .get(30, TimeUnit.SECONDS);
            if (resp.code() >= 300 && resp.code() != 404 && resp.code() != 409) {
                throw new KubernetesClientException("deleting pod " + ns() + "/" + name() + ": HTTP " + resp.code() + " " + resp.body(), resp.code(), null);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KubernetesClientException("interrupted");
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new KubernetesClientException("deleting pod " + ns() + "/" + name() + ": " + e.getMessage(), e);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (var s = Files.walk(dir)) {
            for (Path f : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(f);
        }
    }

    private Environment.Lookup lookup() {
        var client = ctx.client();
        return new Environment.Lookup() {
            @Override
            public ConfigMap configMap(String namespace, String name) {
                return client.configMaps().inNamespace(namespace).withName(name).get();
            }

            @Override
            public Secret secret(String namespace, String name) {
                return client.secrets().inNamespace(namespace).withName(name).get();
            }

            @Override
            public List<Service> services(String namespace) {
                return client.services().inNamespace(namespace).list().getItems();
            }
        };
    }

    // ------------------------------------------------------------------ status

    /** Reports the pod's status when it differs from what was last reported. */
    private void report(Pod p) {
        ObjectNode status = status(p);
        String text = status.toString();
        if (text.equals(lastReported)) return;
        ObjectNode patch = JSON.createObjectNode();
        patch.set("status", status);
        ctx.client().pods().inNamespace(ns()).withName(name()).subresource("status")
                .patch(PatchContext.of(PatchType.JSON_MERGE), patch.toString());
        lastReported = text;
    }

    private ObjectNode status(Pod p) {
        ObjectNode s = JSON.createObjectNode();
        List<Container> specs = p.getSpec().getContainers();
        boolean anyRunning = false;
        boolean allDone = true;
        boolean anyFailed = false;
        boolean allReady = true;
        ArrayNode statuses = JSON.createArrayNode();
        for (Container c : specs) {
            ContainerRecord rec = containers.computeIfAbsent(c.getName(), ContainerRecord::new);
            ObjectNode cs = statuses.addObject();
            cs.put("name", c.getName());
            cs.put("image", c.getImage());
            cs.put("imageID", c.getImage() == null ? "" : "kubeha-image://" + ImageStore.Ref.parse(c.getImage()));
            String id = rec.current != null ? rec.current.id() : rec.lastId;
            if (id != null) cs.put("containerID", id);
            ObjectNode state = cs.putObject("state");
            if (rec.current != null) {
                anyRunning = true;
                allDone = false;
                state.putObject("running").put("startedAt", time(rec.current.startedAt()));
            } else if (rec.done && rec.lastExit != null) {
                anyFailed |= rec.lastExit.exitCode() != 0;
                terminated(state.putObject("terminated"), rec.lastExit, rec.lastStartedAt, rec.lastId);
            } else {
                allDone = false;
                ObjectNode w = state.putObject("waiting").put("reason", rec.waitingReason == null ? "ContainerCreating" : rec.waitingReason);
                if (rec.waitingMessage != null) w.put("message", rec.waitingMessage);
            }
            ObjectNode last = cs.putObject("lastState");
            if (rec.lastExit != null && !(rec.done && rec.current == null)) {
                terminated(last.putObject("terminated"), rec.lastExit, rec.lastStartedAt, rec.lastId);
            }
            boolean ready = rec.current != null && rec.ready;
            allReady &= ready;
            cs.put("ready", ready);
            cs.put("restartCount", rec.restartCount);
            cs.put("started", rec.current != null && rec.started);
        }
        String phase;
        if (allDone && !specs.isEmpty()) phase = anyFailed ? "Failed" : "Succeeded";
        else if (anyRunning || containers.values().stream().anyMatch(r -> r.everStarted)) phase = "Running";
        else phase = "Pending";
        s.put("phase", phase);
        boolean allReadyNow = allReady && !specs.isEmpty();
        ArrayNode conditions = s.putArray("conditions");
        condition(conditions, "PodReadyToStartContainers", true, null);
        condition(conditions, "Initialized", true, null);
        condition(conditions, "Ready", allReadyNow, allReadyNow ? null : "ContainersNotReady");
        condition(conditions, "ContainersReady", allReadyNow, allReadyNow ? null : "ContainersNotReady");
        condition(conditions, "PodScheduled", true, null);
        s.put("hostIP", ctx.hostIp());
        s.putArray("hostIPs").addObject().put("ip", ctx.hostIp());
        s.put("podIP", podIp);
        s.putArray("podIPs").addObject().put("ip", podIp);
        s.put("startTime", time(startTime));
        s.set("containerStatuses", statuses);
        if (p.getStatus() != null && p.getStatus().getQosClass() != null) s.put("qosClass", p.getStatus().getQosClass());
        return s;
    }

    private void condition(ArrayNode conditions, String type, boolean ok, String reason) {
        String value = ok ? "True" : "False";
        String since = transitions.get(type);
        if (since == null || !since.startsWith(value + "@")) {
            since = value + "@" + time(Instant.now(ctx.clock()));
            transitions.put(type, since);
        }
        ObjectNode c = conditions.addObject();
        c.put("type", type);
        c.put("status", value);
        c.putNull("lastProbeTime");
        c.put("lastTransitionTime", since.substring(since.indexOf('@') + 1));
        if (reason != null) {
            c.put("reason", reason);
            String notReady = "[" + String.join(" ", containers.values().stream().filter(r -> r.current == null || !r.ready).map(r -> r.name).toList()) + "]";
            c.put("message", "containers with unready status: " + notReady);
        }
    }

    private static void terminated(ObjectNode t, RunningContainer.Exit exit, Instant startedAt, String id) {
        t.put("exitCode", exit.exitCode());
        t.put("reason", exit.reason());
        if (startedAt != null) t.put("startedAt", time(startedAt));
        t.put("finishedAt", time(exit.finishedAt()));
        if (id != null) t.put("containerID", id);
    }

    private static String time(Instant i) {
        return i.truncatedTo(ChronoUnit.SECONDS).toString();
    }
}
