package io.kubeha.e2e;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The seed's placement rules, driven with the real kubectl against {@code kubeha server} (API server,
 * controller-manager and scheduler in one process) and the seed's five hosts as Node objects: kube-dns as a
 * DaemonSet on the masters, kube-discovery's legacy alpha affinity annotation keeping it on the masters (3
 * replicas spread one per master), logapi on the workers scaled 6 -> 12 -> 3 with both workers used, and a pod
 * that fits nowhere left Pending with kube-scheduler's explanation.
 */
@org.junit.jupiter.api.Tag("scenario")
class SeedPlacementIT {
    static final String ROLE = "kubeadm.alpha.kubernetes.io/role";
    static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    @Test
    void addOnsOnMastersAppsOnWorkers() throws Exception {
        try (ProcessCluster c = ProcessCluster.start(dir)) {
            for (String m : List.of("master1", "master2", "master3")) c.readyNode(m, Map.of(ROLE, "master"));
            for (String n : List.of("node1", "node2")) c.readyNode(n, Map.of(ROLE, "node"));

            c.kubectl.run("""
                    apiVersion: apps/v1
                    kind: DaemonSet
                    metadata: {name: kube-dns, namespace: kube-system}
                    spec:
                      selector: {matchLabels: {k8s-app: kube-dns}}
                      template:
                        metadata: {labels: {k8s-app: kube-dns}}
                        spec:
                          nodeSelector: {kubeadm.alpha.kubernetes.io/role: master}
                          containers: [{name: kubedns, image: "kubeha/dns:1.0"}]
                    ---
                    apiVersion: apps/v1
                    kind: Deployment
                    metadata: {name: kube-discovery, namespace: kube-system}
                    spec:
                      replicas: 3
                      selector: {matchLabels: {component: kube-discovery}}
                      template:
                        metadata:
                          labels: {component: kube-discovery}
                          annotations:
                            scheduler.alpha.kubernetes.io/affinity: '{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchExpressions":[{"key":"kubeadm.alpha.kubernetes.io/role","operator":"In","values":["master"]}]}]}}}'
                        spec:
                          containers: [{name: kube-discovery, image: "kubeha/discovery:1.0"}]
                    ---
                    apiVersion: apps/v1
                    kind: Deployment
                    metadata: {name: logapi}
                    spec:
                      replicas: 6
                      selector: {matchLabels: {app: logapi}}
                      template:
                        metadata: {labels: {app: logapi}}
                        spec:
                          nodeSelector: {kubeadm.alpha.kubernetes.io/role: node}
                          containers: [{name: logapi, image: "logapi:1.0", ports: [{containerPort: 8080}]}]
                    """, WAIT, "apply", "-f", "-").orFail();

            // kube-dns: exactly one pod on each master, none elsewhere, and kubectl says so
            await().atMost(WAIT).untilAsserted(() -> assertThat(placement(c, "kube-system", "k8s-app=kube-dns"))
                    .isEqualTo(Map.of("master1", 1L, "master2", 1L, "master3", 1L)));
            await().atMost(WAIT).untilAsserted(() -> assertThat(c.kubectl.run("get", "ds", "kube-dns", "-n", "kube-system",
                    "-o", "jsonpath={.status.desiredNumberScheduled} {.status.currentNumberScheduled} {.status.numberMisscheduled}")
                    .orFail().out()).isEqualTo("3 3 0"));

            // kube-discovery: the legacy annotation keeps it on the masters, spread one per master
            await().atMost(WAIT).untilAsserted(() -> assertThat(placement(c, "kube-system", "component=kube-discovery"))
                    .isEqualTo(Map.of("master1", 1L, "master2", 1L, "master3", 1L)));

            // logapi: on the workers only; 6 -> 12 lands 6 and 6; in to 3 keeps both workers used
            await().atMost(WAIT).untilAsserted(() -> assertThat(placement(c, "default", "app=logapi"))
                    .isEqualTo(Map.of("node1", 3L, "node2", 3L)));
            c.kubectl.run("scale", "deployment", "logapi", "--replicas=12").orFail();
            await().atMost(WAIT).untilAsserted(() -> assertThat(placement(c, "default", "app=logapi"))
                    .isEqualTo(Map.of("node1", 6L, "node2", 6L)));
            c.kubectl.run("scale", "deployment", "logapi", "--replicas=3").orFail();
            await().atMost(WAIT).untilAsserted(() -> {
                Map<String, Long> p = placement(c, "default", "app=logapi");
                assertThat(p.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(3);
                assertThat(p.keySet()).containsExactlyInAnyOrder("node1", "node2");
            });

            // a pod that fits nowhere stays Pending, and says why per node in kube-scheduler's words
            c.kubectl.run("""
                    apiVersion: v1
                    kind: Pod
                    metadata: {name: too-big}
                    spec:
                      containers: [{name: c, image: "logapi:1.0", resources: {requests: {cpu: "100"}}}]
                    """, WAIT, "apply", "-f", "-").orFail();
            await().atMost(WAIT).untilAsserted(() -> {
                List<Event> events = c.client.v1().events().inNamespace("default")
                        .withField("involvedObject.name", "too-big").list().getItems();
                assertThat(events).anySatisfy(e -> {
                    assertThat(e.getReason()).isEqualTo("FailedScheduling");
                    assertThat(e.getMessage()).isEqualTo("0/5 nodes are available: 5 Insufficient cpu. "
                            + "preemption: 0/5 nodes are available: 5 No preemption victims found for incoming pod.");
                });
            });
            Pod tooBig = c.client.pods().inNamespace("default").withName("too-big").get();
            assertThat(tooBig.getStatus().getPhase()).isEqualTo("Pending");
            assertThat(tooBig.getSpec().getNodeName()).isNull();
            assertThat(c.kubectl.run("describe", "pod", "too-big").orFail().out())
                    .contains("FailedScheduling", "Insufficient cpu");
        }
    }

    /** Live (not terminating) pods per node for a label selector. */
    private static Map<String, Long> placement(ProcessCluster c, String namespace, String selector) {
        String[] kv = selector.split("=", 2);
        return c.client.pods().inNamespace(namespace).withLabel(kv[0], kv[1]).list().getItems().stream()
                .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
                .collect(Collectors.groupingBy(p -> p.getSpec().getNodeName() == null ? "(unscheduled)" : p.getSpec().getNodeName(),
                        TreeMap::new, Collectors.counting()));
    }
}
