package io.kubeha.controllers.nodeipam;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.kubeha.controllers.ControllerContext;
import io.kubeha.controllers.EventRecorder;
import io.kubeha.controllers.InformerController;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Node IPAM, as kube-controller-manager's nodeipam controller with its range allocator: every Node without a
 * {@code spec.podCIDR} gets the lowest free /{@code nodeCidrMaskSize} range of the cluster CIDR, written with one
 * merge PATCH of {@code spec.podCIDR} and {@code spec.podCIDRs} (the API server lets them go from empty to a value,
 * never change after); a deleted Node's range is free again.
 *
 * <p><b>Never one range twice, also across leader changes.</b> The allocator lives for one leadership term. Before
 * it gives any range, the term marks every range held by any Node in the synced cache as used (the cache is a
 * consistent list of the API server, which already holds the previous leader's patches: a leader stops writing
 * before a standby can take over). A Node that comes with a podCIDR of its own (an agent started with
 * {@code --pod-cidr}) keeps it; if it overlaps the cluster CIDR its ranges are marked used; one outside is left
 * alone. A node's range is claimed before its patch goes out and given again to the same node if the patch is
 * retried, so a node whose patch the cache has not yet seen never gets a second range.
 *
 * <p><b>Faults.</b> The cluster CIDR exhausted: a Warning {@code CIDRNotAvailable} event on the Node ("Node N status
 * is now: CIDRNotAvailable", kube's words) and another try later (back-off from 5 s to 5 min; a deleted Node's range
 * frees one at once). The node meanwhile has no pod range: its agent reports it not Ready (network not ready), so
 * the node lifecycle controller taints it {@code node.kubernetes.io/not-ready} and nothing is scheduled there. A
 * patch refused: {@code CIDRAssignmentFailed}, the range released, retried. Two Nodes that claim overlapping ranges
 * (two agents given the same {@code --pod-cidr}, or one given by hand over an allocated one): a Warning
 * {@code PodCIDRConflict} event on each, once per term; both keep their ranges (the API server forbids changing
 * them), and the range stays used until both are gone.
 *
 * <p>Not done, as kube's range allocator does: taking the Service CIDR out of the cluster CIDR when they overlap
 * (give ranges that do not overlap); IPv6 and dual stack.
 */
public final class NodeIpamController extends InformerController {
    private static final Logger log = LoggerFactory.getLogger(NodeIpamController.class);
    public static final String NAME = "nodeipam";
    /** kube's range allocator records its events as this component. */
    static final String COMPONENT = "cidrAllocator";
    static final Duration FIRST_RETRY = Duration.ofSeconds(5);
    static final Duration MAX_RETRY = Duration.ofMinutes(5);

    private final RangeAllocator allocator;
    private final EventRecorder events;
    private SharedIndexInformer<Node> nodes;
    private volatile boolean primed;
    /** node -> tries while the cluster CIDR is exhausted, for the back-off */
    private final Map<String, Integer> exhaustedTries = new ConcurrentHashMap<>();
    /** node + " " + cidr of conflicts already reported in this term */
    private final Set<String> reported = ConcurrentHashMap.newKeySet();
    /** cidrs outside the cluster CIDR already logged */
    private final Set<String> outside = ConcurrentHashMap.newKeySet();

    public NodeIpamController(ControllerContext ctx, NodeIpamOptions options) {
        super(ctx);
        this.allocator = options.allocator();
        this.events = new EventRecorder(ctx, COMPONENT);
    }

    @Override
    public String name() {
        return NAME;
    }

    /** This term's allocator (tests read what is used). */
    RangeAllocator allocator() {
        return allocator;
    }

    @Override
    protected void setUp() {
        nodes = inform(ctx.client().nodes(), handler(
                (Node n) -> queue.add(n.getMetadata().getName()),
                (Node o, Node n) -> queue.add(n.getMetadata().getName()),
                (Node n) -> {
                    // the range is free the moment the node is gone (as kube's delete handler); the reconcile then
                    // finds nothing, and gives waiting nodes their turn
                    allocator.release(n.getMetadata().getName());
                    queue.add(n.getMetadata().getName());
                    exhaustedTries.keySet().forEach(queue::add);
                }));
    }

    /** Marks every range held by a Node in the synced cache as used: before this term gives any. */
    private synchronized void prime() {
        if (primed) return;
        int held = 0;
        for (Node n : nodes.getStore().list()) {
            if (podCidr(n) != null && occupy(n)) held++;
        }
        primed = true;
        log.info("{}: cluster CIDR {} cut into {} /{} ranges; {} held by nodes, {} free", NAME, allocator.clusterCidr(),
                allocator.capacity(), allocator.maskSize(), held, allocator.free());
    }

    @Override
    public Duration reconcile(String name) {
        prime();
        Node node = nodes.getStore().getByKey(name);
        if (node == null || node.getMetadata().getDeletionTimestamp() != null) {
            allocator.release(name);
            exhaustedTries.remove(name);
            return null;
        }
        if (podCidr(node) != null) {
            exhaustedTries.remove(name);
            occupy(node);
            return null;
        }
        var cidr = allocator.allocate(name);
        if (cidr.isEmpty()) {
            int tries = exhaustedTries.merge(name, 1, Integer::sum);
            events.warning(node, "CIDRNotAvailable", "Node " + name + " status is now: CIDRNotAvailable");
            log.warn("{}: no free /{} range left in {} for node {}", NAME, allocator.maskSize(), allocator.clusterCidr(), name);
            long delay = Math.min(MAX_RETRY.toMillis(), FIRST_RETRY.toMillis() << Math.min(tries - 1, 10));
            return Duration.ofMillis(delay);
        }
        exhaustedTries.remove(name);
        ctx.checkActing();
        String c = cidr.get();
        try {
            ctx.client().nodes().withName(name).patch(PatchContext.of(PatchType.JSON_MERGE),
                    "{\"spec\":{\"podCIDR\":\"" + c + "\",\"podCIDRs\":[\"" + c + "\"]}}");
            log.info("{}: node {} given pod CIDR {}", NAME, name, c);
        } catch (KubernetesClientException e) {
            allocator.release(name);
            if (e.getCode() == 404) return null; // gone meanwhile
            if (e.getCode() == 422) {
                // it got a range meanwhile (its agent, or this term's earlier patch that the cache has not shown yet):
                // the update event brings it, and occupy marks it
                log.info("{}: node {} was not given {}: {}", NAME, name, c, e.getMessage());
                return null;
            }
            events.warning(node, "CIDRAssignmentFailed", "Node " + name + " status is now: CIDRAssignmentFailed");
            throw e;
        }
        return null;
    }

    /** Records the node's own range; reports overlaps with other nodes once. @return whether it is in the cluster CIDR */
    private boolean occupy(Node node) {
        String name = node.getMetadata().getName();
        String cidr = podCidr(node);
        RangeAllocator.Occupied o;
        try {
            o = allocator.occupy(name, cidr);
        } catch (IllegalArgumentException e) {
            // an IPv6 range, or garbage the API server let through: not ours to manage, never a crash
            if (outside.add(name + " " + cidr)) log.warn("{}: node {}: {}; left alone", NAME, name, e.getMessage());
            return false;
        }
        if (!o.inCluster()) {
            if (outside.add(name + " " + cidr)) {
                log.info("{}: node {} has pod CIDR {}, outside the cluster CIDR {}; left alone", NAME, name, cidr, allocator.clusterCidr());
            }
            return false;
        }
        for (String other : o.conflicts()) {
            if (!reported.add(name + " " + cidr + " " + other)) continue;
            Node them = nodes.getStore().getByKey(other);
            String theirs = them == null ? "?" : podCidr(them);
            String message = "pod CIDR " + cidr + " of node " + name + " overlaps " + theirs + " of node " + other
                    + ": two nodes claim the same addresses (an agent given --pod-cidr by hand?); both keep them";
            log.warn("{}: {}", NAME, message);
            events.warning(node, "PodCIDRConflict", message);
            if (them != null && reported.add(other + " " + theirs + " " + name)) events.warning(them, "PodCIDRConflict", message);
        }
        return true;
    }

    /** The node's IPv4 pod range: podCIDRs' first entry, else podCIDR; null if none. */
    static String podCidr(Node node) {
        if (node.getSpec() == null) return null;
        List<String> cidrs = node.getSpec().getPodCIDRs();
        if (cidrs != null && !cidrs.isEmpty() && cidrs.getFirst() != null && !cidrs.getFirst().isEmpty()) return cidrs.getFirst();
        String c = node.getSpec().getPodCIDR();
        return c == null || c.isEmpty() ? null : c;
    }
}
