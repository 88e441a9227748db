package io.kubeha.controllers.nodelifecycle;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeConditionBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * What a kubelet does that the node lifecycle controller sees, for the nodes the test says are alive: registers the
 * Node (Ready=True, posted again whenever it is not), renews its Lease in kube-node-lease, runs the pods bound to it
 * (Running and Ready), and finishes
 * the deletion of its pods that are terminating. A node the test stops goes silent: nothing of that happens for it.
 */
final class TestKubelet implements AutoCloseable {
    private final KubernetesClient client;
    private final Set<String> alive = ConcurrentHashMap.newKeySet();
    /** Nodes whose kubelet reports Ready=False (alive, but not ready: a runtime down, say). */
    private final Set<String> notReady = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("test-kubelet").factory());

    TestKubelet(KubernetesClient client) {
        this.client = client;
        ticker.scheduleWithFixedDelay(this::tick, 0, 200, TimeUnit.MILLISECONDS);
    }

    static String now() {
        return Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    }

    /** Registers the node, Ready, and keeps it alive. */
    void register(String name) {
        Node node = new NodeBuilder().withNewMetadata().withName(name).endMetadata().withNewSpec().endSpec()
                .withNewStatus()
                .withAllocatable(Map.of("cpu", new Quantity("4"), "memory", new Quantity("8Gi"), "pods", new Quantity("110")))
                .withCapacity(Map.of("cpu", new Quantity("4"), "memory", new Quantity("8Gi"), "pods", new Quantity("110")))
                .endStatus().build();
        client.nodes().resource(node).create();
        resume(name);
    }

    /** The node falls silent: no lease renewal, no status, no pod work. */
    void stop(String name) {
        alive.remove(name);
    }

    /** The node is back: renews its lease and posts Ready=True. */
    void resume(String name) {
        renew(name);
        postReady(name);
        alive.add(name);
    }

    /** The kubelet stays alive but says the node is not ready (or, with false, ready again). */
    void reportNotReady(String name, boolean value) {
        if (value) {
            notReady.add(name);
        } else {
            notReady.remove(name);
        }
        postReady(name);
    }

    private String reported(String name) {
        return notReady.contains(name) ? "False" : "True";
    }

    /** Posts the node's conditions; as the kubelet's status update, tried again on a conflict with the controller. */
    void postReady(String name) {
        for (int attempt = 1; ; attempt++) {
            try {
                postReadyOnce(name);
                return;
            } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
                if (e.getCode() != 409 || attempt == 5) throw e;
            }
        }
    }

    private void postReadyOnce(String name) {
        String now = now();
        Node node = client.nodes().withName(name).get();
        boolean ready = !notReady.contains(name);
        client.nodes().resource(new NodeBuilder(node).editStatus().withConditions(
                new NodeConditionBuilder().withType("Ready").withStatus(reported(name)).withReason(ready ? "KubeletReady" : "KubeletNotReady")
                        .withMessage(ready ? "kubelet is posting ready status" : "container runtime is down").withLastHeartbeatTime(now).withLastTransitionTime(now).build(),
                condition("MemoryPressure", "KubeletHasSufficientMemory", now),
                condition("DiskPressure", "KubeletHasNoDiskPressure", now),
                condition("PIDPressure", "KubeletHasSufficientPID", now)).endStatus().build()).updateStatus();
    }

    private static io.fabric8.kubernetes.api.model.NodeCondition condition(String type, String reason, String now) {
        return new NodeConditionBuilder().withType(type).withStatus("False").withReason(reason)
                .withLastHeartbeatTime(now).withLastTransitionTime(now).build();
    }

    private void renew(String name) {
        var leases = client.leases().inNamespace(NodeLifecycleController.LEASE_NAMESPACE);
        ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.MICROS);
        Lease lease = leases.withName(name).get();
        if (lease == null) {
            leases.resource(new LeaseBuilder().withNewMetadata().withName(name).endMetadata().withNewSpec().withHolderIdentity(name)
                    .withLeaseDurationSeconds(40).withRenewTime(now).endSpec().build()).create();
        } else {
            leases.resource(new LeaseBuilder(lease).editSpec().withRenewTime(now).endSpec().build()).update();
        }
    }

    private void tick() {
        for (String name : alive) {
            try {
                renew(name);
                // as a kubelet's status sync: a status that is not what the kubelet would say (Ready) is corrected
                if (!reported(name).equals(Taints.readyStatus(client.nodes().withName(name).get()))) {
                    postReady(name);
                }
                for (Pod pod : client.pods().inAnyNamespace().withField("spec.nodeName", name).list().getItems()) {
                    run(pod);
                }
            } catch (RuntimeException e) {
                // a conflict or a pod gone meanwhile: the next tick tries again
            }
        }
    }

    private void run(Pod pod) {
        var op = client.pods().inNamespace(pod.getMetadata().getNamespace());
        if (pod.getMetadata().getDeletionTimestamp() != null) {
            op.withName(pod.getMetadata().getName()).withGracePeriod(0).delete();
            return;
        }
        if (NodeLifecycleController.podReady(pod) || notReady.contains(NodeLifecycleController.nodeName(pod))) {
            return;
        }
        op.resource(new PodBuilder(pod).editOrNewStatus().withPhase("Running").withConditions(
                new PodConditionBuilder().withType("Ready").withStatus("True").withLastTransitionTime(now()).build()).endStatus().build())
                .updateStatus();
    }

    @Override
    public void close() {
        ticker.shutdownNow();
    }
}
