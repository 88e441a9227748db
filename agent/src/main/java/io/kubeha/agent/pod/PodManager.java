package io.kubeha.agent.pod;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.kubeha.agent.runtime.RunningContainer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The pods bound to this node, each run by its own {@link PodWorker}: an informer over pods with
 * {@code spec.nodeName} = this node feeds them. An agent simulating many nodes has one manager for all of them:
 * ONE informer over every pod (not a watch per node), each pod handed to its node's {@link PodContext} by
 * {@code spec.nodeName}; pods bound to other nodes are ignored. On start it takes back what the runtime recovered from an earlier
 * life of the agent; containers whose pod no longer exists once the informer has synced are stopped (no orphans),
 * and pods are never started twice (no duplicates).
 */
public final class PodManager implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PodManager.class);

    private final PodContext ctx;
    private final Map<String, PodContext> nodes;
    private final Map<String, PodWorker> workers = new ConcurrentHashMap<>();
    private final Map<String, List<RunningContainer>> recovered = new HashMap<>();
    private SharedIndexInformer<Pod> informer;
    private volatile boolean closed;

    public PodManager(PodContext ctx) {
        this(List.of(ctx));
    }

    /** One manager for the pods of several nodes (all on one runtime and one API client), for simulated nodes. */
    public PodManager(List<PodContext> nodes) {
        if (nodes.isEmpty()) throw new IllegalArgumentException("no node to run pods for");
        this.ctx = nodes.getFirst();
        Map<String, PodContext> byName = new HashMap<>();
        for (PodContext c : nodes) {
            if (byName.put(c.nodeName(), c) != null) throw new IllegalArgumentException("node " + c.nodeName() + " given twice");
        }
        this.nodes = Map.copyOf(byName);
    }

    public PodManager start() {
        for (RunningContainer rc : ctx.runtime().recover()) {
            recovered.computeIfAbsent(rc.podUid(), k -> new ArrayList<>()).add(rc);
        }
        if (!recovered.isEmpty()) {
            LOG.info("found {} containers of {} pods still running from before", recovered.values().stream().mapToInt(List::size).sum(),
                    recovered.size());
        }
        var all = ctx.client().pods().inAnyNamespace();
        informer = (nodes.size() == 1 ? all.withField("spec.nodeName", ctx.nodeName()) : all).runnableInformer(0);
        io.kubeha.client.Informers.keepTrying(informer);
        informer.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Pod pod) {
                seen(pod);
            }

            @Override
            public void onUpdate(Pod oldPod, Pod pod) {
                seen(pod);
            }

            @Override
            public void onDelete(Pod pod, boolean deletedFinalStateUnknown) {
                PodWorker w = workers.get(pod.getMetadata().getUid());
                if (w != null) w.podGone();
            }
        });
        informer.start();
        Thread.ofVirtual().name("pod-manager-orphans").start(this::stopOrphansOnceSynced);
        return this;
    }

    private void seen(Pod pod) {
        if (closed) return;
        PodContext node = pod.getSpec() == null || pod.getSpec().getNodeName() == null ? null : nodes.get(pod.getSpec().getNodeName());
        if (node == null) return; // not bound, or bound to a node this agent is not
        String uid = pod.getMetadata().getUid();
        PodWorker w = workers.computeIfAbsent(uid, u -> {
            List<RunningContainer> mine;
            synchronized (recovered) {
                mine = recovered.remove(u);
            }
            return new PodWorker(node, pod, mine == null ? List.of() : mine, () -> workers.remove(u)).start();
        });
        w.update(pod);
    }

    private void stopOrphansOnceSynced() {
        try {
            while (!closed && !informer.hasSynced()) Thread.sleep(50);
        } catch (InterruptedException e) {
            return;
        }
        List<RunningContainer> orphans = new ArrayList<>();
        // the informer has its pods once synced, but hands them to the pod workers a moment later: a recovered
        // container whose pod is in the informer is not an orphan, its worker is about to take it back
        java.util.Set<String> known = new java.util.HashSet<>();
        informer.getStore().list().forEach(p -> known.add(p.getMetadata().getUid()));
        synchronized (recovered) {
            var it = recovered.entrySet().iterator();
            while (it.hasNext()) {
                var e = it.next();
                if (known.contains(e.getKey())) continue;
                orphans.addAll(e.getValue());
                it.remove();
            }
        }
        releaseLeftovers(orphans);
        java.util.Map<String, List<RunningContainer>> byPod = new java.util.LinkedHashMap<>();
        orphans.forEach(rc -> byPod.computeIfAbsent(rc.podUid(), u -> new ArrayList<>()).add(rc));
        byPod.forEach((podUid, containers) -> {
            for (RunningContainer rc : containers) {
                LOG.info("stopping container {} of pod {}: the pod is gone", rc, podUid);
                rc.stop(Duration.ofSeconds(10));
                rc.exit().thenRun(() -> ctx.runtime().forget(rc));
            }
            // its address and network namespace (--netns) go once nothing of it runs any more
            java.util.concurrent.CompletableFuture.allOf(containers.stream().map(RunningContainer::exit)
                    .toArray(java.util.concurrent.CompletableFuture[]::new)).thenRun(() -> release(ctx, podUid));
        });
    }

    /**
     * Pods that went while the agent was away and left nothing running: their addresses and networks (a pod with
     * containers still running is cleaned up once they are stopped, below). The addresses are read before the
     * informer's pods, so a pod that arrives meanwhile is in the one or not in the other.
     */
    private void releaseLeftovers(List<RunningContainer> orphans) {
        java.util.Set<String> running = new java.util.HashSet<>();
        orphans.forEach(rc -> running.add(rc.podUid()));
        for (PodContext node : nodes.values()) {
            java.util.Set<String> holding = node.ips().uids();
            java.util.Set<String> known = new java.util.HashSet<>(workers.keySet());
            informer.getStore().list().forEach(p -> known.add(p.getMetadata().getUid()));
            for (String uid : holding) {
                if (known.contains(uid) || running.contains(uid)) continue;
                LOG.info("pod {} went while the agent was away: releasing its address and network", uid);
                release(node, uid);
            }
        }
    }

    private static void release(PodContext node, String uid) {
        try {
            node.network().tearDown(uid); // its network namespace (--netns) first: the address is never handed out
            node.ips().release(uid);      // again while an interface still holds it
        } catch (java.io.IOException e) {
            LOG.warn("pod {}: releasing its address and network: {}", uid, e.getMessage());
        }
    }

    /** Pods this agent runs now. */
    public int running() {
        return workers.size();
    }

    /** The agent stops; the pods' processes keep running for the next agent to take back. */
    @Override
    public void close() {
        closed = true;
        if (informer != null) informer.stop();
        workers.values().forEach(PodWorker::close);
        workers.clear();
    }
}
