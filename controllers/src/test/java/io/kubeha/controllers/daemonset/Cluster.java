package io.kubeha.controllers.daemonset;

import io.kubeha.controllers.OwnerRefs;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.kubeha.controllers.ApiFixture;
import io.kubeha.controllers.ControllerManager;
import io.kubeha.scheduler.Scheduler;
import io.kubeha.scheduler.SchedulerConfig;
import io.kubeha.testkit.Kubectl;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * What the DaemonSet tests run against: a real API server, the controller-manager with only the DaemonSet
 * controller, the real scheduler, Node objects made here (Ready, with allocatable resources), and a test
 * "kubelet" that does what a node agent does to pods: marks bound pods Running and Ready, and finishes the
 * graceful deletion of pods on its node.
 */
final class Cluster implements AutoCloseable {
    static final String NS = "ds-test";

    final ApiFixture api;
    final KubernetesClient client;
    private final Scheduler scheduler;
    private final SharedIndexInformer<Pod> kubelet;
    /** Pods the kubelet should report Failed instead of Ready (by name). */
    final Set<String> failing = ConcurrentHashMap.newKeySet();

    Cluster() throws Exception {
        this(null);
    }

    /** @param managerUrl where the controller-manager reaches the API (a slow proxy), or null for directly */
    Cluster(String managerUrl) throws Exception {
        this(new ApiFixture(), managerUrl);
    }

    Cluster(ApiFixture api, String managerUrl) {
        this.api = api;
        this.client = api.client;
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build()).create();
        var config = ControllerManager.Config.defaults().withControllers(Set.of(DaemonSetController.NAME))
                .withTimings(Duration.ofSeconds(15), Duration.ofSeconds(10), Duration.ofMillis(100));
        if (managerUrl == null) {
            api.manager(config);
        } else {
            api.manager(config, api.newClient(managerUrl));
        }
        scheduler = new Scheduler(api.newClient(), SchedulerConfig.defaults()
                .withLeaderElection(Duration.ofSeconds(15), Duration.ofSeconds(10), Duration.ofMillis(100))
                .withBackoff(Duration.ofMillis(100), Duration.ofMillis(500))).start();
        KubernetesClient kc = api.newClient();
        kubelet = kc.pods().inAnyNamespace().inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Pod pod) {
                act(kc, pod);
            }

            @Override
            public void onUpdate(Pod oldPod, Pod newPod) {
                act(kc, newPod);
            }

            @Override
            public void onDelete(Pod pod, boolean unknown) {
            }
        }, 0);
    }

    private void act(KubernetesClient kc, Pod pod) {
        String node = pod.getSpec().getNodeName();
        if (node == null || node.isEmpty()) {
            return;
        }
        var op = kc.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName());
        Thread.ofVirtual().start(() -> {
            try {
                if (pod.getMetadata().getDeletionTimestamp() != null) {
                    op.withGracePeriod(0).delete();
                } else if (failing.contains(pod.getMetadata().getName())) {
                    if (!"Failed".equals(Placement.phase(pod))) {
                        op.editStatus(p -> {
                            if (p.getStatus() == null) p.setStatus(new io.fabric8.kubernetes.api.model.PodStatus());
                            p.getStatus().setPhase("Failed");
                            p.getStatus().setConditions(List.of(new PodConditionBuilder().withType("Ready").withStatus("False").build()));
                            return p;
                        });
                    }
                } else if (!Placement.isReady(pod) && !Placement.isTerminal(pod)) {
                    String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
                    op.editStatus(p -> {
                        if (p.getStatus() == null) p.setStatus(new io.fabric8.kubernetes.api.model.PodStatus());
                        p.getStatus().setPhase("Running");
                        p.getStatus().setConditions(List.of(new PodConditionBuilder().withType("Ready").withStatus("True")
                                .withLastTransitionTime(now).build()));
                        return p;
                    });
                }
            } catch (RuntimeException e) {
                // gone or changed meanwhile: the next event brings it back
            }
        });
    }

    static NodeBuilder nodeBuilder(String name, Map<String, String> labels) {
        Map<String, Quantity> resources = Map.of("cpu", new Quantity("4"), "memory", new Quantity("8Gi"), "pods", new Quantity("110"));
        return new NodeBuilder()
                .withNewMetadata().withName(name).withLabels(new HashMap<>(labels)).endMetadata()
                .withNewSpec().endSpec()
                .withNewStatus().withAllocatable(resources).withCapacity(resources)
                .addNewCondition().withType("Ready").withStatus("True").withReason("KubeletReady").endCondition()
                .endStatus();
    }

    /** A Ready node with these labels (status written through nodes/status, as a kubelet registers). */
    Node node(String name, Map<String, String> labels) {
        Node n = nodeBuilder(name, labels).build();
        Node created = client.nodes().resource(n).create();
        if (created.getStatus() == null || created.getStatus().getConditions() == null || created.getStatus().getConditions().isEmpty()) {
            created = client.nodes().resource(new NodeBuilder(created).withStatus(n.getStatus()).build()).updateStatus();
        }
        return created;
    }

    /** The seed's machines: master1..3 labelled role=master, node1..2 role=node. */
    void seedNodes() {
        for (int i = 1; i <= 3; i++) {
            node("master" + i, Map.of("role", "master"));
        }
        for (int i = 1; i <= 2; i++) {
            node("node" + i, Map.of("role", "node"));
        }
    }

    static DaemonSetBuilder daemonSet(String name, Map<String, String> nodeSelector) {
        return new DaemonSetBuilder()
                .withNewMetadata().withName(name).withNamespace(NS).endMetadata()
                .withNewSpec()
                .withNewSelector().withMatchLabels(Map.of("app", name)).endSelector()
                .withNewTemplate().withNewMetadata().withLabels(Map.of("app", name)).endMetadata()
                .withNewSpec().withNodeSelector(nodeSelector).addNewContainer().withName("agent").withImage("agent:1").endContainer().endSpec()
                .endTemplate().endSpec();
    }

    DaemonSet create(DaemonSet ds) {
        return client.apps().daemonSets().inNamespace(NS).resource(ds).create();
    }

    DaemonSet get(String name) {
        return client.apps().daemonSets().inNamespace(NS).withName(name).get();
    }

    static boolean ownedBy(Pod p, DaemonSet ds) {
        OwnerReference ref = OwnerRefs.controllerOf(p);
        return ref != null && ref.getUid().equals(ds.getMetadata().getUid());
    }

    /** The DaemonSet's pods that are not being deleted. */
    List<Pod> pods(DaemonSet ds) {
        return client.pods().inNamespace(NS).list().getItems().stream()
                .filter(p -> ownedBy(p, ds) && p.getMetadata().getDeletionTimestamp() == null).toList();
    }

    /** node -> image of the DaemonSet's live pods, when each is bound, Running and Ready; else null. */
    Map<String, String> readyPodsByNode(DaemonSet ds) {
        Map<String, String> out = new HashMap<>();
        for (Pod p : client.pods().inNamespace(NS).list().getItems()) {
            if (!ownedBy(p, ds)) {
                continue;
            }
            if (p.getMetadata().getDeletionTimestamp() != null || p.getSpec().getNodeName() == null || !Placement.isReady(p)) {
                return null;
            }
            if (out.put(p.getSpec().getNodeName(), p.getSpec().getContainers().getFirst().getImage()) != null) {
                return null;
            }
        }
        return out;
    }

    boolean statusIs(String name, Predicate<io.fabric8.kubernetes.api.model.apps.DaemonSetStatus> p) {
        DaemonSet ds = get(name);
        return ds.getStatus() != null && Objects.equals(ds.getStatus().getObservedGeneration(), ds.getMetadata().getGeneration())
                && p.test(ds.getStatus());
    }

    Kubectl kubectl() throws Exception {
        return new Kubectl(Kubectl.DEFAULT, Kubectl.writeKubeconfig(api.dir.resolve("kubeconfig"), api.url));
    }

    @Override
    public void close() throws Exception {
        kubelet.close();
        scheduler.close();
        api.close();
    }
}
