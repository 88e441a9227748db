package io.kubeha.controllers;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.kubeha.apiserver.ApiServer;
import io.kubeha.store.Store;
import io.kubeha.store.StoreOptions;
import io.kubeha.store.embedded.EmbeddedStore;
import io.kubeha.testkit.Ports;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A real API server on the embedded store in a temp dir, and fabric8 clients for it. */
public final class ApiFixture implements AutoCloseable {
    static {
        // a condition read before the object has its status (a null, an empty list) is "not yet", as an assertion
        // that does not hold yet is: Awaitility would otherwise end the wait at the first such exception
        org.awaitility.Awaitility.ignoreExceptionsByDefault();
    }

    public final Path dir;
    public final Store store;
    public final ApiServer server;
    public final String url;
    public final KubernetesClient client;
    private final List<AutoCloseable> closeables = new ArrayList<>();

    public ApiFixture() throws IOException {
        dir = Files.createTempDirectory("kubeha-controllers-test");
        store = EmbeddedStore.open(dir.resolve("store"), StoreOptions.DEFAULTS.withFsync(false));
        server = new ApiServer(store, new InetSocketAddress("127.0.0.1", Ports.free(InetAddress.getLoopbackAddress()))).start();
        url = "http://127.0.0.1:" + server.address().getPort();
        client = newClient();
    }

    public KubernetesClient newClient() {
        return newClient(url);
    }

    public KubernetesClient newClient(String url) {
        KubernetesClient c = new KubernetesClientBuilder()
                .withConfig(new ConfigBuilder().withMasterUrl(url).withRequestTimeout(10_000)
                        // the API server serves watches over plain HTTP only: skip the websocket attempt
                        .withOnlyHttpWatches(true)
                        // fabric8 retries a refused connection with back-off for tens of seconds by default
                        .withRequestRetryBackoffLimit(1).build()).build();
        closeables.add(c);
        return c;
    }

    public ControllerManager manager(ControllerManager.Config config) {
        return manager(config, newClient());
    }

    public ControllerManager manager(ControllerManager.Config config, KubernetesClient managerClient) {
        ControllerManager m = new ControllerManager(managerClient, config);
        closeables.add(m);
        return m.start();
    }

    public void node(String name) {
        Node n = new NodeBuilder().withNewMetadata().withName(name).endMetadata().build();
        client.nodes().resource(n).create();
    }

    /** POST pods/NAME/binding, as a scheduler does. */
    public void bind(String namespace, String pod, String node) throws Exception {
        String body = """
                {"apiVersion":"v1","kind":"Binding","metadata":{"name":"%s","namespace":"%s"},"target":{"apiVersion":"v1","kind":"Node","name":"%s"}}"""
                .formatted(pod, namespace, node);
        HttpRequest request = client.getHttpClient().newHttpRequestBuilder()
                .uri(url + "/api/v1/namespaces/" + namespace + "/pods/" + pod + "/binding")
                .post("application/json", body).build();
        int code = client.getHttpClient().sendAsync(request, String.class).get(30, TimeUnit.SECONDS).code();
        if (code >= 300) {
            throw new IllegalStateException("binding " + pod + " to " + node + ": HTTP " + code);
        }
    }

    /** Sets a pod Running and Ready (or not ready) through the status subresource, as a node agent does. */
    public void setReady(String namespace, String pod, boolean ready, Instant since) {
        Pod p = client.pods().inNamespace(namespace).withName(pod).get();
        Pod updated = new PodBuilder(p).editOrNewStatus()
                .withPhase("Running")
                .withConditions(new PodConditionBuilder().withType("Ready").withStatus(ready ? "True" : "False")
                        .withLastTransitionTime(since.truncatedTo(ChronoUnit.SECONDS).toString()).build())
                .endStatus().build();
        client.pods().inNamespace(namespace).resource(updated).updateStatus();
    }

    public static final Duration WAIT = Duration.ofSeconds(30);

    @Override
    public void close() throws Exception {
        for (AutoCloseable c : closeables.reversed()) {
            try {
                c.close();
            } catch (Exception ignored) {
                // best effort
            }
        }
        server.close();
        store.close();
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
