package io.kubeha.agent.net;

import io.kubeha.client.net.Commands;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeAddress;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Routes to the other nodes' pods, as flannel's host-gw backend keeps them: for every other Node with a
 * {@code spec.podCIDR} and an InternalIP, {@code ip route replace PODCIDR via INTERNALIP} in this agent's namespace,
 * so that a pod (or the service proxy) here reaches a pod there directly over the nodes' shared network. Nodes must
 * therefore be on one layer-2 segment, as host-gw requires. Routes of nodes that go (or change) are removed: the
 * routes this agent manages carry the route protocol {@value #PROTO} ({@code ip route show proto 203} lists them), so
 * that they are told from the machine's own and a restarted agent takes them over.
 * <p>
 * A plain API client: a Node informer only signals a change; one thread recomputes every route from its cache
 * (level-triggered), retrying after {@code retry} when a command fails, and compares with the system's routes again
 * every minute.
 */
public final class NodeRoutes implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NodeRoutes.class);
    static final String PROTO = "203";

    private final KubernetesClient client;
    private final String nodeName;
    private final String hostNs;
    private final Duration retry;
    private final AtomicBoolean pending = new AtomicBoolean();
    private final ScheduledExecutorService sync = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon()
            .name("node-routes").factory());
    private SharedIndexInformer<Node> nodes;
    private Map<String, String> have;
    private volatile boolean closed;

    NodeRoutes(KubernetesClient client, String nodeName, String hostNs, Duration retry) {
        this.client = client;
        this.nodeName = nodeName;
        this.hostNs = hostNs;
        this.retry = retry;
    }

    /** Routes in this process's namespace for the node {@code nodeName} (its own pod CIDR needs none). */
    public static NodeRoutes forNode(KubernetesClient client, String nodeName) {
        return new NodeRoutes(client, nodeName, null, Duration.ofSeconds(5));
    }

    public NodeRoutes start() {
        nodes = io.kubeha.client.Informers.keepTrying(client.nodes().runnableInformer(0));
        nodes.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Node obj) {
                request(0);
            }

            @Override
            public void onUpdate(Node oldObj, Node newObj) {
                request(0);
            }

            @Override
            public void onDelete(Node obj, boolean deletedFinalStateUnknown) {
                request(0);
            }
        });
        nodes.start();
        // a route someone removed by hand comes back within a minute, as flannel's periodic resync does
        sync.scheduleWithFixedDelay(() -> {
            forget();
            request(0);
        }, 60, 60, TimeUnit.SECONDS);
        return this;
    }

    private void request(long delayMillis) {
        if (closed || !pending.compareAndSet(false, true)) return;
        try {
            sync.schedule(() -> {
                pending.set(false);
                syncNow();
            }, delayMillis, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing
        }
    }

    private void syncNow() {
        if (closed || !nodes.hasSynced()) {
            if (!closed) request(100);
            return;
        }
        try {
            apply(wanted(nodes.getStore().list(), nodeName));
        } catch (IOException | RuntimeException e) {
            LOG.warn("routes to other nodes' pods: {}; retrying in {}s", e.getMessage(), retry.toSeconds());
            forget();
            request(retry.toMillis());
        }
    }

    /** Pod CIDR -> InternalIP of every other node with both (loopback ones need no route). */
    static Map<String, String> wanted(Collection<Node> nodes, String self) {
        Map<String, String> out = new TreeMap<>();
        String own = null;
        for (Node n : nodes) if (n.getMetadata().getName().equals(self) && n.getSpec() != null) own = n.getSpec().getPodCIDR();
        for (Node n : nodes) {
            if (n.getMetadata().getName().equals(self) || n.getSpec() == null) continue;
            String cidr = n.getSpec().getPodCIDR();
            if (cidr == null || cidr.isBlank() || cidr.startsWith("127.") || cidr.equals(own)) continue;
            String ip = n.getStatus() == null || n.getStatus().getAddresses() == null ? null : n.getStatus().getAddresses().stream()
                    .filter(a -> "InternalIP".equals(a.getType())).map(NodeAddress::getAddress).findFirst().orElse(null);
            if (ip == null || ip.startsWith("127.") || !ip.matches("\\d{1,3}(\\.\\d{1,3}){3}")) continue;
            out.put(cidr, ip);
        }
        return out;
    }

    /** The next sync reads the routes from the system again. */
    private synchronized void forget() {
        have = null;
    }

    /** Makes the managed routes exactly {@code want}. */
    synchronized void apply(Map<String, String> want) throws IOException {
        if (have == null) have = current();
        if (want.equals(have)) return;
        List<String> lines = new ArrayList<>();
        for (var e : want.entrySet()) {
            if (!e.getValue().equals(have.get(e.getKey()))) lines.add("route replace " + e.getKey() + " via " + e.getValue() + " proto " + PROTO);
        }
        for (String cidr : have.keySet()) if (!want.containsKey(cidr)) lines.add("route del " + cidr + " proto " + PROTO);
        try {
            Commands.batch(hostNs, lines);
        } catch (IOException e) {
            have = null; // read again next time: the lines that worked are in place
            throw e;
        }
        LOG.info("routes to other nodes' pods: {}", want.isEmpty() ? "none" : want);
        have = new TreeMap<>(want);
    }

    /** The routes of protocol {@value #PROTO} now: destination -> gateway. */
    synchronized Map<String, String> current() throws IOException {
        Map<String, String> out = new TreeMap<>();
        for (String line : Commands.ip(NamespacePodNetwork.withNs(hostNs, "-o", "-4", "route", "show", "proto", PROTO)).split("\n")) {
            String[] w = line.strip().split("\\s+");
            if (w.length >= 3 && w[1].equals("via")) out.put(w[0], w[2]);
        }
        return out;
    }

    /** Stops watching; the routes stay (a restarted agent takes them over; the pods keep talking meanwhile). */
    @Override
    public void close() {
        closed = true;
        if (nodes != null) nodes.stop();
        sync.shutdownNow();
    }
}
