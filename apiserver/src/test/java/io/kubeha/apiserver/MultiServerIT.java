package io.kubeha.apiserver;

import io.kubeha.store.Store;
import io.kubeha.store.StoreOptions;
import io.kubeha.store.Stores;
import io.kubeha.testkit.EtcdCluster;
import io.kubeha.testkit.Ports;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** Two API servers over one 3-member etcd are one cluster: what one writes, the other serves and watches. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MultiServerIT {
    EtcdCluster etcd;
    Store storeA, storeB;
    ApiServer a, b;
    String urlA, urlB;
    String storeUri;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    void start() throws Exception {
        etcd = EtcdCluster.start(3);
        String uri = "etcd:" + etcd.clientEndpoints().stream().map(URI::toString).collect(Collectors.joining(","));
        storeUri = uri;
        storeA = Stores.open(uri, StoreOptions.DEFAULTS);
        storeB = Stores.open(uri, StoreOptions.DEFAULTS);
        InetAddress lo = InetAddress.getLoopbackAddress();
        a = new ApiServer(storeA, new InetSocketAddress(lo, Ports.free(lo))).start();
        b = new ApiServer(storeB, new InetSocketAddress(lo, Ports.free(lo))).start();
        urlA = "http://127.0.0.1:" + a.address().getPort();
        urlB = "http://127.0.0.1:" + b.address().getPort();
    }

    @AfterAll
    void stop() {
        if (a != null) a.close();
        if (b != null) b.close();
        if (storeA != null) storeA.close();
        if (storeB != null) storeB.close();
        if (etcd != null) etcd.close();
    }

    HttpResponse<String> send(String method, String url, String body, String contentType) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20));
        if (body == null) r.method(method, HttpRequest.BodyPublishers.noBody());
        else r.method(method, HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", contentType);
        return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    static String configMap(String name, String value, String rv) {
        return """
                {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"%s"%s},"data":{"v":"%s"}}"""
                .formatted(name, rv == null ? "" : ",\"resourceVersion\":\"" + rv + "\"", value);
    }

    static String rv(String json) {
        int i = json.indexOf("\"resourceVersion\":\"") + 19;
        return json.substring(i, json.indexOf('"', i));
    }

    /** "ip:port" of every address of the kubernetes Endpoints, and of its EndpointSlices. */
    private List<String> kubernetesEndpoints(String url) throws Exception {
        var json = tools.jackson.databind.json.JsonMapper.builder().build();
        var eps = json.readTree(send("GET", url + "/api/v1/namespaces/default/endpoints/kubernetes", null, null).body());
        List<String> out = new java.util.ArrayList<>();
        for (var sub : eps.path("subsets")) {
            for (var a : sub.path("addresses")) out.add(a.path("ip").asString() + ":" + sub.path("ports").get(0).path("port").asInt());
        }
        return out;
    }

    private List<String> kubernetesSliceEndpoints(String url) throws Exception {
        var json = tools.jackson.databind.json.JsonMapper.builder().build();
        var slices = json.readTree(send("GET", url + "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices"
                + "?labelSelector=kubernetes.io/service-name%3Dkubernetes", null, null).body());
        List<String> out = new java.util.ArrayList<>();
        for (var s : slices.path("items")) {
            for (var e : s.path("endpoints")) out.add(e.path("addresses").get(0).asString() + ":" + s.path("ports").get(0).path("port").asInt());
        }
        return out;
    }

    @Test
    void theKubernetesServiceLeadsToTheServersThatAreAliveOnly() throws Exception {
        String ra = "127.0.0.1:" + a.address().getPort();
        String rb = "127.0.0.1:" + b.address().getPort();
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(kubernetesEndpoints(urlA)).containsExactlyInAnyOrder(ra, rb);
            assertThat(kubernetesSliceEndpoints(urlB)).containsExactlyInAnyOrder(ra, rb);
        });

        // a server that died long ago (its lease ran out) but is still listed: the next reconcile drops it
        String lease = """
                {"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"kube-apiserver-endpoint-127-0-0-99-4444",
                 "labels":{"apiserver.kubeha.io/endpoint":"true"}},
                 "spec":{"holderIdentity":"127.0.0.99:4444","leaseDurationSeconds":15,"renewTime":"2020-01-01T00:00:00.000000Z"}}""";
        assertThat(send("POST", urlA + "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases", lease, "application/json").statusCode())
                .isEqualTo(201);
        String dead = """
                [{"op":"add","path":"/subsets/-","value":{"addresses":[{"ip":"127.0.0.99"}],"ports":[{"name":"https","port":4444,"protocol":"TCP"}]}}]""";
        assertThat(send("PATCH", urlA + "/api/v1/namespaces/default/endpoints/kubernetes", dead, "application/json-patch+json").statusCode())
                .isEqualTo(200);
        assertThat(kubernetesEndpoints(urlB)).contains("127.0.0.99:4444");
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(kubernetesEndpoints(urlB)).containsExactlyInAnyOrder(ra, rb));
        // and a lease that ran out that long ago is collected, as kube-apiserver's vanish with their TTL
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(send("GET",
                urlA + "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-apiserver-endpoint-127-0-0-99-4444", null, null)
                .statusCode()).isEqualTo(404));

        // a third server joins, then stops cleanly: it leaves at once, not when its lease runs out
        InetAddress lo = InetAddress.getLoopbackAddress();
        String rc;
        try (Store storeC = Stores.open(storeUri, StoreOptions.DEFAULTS);
             ApiServer c = new ApiServer(storeC, new InetSocketAddress(lo, Ports.free(lo))).start()) {
            rc = "127.0.0.1:" + c.address().getPort();
            assertThat(kubernetesEndpoints(urlA)).containsExactlyInAnyOrder(ra, rb, rc);
            assertThat(kubernetesSliceEndpoints(urlA)).containsExactlyInAnyOrder(ra, rb, rc);
        }
        assertThat(kubernetesEndpoints(urlA)).containsExactlyInAnyOrder(ra, rb);
        assertThat(kubernetesSliceEndpoints(urlA)).containsExactlyInAnyOrder(ra, rb);
    }

    @Test
    void aWriteThroughOneServerReachesAWatchOnTheOther() throws Exception {
        String list = send("GET", urlB + "/api/v1/namespaces/default/configmaps", null, null).body();
        BlockingQueue<String> events = new LinkedBlockingQueue<>();
        HttpResponse<java.io.InputStream> watch = http.send(HttpRequest.newBuilder(URI.create(urlB
                + "/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=" + rv(list))).build(), HttpResponse.BodyHandlers.ofInputStream());
        Thread reader = Thread.ofVirtual().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(watch.body(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) events.add(line);
            } catch (Exception ignored) {
                // closed
            }
        });
        try {
            HttpResponse<String> created = send("POST", urlA + "/api/v1/namespaces/default/configmaps", configMap("seen-by-b", "1", null), "application/json");
            assertThat(created.statusCode()).isEqualTo(201);
            String event = events.poll(20, TimeUnit.SECONDS);
            assertThat(event).as("the watch on server B sees the create through server A").isNotNull()
                    .contains("\"type\":\"ADDED\"", "seen-by-b", rv(created.body()));
        } finally {
            watch.body().close();
            reader.interrupt();
        }
    }

    @Test
    void twoUpdatesWithOneResourceVersionThroughTwoServersOneWins() throws Exception {
        HttpResponse<String> created = send("POST", urlA + "/api/v1/namespaces/default/configmaps", configMap("raced", "0", null), "application/json");
        String rv = rv(created.body());
        HttpResponse<String> viaA = send("PUT", urlA + "/api/v1/namespaces/default/configmaps/raced", configMap("raced", "a", rv), "application/json");
        HttpResponse<String> viaB = send("PUT", urlB + "/api/v1/namespaces/default/configmaps/raced", configMap("raced", "b", rv), "application/json");
        assertThat(List.of(viaA.statusCode(), viaB.statusCode())).containsExactlyInAnyOrder(200, 409);
        HttpResponse<String> loser = viaA.statusCode() == 409 ? viaA : viaB;
        assertThat(loser.body()).contains("\"reason\":\"Conflict\"", "the object has been modified");
    }

    @Test
    void withoutQuorumWritesFailQuicklyWithAStatusAndWorkAgainOnceItReturns() throws Exception {
        etcd.awaitHealthy();
        etcd.kill(1);
        etcd.kill(2);
        try {
            long t0 = System.nanoTime();
            HttpResponse<String> r = send("POST", urlA + "/api/v1/namespaces/default/configmaps", configMap("no-quorum", "x", null), "application/json");
            long seconds = (System.nanoTime() - t0) / 1_000_000_000L;
            assertThat(r.statusCode()).isIn(503, 504);
            assertThat(r.body()).contains("\"kind\":\"Status\"").containsAnyOf("ServiceUnavailable", "Timeout");
            assertThat(seconds).as("answered within the store's request timeout, not hung").isLessThan(20);
        } finally {
            etcd.restart(1);
            etcd.restart(2);
        }
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).ignoreExceptions().untilAsserted(() ->
                assertThat(send("POST", urlA + "/api/v1/namespaces/default/configmaps", configMap("quorum-back", "x", null),
                        "application/json").statusCode()).isEqualTo(201));
        etcd.awaitHealthy();
    }

    @Test
    void bothServersKeepServingWithOneEtcdMemberKilled() throws Exception {
        etcd.awaitHealthy(); // all three members in step, so two of them keep a quorum
        etcd.kill(0);
        try {
            for (String url : List.of(urlA, urlB)) {
                // a request in flight to the killed member may fail over once; after that each server serves
                org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(15)).until(() ->
                        send("GET", url + "/api/v1/namespaces/default", null, null).statusCode() == 200);
                String name = "after-kill-" + url.substring(url.lastIndexOf(':') + 1);
                assertThat(send("POST", url + "/api/v1/namespaces/default/configmaps", configMap(name, "x", null), "application/json")
                        .statusCode()).isEqualTo(201);
                assertThat(send("GET", url + "/api/v1/namespaces/default/configmaps/" + name, null, null).statusCode()).isEqualTo(200);
                assertThat(send("GET", url + "/api/v1/namespaces/default/configmaps", null, null).statusCode()).isEqualTo(200);
            }
        } finally {
            etcd.restart(0);
        }
    }
}
