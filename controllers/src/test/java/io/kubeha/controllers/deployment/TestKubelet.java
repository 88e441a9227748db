package io.kubeha.controllers.deployment;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * Stands in for the node agents: every new pod that {@code becomesReady} accepts is set Running and Ready at
 * once through the status subresource, as ApiFixture.setReady does (there is no scheduler or kubelet here).
 * Pods it rejects (the tests' "bad" images) stay Pending and never become ready.
 */
final class TestKubelet implements AutoCloseable {
    private final KubernetesClient client;
    private final Predicate<Pod> becomesReady;
    private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
    private final SharedIndexInformer<Pod> informer;

    TestKubelet(KubernetesClient client, Predicate<Pod> becomesReady) {
        this.client = client;
        this.becomesReady = becomesReady;
        this.informer = client.pods().inAnyNamespace().inform(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Pod pod) {
                consider(pod);
            }

            @Override
            public void onUpdate(Pod oldPod, Pod newPod) {
                consider(newPod);
            }

            @Override
            public void onDelete(Pod pod, boolean unknown) {
            }
        }, 0);
    }

    static boolean isReady(Pod p) {
        return p.getStatus() != null && p.getStatus().getConditions() != null && p.getStatus().getConditions().stream()
                .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    private void consider(Pod pod) {
        if (pod.getMetadata().getDeletionTimestamp() != null || isReady(pod) || !becomesReady.test(pod)
                || !inFlight.add(pod.getMetadata().getUid())) {
            return;
        }
        Thread.ofVirtual().start(() -> {
            try {
                for (int attempt = 0; attempt < 10; attempt++) {
                    try {
                        Pod fresh = client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName()).get();
                        if (fresh == null || !fresh.getMetadata().getUid().equals(pod.getMetadata().getUid()) || isReady(fresh)) {
                            return;
                        }
                        Pod ready = new PodBuilder(fresh).editOrNewStatus().withPhase("Running")
                                .withConditions(new PodConditionBuilder().withType("Ready").withStatus("True")
                                        .withLastTransitionTime(Instant.now().truncatedTo(ChronoUnit.SECONDS).toString()).build())
                                .endStatus().build();
                        client.pods().inNamespace(pod.getMetadata().getNamespace()).resource(ready).updateStatus();
                        return;
                    } catch (KubernetesClientException e) {
                        if (e.getCode() == 404) {
                            return;
                        }
                        // 409: the pod changed meanwhile; read it again
                    }
                }
            } finally {
                inFlight.remove(pod.getMetadata().getUid());
            }
        });
    }

    @Override
    public void close() {
        informer.close();
    }
}
