package io.kubeha.controllers.nodelifecycle;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.kubeha.controllers.ControllerContext;
import io.kubeha.controllers.EventRecorder;
import io.kubeha.controllers.InformerController;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * kube-controller-manager's node lifecycle controller (see the package documentation): every monitor period, and
 * whenever a node, its Lease or one of its pods changes, judges the node's health from its heartbeats; sets the
 * conditions of a node silent for the grace period to Unknown; keeps the condition taints (NoSchedule) and the
 * not-ready/unreachable NoExecute taint in step with the conditions; marks the pods of a node that is not Ready
 * not ready themselves.
 */
public final class NodeLifecycleController extends InformerController {
    public static final String NAME = "nodelifecycle";
    /** Where kubelets keep their heartbeat Leases, one per node, named after it. */
    public static final String LEASE_NAMESPACE = "kube-node-lease";
    static final String BY_NODE = "spec.nodeName";
    private static final Logger log = LoggerFactory.getLogger(NodeLifecycleController.class);

    private final NodeLifecycleOptions options;
    private final NodeHealth health = new NodeHealth();
    private final Zones zones;
    private final EventRecorder events;
    private SharedIndexInformer<Node> nodes;
    private SharedIndexInformer<Lease> leases;
    private SharedIndexInformer<Pod> pods;
    private ScheduledFuture<?> monitor; // guarded by this
    private boolean closed; // guarded by this
    private Instant startedAt; // guarded by this: when the caches had synced
    private Instant heardSince; // guarded by this: the first Lease change seen after that

    public NodeLifecycleController(ControllerContext ctx) {
        this(ctx, NodeLifecycleOptions.defaults());
    }

    public NodeLifecycleController(ControllerContext ctx, NodeLifecycleOptions options) {
        super(ctx);
        this.options = Objects.requireNonNull(options, "options");
        this.zones = new Zones(options);
        this.events = new EventRecorder(ctx, "node-controller");
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    protected void setUp() {
        nodes = inform(ctx.client().nodes(), enqueueing(n -> List.of(n.getMetadata().getName())));
        // all namespaces, as kube's shared Lease informer, filtered to kube-node-lease here
        leases = inform(ctx.client().leases().inAnyNamespace(), new ResourceEventHandler<>() {
            @Override
            public void onAdd(Lease lease) {
                changed(lease, false);
            }

            @Override
            public void onUpdate(Lease oldLease, Lease newLease) {
                changed(newLease, true); // a renewal: only a running watch delivers those (the list gives adds)
            }

            @Override
            public void onDelete(Lease lease, boolean unknown) {
                changed(lease, false);
            }

            private void changed(Lease lease, boolean renewal) {
                if (LEASE_NAMESPACE.equals(lease.getMetadata().getNamespace())) {
                    if (renewal) {
                        heard();
                    }
                    queue.add(lease.getMetadata().getName());
                }
            }
        });
        pods = inform(ctx.client().pods().inAnyNamespace(), new ResourceEventHandler<>() {
            @Override
            public void onAdd(Pod pod) {
                podChanged(pod);
            }

            @Override
            public void onUpdate(Pod oldPod, Pod newPod) {
                podChanged(newPod);
            }

            @Override
            public void onDelete(Pod pod, boolean unknown) {
                // nothing to do for a pod that is gone
            }
        });
        pods.addIndexers(Map.of(BY_NODE, p -> List.of(nodeName(p))));
    }

    /** A ready pod on a node that is not Ready: look at the node, which marks it not ready (as kube's processPod). */
    private void podChanged(Pod pod) {
        String node = nodeName(pod);
        if (node.isEmpty() || !podReady(pod)) {
            return;
        }
        Node n = nodes.getStore().getByKey(node);
        if (n != null && !"True".equals(Taints.readyStatus(n))) {
            queue.add(node);
        }
    }

    @Override
    public void start() throws Exception {
        super.start();
        synchronized (this) {
            if (!closed) {
                startedAt = Instant.now(ctx.clock());
                // kube's monitorNodeHealth: every node, every period, even when nothing about it changes
                long period = options.monitorPeriod().toMillis();
                monitor = ctx.scheduler().scheduleWithFixedDelay(() -> nodes.getStore().listKeys().forEach(queue::add),
                        period, period, TimeUnit.MILLISECONDS);
            }
        }
    }

    @Override
    public void close() {
        ScheduledFuture<?> m;
        synchronized (this) {
            closed = true;
            m = monitor;
        }
        if (m != null) {
            m.cancel(false);
        }
        super.close();
    }

    static String nodeName(Pod p) {
        return p.getSpec() == null || p.getSpec().getNodeName() == null ? "" : p.getSpec().getNodeName();
    }

    static boolean podReady(Pod p) {
        if (p.getStatus() == null || p.getStatus().getConditions() == null) {
            return false;
        }
        return p.getStatus().getConditions().stream().anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    @Override
    public Duration reconcile(String name) throws Exception {
        Node node = nodes.getStore().getByKey(name);
        if (node == null) {
            health.forget(name);
            return null;
        }
        Instant now = Instant.now(ctx.clock());
        Lease lease = leases.getStore().getByKey(LEASE_NAMESPACE + "/" + name);
        Instant probe = health.observe(node, lease, now);
        String wasReady = Taints.readyStatus(node);
        Duration grace = wasReady == null ? options.startupGracePeriod() : options.monitorGracePeriod();
        Instant listening = listeningSince(now, grace);
        if (listening != null && now.isAfter(later(probe, listening).plus(grace))) {
            List<NodeCondition> unknown = NodePlan.staleConditions(node, now);
            if (unknown != null) {
                log.info("node {} has not been heard of for {}: its conditions become Unknown", name, Duration.between(probe, now));
                ctx.checkActing();
                node = ctx.client().nodes().resource(new NodeBuilder(node).editOrNewStatus().withConditions(unknown).endStatus().build())
                        .updateStatus();
            }
        }
        List<NodeCondition> conditions = node.getStatus() == null || node.getStatus().getConditions() == null
                ? List.of() : node.getStatus().getConditions();
        String ready = Taints.readyStatus(node);
        if ("True".equals(wasReady) && !"True".equals(ready)) {
            events.normal(nodeRef(node), "NodeNotReady", "Node " + name + " status is now: NodeNotReady");
        }
        boolean fullDisruption = fullDisruption(name, ready);
        List<Taint> taints = NodePlan.taints(node, conditions, fullDisruption, now);
        if (taints != null && NodePlan.addsNoExecute(node, taints) && !mayTaint(node, ready, now)) {
            // the zone's rate allows no new NoExecute taint now: the rest of the plan goes ahead, this one waits
            taints = NodePlan.taints(node, conditions, true, now);
        }
        if (taints != null) {
            log.info("node {}: taints {}", name, taints.stream().map(t -> t.getKey() + ":" + t.getEffect()).toList());
            ctx.checkActing();
            node = ctx.client().nodes().resource(new NodeBuilder(node).editOrNewSpec().withTaints(taints).endSpec().build()).update();
        }
        if (ready != null && !"True".equals(ready)) {
            markPodsNotReady(name, now);
        }
        return null;
    }

    /**
     * Since when this controller can hear heartbeats: from the first Lease renewal its watch delivered, or, if none
     * has come (every kubelet silent, or no leases), from a grace period after it started. An informer has its list
     * some time before its watch delivers changes; without this, a new leader on a loaded machine would take the
     * quiet before its watch runs for silence of the nodes.
     */
    private synchronized Instant listeningSince(Instant now, Duration grace) {
        if (heardSince != null) {
            return heardSince;
        }
        return startedAt == null ? null : startedAt.plus(grace);
    }

    private synchronized void heard() {
        if (heardSince == null && startedAt != null) {
            heardSince = Instant.now(ctx.clock());
        }
    }

    private static Instant later(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }

    /**
     * Kube's "master disruption mode": when no node at all is Ready (all zones fully disrupted), the fault is most
     * likely this controller's own view of the cluster, so no node gets a NoExecute taint and those present go.
     */
    private boolean fullDisruption(String name, String readyOfThis) {
        List<Node> all = nodes.getStore().list();
        if (all.isEmpty()) {
            return false;
        }
        for (Node n : all) {
            String r = n.getMetadata().getName().equals(name) ? readyOfThis : Taints.readyStatus(n);
            if ("True".equals(r)) {
                return false;
            }
        }
        return true;
    }

    /** Whether the node's zone may newly taint a node NoExecute now (its state's rate, a token bucket per zone). */
    private boolean mayTaint(Node node, String readyOfThis, Instant now) {
        String zone = Zones.zone(node);
        List<String> readies = new ArrayList<>();
        for (Node n : nodes.getStore().list()) {
            if (Zones.zone(n).equals(zone)) {
                readies.add(n.getMetadata().getName().equals(node.getMetadata().getName()) ? readyOfThis : Taints.readyStatus(n));
            }
        }
        Zones.State state = zones.state(readies);
        double rate = zones.rate(state, readies.size());
        boolean ok = zones.tryAcquire(zone, rate, now);
        if (!ok) {
            log.info("node {}: not tainted NoExecute yet: zone {} is {} and taints at most {} node(s) per second",
                    node.getMetadata().getName(), zone.replace("\u0000", ""), state, rate);
        }
        return ok;
    }

    /** Kube's MarkPodsNotReady: each pod on the node whose Ready condition is True gets it False. */
    private void markPodsNotReady(String node, Instant now) {
        List<Exception> failures = new ArrayList<>();
        for (Pod pod : pods.getIndexer().byIndex(BY_NODE, node)) {
            if (!podReady(pod)) {
                continue;
            }
            List<PodCondition> conditions = new ArrayList<>();
            for (PodCondition c : pod.getStatus().getConditions()) {
                conditions.add("Ready".equals(c.getType())
                        ? new PodConditionBuilder(c).withStatus("False").withLastTransitionTime(NodePlan.timestamp(now)).build()
                        : c);
            }
            try {
                ctx.checkActing();
                ctx.client().pods().inNamespace(pod.getMetadata().getNamespace())
                        .resource(new PodBuilder(pod).editStatus().withConditions(conditions).endStatus().build()).updateStatus();
                events.warning(pod, "NodeNotReady", "Node is not ready");
            } catch (KubernetesClientException e) {
                if (e.getCode() != 404) {
                    failures.add(e);
                }
            }
        }
        if (!failures.isEmpty()) {
            throw new IllegalStateException("marking pods on node " + node + " not ready: " + failures.getFirst().getMessage(), failures.getFirst());
        }
    }

    /** Kube's events about a node name the node by name as its uid too. */
    private static Node nodeRef(Node node) {
        Node ref = new NodeBuilder().withNewMetadata().withName(node.getMetadata().getName())
                .withUid(node.getMetadata().getName()).endMetadata().build();
        ref.setApiVersion("v1");
        ref.setKind("Node");
        return ref;
    }
}
