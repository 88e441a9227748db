package io.kubeha.apiserver;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.kubeha.testkit.Kubectl;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A real client library's informer (fabric8's SharedIndexInformer) lists and watches pods across an API server
 * restart and ends up with exactly what kubectl sees, having been told of every change.
 */
class InformerIT {
    private static String pod(String name, String image) {
        return """
                {"apiVersion":"v1","kind":"Pod","metadata":{"name":"%s","labels":{"app":"informer"}},
                 "spec":{"containers":[{"name":"c","image":"%s"}]}}""".formatted(name, image);
    }

    @Test
    void informerFollowsKubectlAcrossAServerRestart() throws Exception {
        try (ApiServerFixture api = new ApiServerFixture()) {
            Kubectl kubectl = api.kubectl(Kubectl.DEFAULT);
            Config config = new ConfigBuilder().withMasterUrl(api.url).withRequestTimeout(10_000).build();
            Set<String> added = ConcurrentHashMap.newKeySet();
            Set<String> updated = ConcurrentHashMap.newKeySet();
            Set<String> deleted = ConcurrentHashMap.newKeySet();
            try (KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build()) {
                SharedIndexInformer<Pod> informer = client.pods().inAnyNamespace().inform(new ResourceEventHandler<>() {
                    @Override
                    public void onAdd(Pod p) {
                        added.add(p.getMetadata().getName());
                    }

                    @Override
                    public void onUpdate(Pod oldPod, Pod newPod) {
                        if (!oldPod.getMetadata().getResourceVersion().equals(newPod.getMetadata().getResourceVersion())) {
                            updated.add(newPod.getMetadata().getName());
                        }
                    }

                    @Override
                    public void onDelete(Pod p, boolean unknownFinalState) {
                        deleted.add(p.getMetadata().getName());
                    }
                }, 0);
                await().atMost(Duration.ofSeconds(30)).until(informer::hasSynced);

                for (String name : List.of("a", "b", "c")) {
                    kubectl.run(pod(name, "img:1"), Duration.ofSeconds(30), "apply", "--validate=false", "-f", "-").orFail();
                }
                kubectl.run("label", "pod", "a", "changed=yes").orFail();
                await().atMost(Duration.ofSeconds(30)).until(() -> added.containsAll(Set.of("a", "b", "c")) && updated.contains("a"));

                api.restart();
                kubectl.run("delete", "pod", "b").orFail();
                kubectl.run(pod("d", "img:1"), Duration.ofSeconds(30), "apply", "--validate=false", "-f", "-").orFail();
                kubectl.run("label", "pod", "c", "changed=yes").orFail();

                await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                    Set<String> kubectlSees = Set.of(kubectl.run("get", "pods", "-o", "name").orFail().out().strip()
                            .replace("pod/", "").split("\\s+"));
                    Set<String> informerSees = informer.getStore().list().stream().map(p -> p.getMetadata().getName())
                            .collect(Collectors.toSet());
                    assertThat(informerSees).isEqualTo(kubectlSees).containsExactlyInAnyOrder("a", "c", "d");
                    assertThat(added).contains("d");
                    assertThat(deleted).contains("b");
                    assertThat(updated).contains("c");
                    Pod c = informer.getStore().getByKey("default/c");
                    assertThat(c.getMetadata().getLabels()).containsEntry("changed", "yes");
                });
                informer.close();
            }
        }
    }
}
