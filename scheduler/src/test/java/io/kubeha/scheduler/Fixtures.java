package io.kubeha.scheduler;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Taint;

import java.util.List;
import java.util.Map;

/** Nodes and pods as the tests need them. */
final class Fixtures {
    static final String ROLE = "kubeadm.alpha.kubernetes.io/role";
    static final String LEGACY_MASTER_AFFINITY = "{\"nodeAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":{\"nodeSelectorTerms\":"
            + "[{\"matchExpressions\":[{\"key\":\"kubeadm.alpha.kubernetes.io/role\",\"operator\":\"In\",\"values\":[\"master\"]}]}]}}}";

    private Fixtures() { }

    static NodeBuilder node(String name, Map<String, String> labels) {
        return new NodeBuilder()
                .withNewMetadata().withName(name).withLabels(labels).endMetadata()
                .withNewSpec().endSpec()
                .withNewStatus()
                .withAllocatable(Map.of("cpu", new Quantity("4"), "memory", new Quantity("8Gi"), "pods", new Quantity("110")))
                .withCapacity(Map.of("cpu", new Quantity("4"), "memory", new Quantity("8Gi"), "pods", new Quantity("110")))
                .addNewCondition().withType("Ready").withStatus("True").withReason("KubeletReady").endCondition()
                .endStatus();
    }

    static Node master(String name) {
        return node(name, Map.of(ROLE, "master")).editSpec()
                .withTaints(new Taint("NoSchedule", "node-role.kubernetes.io/control-plane", null, null)).endSpec().build();
    }

    static Node worker(String name) {
        return node(name, Map.of(ROLE, "node")).build();
    }

    static PodBuilder pod(String name) {
        return new PodBuilder()
                .withNewMetadata().withName(name).withNamespace("default").endMetadata()
                .withNewSpec().addNewContainer().withName("c").withImage("img:1").endContainer().endSpec();
    }

    static PodBuilder podRequesting(String name, String cpu, String memory) {
        return pod(name).editSpec().editFirstContainer().withNewResources()
                .withRequests(Map.of("cpu", new Quantity(cpu), "memory", new Quantity(memory))).endResources()
                .endContainer().endSpec();
    }

    static Pod bound(Pod pod, String node) {
        return new PodBuilder(pod).editSpec().withNodeName(node).endSpec().build();
    }

    static List<Node> seedNodes() {
        return List.of(master("master1"), master("master2"), master("master3"), worker("node1"), worker("node2"));
    }
}
