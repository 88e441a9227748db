package io.kubeha.scheduler;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What is on every node, kept up to date by informer events instead of being rebuilt per pod: kube-scheduler's
 * scheduler cache. Nodes and the pods bound to them come from the informers; a pod this scheduler decided on is
 * <em>assumed</em> on its node at once (so the next decision counts it) until the informer shows it bound, which
 * confirms it, or the binding fails, which forgets it. Pods can arrive before their node (the entry then has no Node
 * and is left out of snapshots) and outlive it (likewise, until the last pod goes).
 *
 * <p>Every change stamps the entry with a new generation and moves it to the end of a recency-ordered map, so
 * {@link #updateSnapshot} walks back from the end over only the entries that changed since the snapshot's
 * generation and copies just those: with 5,000 nodes a cycle copies the one or two nodes the previous binding
 * touched, not 5,000 (kube-scheduler's cache.UpdateSnapshot).
 *
 * <p>Thread-safe: informer threads write, the scheduling loop snapshots, binding threads assume and forget.
 */
final class SchedulerCache {
    /** An assumed or bound pod and the node it is on. */
    private record PodState(Pod pod, String node, boolean assumed) { }

    /** name -> entry, least recently changed first */
    private final LinkedHashMap<String, NodeInfo> nodes = new LinkedHashMap<>();
    private final Map<String, PodState> podStates = new HashMap<>();
    private long generation;
    private int nodeCount;
    /** bumped whenever a Node object comes or goes: the snapshot's ordered list must then be rebuilt */
    private long nodeSetVersion;

    // ---------------------------------------------------------------- nodes

    synchronized void addOrUpdateNode(Node node) {
        String name = node.getMetadata().getName();
        NodeInfo info = nodes.get(name);
        if (info == null) info = new NodeInfo(name);
        else if (info.node != null && sameVersion(info.node, node)) return; // seen already (a new leader seeds the cache too)
        if (info.node == null) {
            nodeCount++;
            nodeSetVersion++;
        }
        info.setNode(node);
        touch(info);
    }

    private static boolean sameVersion(Node a, Node b) {
        String va = a.getMetadata().getResourceVersion();
        return va != null && va.equals(b.getMetadata().getResourceVersion());
    }

    synchronized void removeNode(String name) {
        NodeInfo info = nodes.get(name);
        if (info == null || info.node == null) return;
        info.setNode(null);
        nodeCount--;
        nodeSetVersion++;
        if (info.pods.isEmpty()) nodes.remove(name);
        else touch(info); // its pods stay accounted until they go: they still run there
    }

    // ---------------------------------------------------------------- pods

    /** The scheduler decided: count the pod on {@code node} now, before the binding is written. */
    synchronized void assume(Pod pod, String node) {
        String key = Scheduler.key(pod);
        if (podStates.containsKey(key)) throw new IllegalStateException(key + " is already in the cache");
        podStates.put(key, new PodState(pod, node, true));
        addToNode(pod, node);
    }

    /** The binding failed: the pod is not on that node after all (unless the informer saw it bound meanwhile). */
    synchronized void forget(Pod pod) {
        String key = Scheduler.key(pod);
        PodState s = podStates.get(key);
        if (s == null || !s.assumed()) return;
        podStates.remove(key);
        removeFromNode(s.pod(), s.node());
    }

    synchronized boolean isAssumed(String key) {
        PodState s = podStates.get(key);
        return s != null && s.assumed();
    }

    /** Whether the pod is accounted anywhere (assumed or bound). */
    synchronized boolean contains(String key) {
        return podStates.containsKey(key);
    }

    /**
     * The informer's view of a pod: a bound, non-terminal pod is counted on its node (confirming an assumed pod,
     * moving it if it was bound elsewhere); any other pod (pending, finished) is not counted.
     */
    synchronized void podSeen(Pod pod, boolean counts) {
        String key = Scheduler.key(pod);
        PodState old = podStates.get(key);
        if (!counts) {
            if (old != null && !old.assumed()) {
                podStates.remove(key);
                removeFromNode(old.pod(), old.node());
            }
            return; // an assumed pod seen still pending: the binding is on its way
        }
        String node = pod.getSpec().getNodeName();
        if (old != null) removeFromNode(old.pod(), old.node());
        podStates.put(key, new PodState(pod, node, false));
        addToNode(pod, node);
    }

    /** The pod is gone (deleted), whether it was assumed or bound. */
    synchronized void podDeleted(Pod pod) {
        PodState old = podStates.remove(Scheduler.key(pod));
        if (old != null) removeFromNode(old.pod(), old.node());
    }

    private void addToNode(Pod pod, String node) {
        NodeInfo info = nodes.computeIfAbsent(node, NodeInfo::new);
        info.add(pod);
        touch(info);
    }

    private void removeFromNode(Pod pod, String node) {
        NodeInfo info = nodes.get(node);
        if (info == null) return;
        info.remove(pod);
        if (info.node == null && info.pods.isEmpty()) nodes.remove(node);
        else touch(info);
    }

    private void touch(NodeInfo info) {
        info.generation = ++generation;
        nodes.putLast(info.name, info); // most recently changed last
    }

    // ---------------------------------------------------------------- snapshots

    /** The scheduling loop's copy of the cache, updated in place between cycles; not thread-safe (one loop owns it). */
    static final class Snapshot {
        private final Map<String, NodeInfo> infos = new HashMap<>();
        private List<NodeInfo> list = List.of();
        private long generation;
        private long nodeSetVersion = -1;
        /** entries copied by the last update: what a cycle paid for freshness */
        int lastCopied;

        /** The nodes in name order (the order filtering walks them in, from a rotating start). */
        List<NodeInfo> nodes() {
            return list;
        }

        NodeInfo get(String name) {
            return infos.get(name);
        }
    }

    /**
     * Brings the snapshot up to date: copies the entries changed since its generation (walking back from the most
     * recently changed), drops entries whose Node went, and rebuilds the ordered list only when the set of nodes
     * changed.
     */
    synchronized void updateSnapshot(Snapshot s) {
        int copied = 0;
        boolean relist = s.nodeSetVersion != nodeSetVersion;
        for (NodeInfo info : nodes.sequencedValues().reversed()) {
            if (info.generation <= s.generation) break;
            NodeInfo mine = s.infos.get(info.name);
            if (info.node == null) {
                if (mine != null) {
                    s.infos.remove(info.name);
                    relist = true;
                }
                continue;
            }
            if (mine == null) {
                s.infos.put(info.name, info.copy());
                relist = true;
            } else {
                mine.copyFrom(info);
            }
            copied++;
        }
        if (relist) {
            if (s.infos.size() != nodeCount) { // a node removed without pods left no entry to walk over
                s.infos.keySet().removeIf(name -> {
                    NodeInfo info = nodes.get(name);
                    return info == null || info.node == null;
                });
            }
            List<NodeInfo> list = new ArrayList<>(s.infos.values());
            list.sort(Comparator.comparing(NodeInfo::name));
            s.list = list;
            s.nodeSetVersion = nodeSetVersion;
        }
        s.generation = generation;
        s.lastCopied = copied;
        if (s.list.size() != nodeCount) { // cannot happen; if it does, start over rather than decide on a wrong view
            s.infos.clear();
            s.generation = 0;
            s.nodeSetVersion = -1;
            s.list = List.of();
            updateSnapshot(s);
        }
    }

    /** A full, independent copy of every node with a Node object, in name order (for callers off the loop). */
    synchronized List<NodeInfo> copyAll() {
        List<NodeInfo> out = new ArrayList<>();
        for (NodeInfo info : nodes.values()) if (info.node != null) out.add(info.copy());
        out.sort(Comparator.comparing(NodeInfo::name));
        return out;
    }

    synchronized int nodeCount() {
        return nodeCount;
    }
}
