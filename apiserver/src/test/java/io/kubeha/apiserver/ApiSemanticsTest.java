package io.kubeha.apiserver;

import io.kubeha.apiserver.api.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import tools.jackson.databind.JsonNode;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** kube-apiserver's semantics over plain HTTP, as client libraries see them, on one server and the embedded store. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ApiSemanticsTest {
    ApiServerFixture api;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    void start() throws Exception {
        api = new ApiServerFixture();
    }

    @AfterAll
    void stop() throws Exception {
        api.close();
    }

    record Answer(int code, JsonNode body, HttpResponse<String> raw) {}

    Answer call(String method, String path, String body) throws Exception {
        return call(method, path, body, "application/json");
    }

    Answer call(String method, String path, String body, String contentType) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(api.url + path)).timeout(Duration.ofSeconds(30));
        if (body == null) r.method(method, HttpRequest.BodyPublishers.noBody());
        else r.method(method, HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", contentType);
        HttpResponse<String> resp = http.send(r.build(), HttpResponse.BodyHandlers.ofString());
        JsonNode json = null;
        try {
            json = Json.MAPPER.readTree(resp.body());
        } catch (RuntimeException ignored) {
            // not JSON (metrics, health)
        }
        return new Answer(resp.statusCode(), json, resp);
    }

    String namespace() throws Exception {
        String ns = "s-" + UUID.randomUUID().toString().substring(0, 8);
        assertThat(call("POST", "/api/v1/namespaces", "{\"metadata\":{\"name\":\"" + ns + "\"}}").code()).isEqualTo(201);
        return ns;
    }

    static String pod(String name, String labels) {
        return """
                {"apiVersion":"v1","kind":"Pod","metadata":{"name":"%s","labels":%s},
                 "spec":{"containers":[{"name":"c","image":"img:1"}]}}""".formatted(name, labels);
    }

    @Test
    void theKubernetesServiceHasThisServerAsItsEndpointAndEndpointSlice() throws Exception {
        String port = Integer.toString(URI.create(api.url).getPort());
        JsonNode svc = call("GET", "/api/v1/namespaces/default/services/kubernetes", null).body();
        assertThat(svc.path("spec").path("ports").get(0).path("port").asInt()).isEqualTo(443);
        JsonNode ep = call("GET", "/api/v1/namespaces/default/endpoints/kubernetes", null).body();
        assertThat(ep.path("subsets").get(0).path("addresses").get(0).path("ip").asString()).isEqualTo("127.0.0.1");
        JsonNode slice = call("GET", "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/kubernetes", null).body();
        assertThat(slice.path("metadata").path("labels").path("kubernetes.io/service-name").asString()).isEqualTo("kubernetes");
        assertThat(slice.path("endpoints").get(0).path("addresses").get(0).asString()).isEqualTo("127.0.0.1");
        assertThat(slice.path("endpoints").get(0).path("conditions").path("ready").asBoolean()).isTrue();
        assertThat(slice.path("ports").get(0).path("port").asInt()).isEqualTo(Integer.parseInt(port));
    }

    @Test
    void everyErrorIsAStatusWithCodeReasonAndMessage() throws Exception {
        String ns = namespace();
        Answer malformed = call("POST", "/api/v1/namespaces/" + ns + "/configmaps", "{not json");
        assertThat(malformed.code()).isEqualTo(400);
        assertThat(malformed.body().path("kind").asString()).isEqualTo("Status");
        assertThat(malformed.body().path("reason").asString()).isEqualTo("BadRequest");

        Answer wrongVersion = call("POST", "/api/v1/namespaces/" + ns + "/configmaps", "{\"apiVersion\":\"apps/v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"x\"}}");
        assertThat(wrongVersion.code()).isEqualTo(400);
        assertThat(wrongVersion.body().path("message").asString()).contains("does not match the expected API version");

        Answer otherNamespace = call("POST", "/api/v1/namespaces/" + ns + "/configmaps", "{\"metadata\":{\"name\":\"x\",\"namespace\":\"elsewhere\"}}");
        assertThat(otherNamespace.code()).isEqualTo(400);
        assertThat(otherNamespace.body().path("message").asString()).contains("does not match the namespace");

        Answer tooBig = call("POST", "/api/v1/namespaces/" + ns + "/configmaps",
                "{\"metadata\":{\"name\":\"big\"},\"data\":{\"a\":\"" + "x".repeat(4 * 1024 * 1024) + "\"}}");
        assertThat(tooBig.code()).isEqualTo(413);

        assertThat(call("GET", "/api/v1/namespaces/" + ns + "/nonsense", null).code()).isEqualTo(404);
        assertThat(call("GET", "/apis/nonsense.io/v1/things", null).code()).isEqualTo(404);
        Answer missingNs = call("POST", "/api/v1/namespaces/no-such-ns/configmaps", "{\"metadata\":{\"name\":\"x\"}}");
        assertThat(missingNs.code()).isEqualTo(404);
        assertThat(missingNs.body().path("message").asString()).isEqualTo("namespaces \"no-such-ns\" not found");

        Answer invalid = call("POST", "/apis/apps/v1/namespaces/" + ns + "/deployments", """
                {"metadata":{"name":"d"},"spec":{"selector":{"matchLabels":{"app":"a"}},
                 "template":{"metadata":{"labels":{"app":"b"}},"spec":{"containers":[{"name":"c","image":"i"}]}}}}""");
        assertThat(invalid.code()).isEqualTo(422);
        assertThat(invalid.body().path("reason").asString()).isEqualTo("Invalid");
        assertThat(invalid.body().path("details").path("causes").get(0).path("field").asString()).isEqualTo("spec.template.metadata.labels");

        Answer wrongType = call("POST", "/apis/apps/v1/namespaces/" + ns + "/deployments", "{\"metadata\":{\"name\":\"d\"},\"spec\":{\"replicas\":\"many\"}}");
        assertThat(wrongType.code()).isEqualTo(400);
    }

    @Test
    void generateNameDefaultsAndServerOwnedMetadata() throws Exception {
        String ns = namespace();
        Answer created = call("POST", "/apis/apps/v1/namespaces/" + ns + "/deployments", """
                {"metadata":{"generateName":"web-","uid":"client-chosen"},"spec":{"selector":{"matchLabels":{"app":"a"}},
                 "template":{"metadata":{"labels":{"app":"a"}},"spec":{"containers":[{"name":"c","image":"i"}]}}}}""");
        assertThat(created.code()).isEqualTo(201);
        JsonNode d = created.body();
        assertThat(d.path("metadata").path("name").asString()).startsWith("web-").hasSize(9);
        assertThat(d.path("metadata").path("uid").asString()).isNotEqualTo("client-chosen");
        assertThat(d.path("metadata").path("generation").asLong()).isEqualTo(1);
        assertThat(d.path("spec").path("replicas").asInt()).isEqualTo(1);
        assertThat(d.path("spec").path("strategy").path("rollingUpdate").path("maxSurge").asString()).isEqualTo("25%");
        assertThat(d.path("spec").path("revisionHistoryLimit").asInt()).isEqualTo(10);
        assertThat(d.path("spec").path("template").path("spec").path("restartPolicy").asString()).isEqualTo("Always");

        String name = d.path("metadata").path("name").asString();
        Answer labelled = call("PATCH", "/apis/apps/v1/namespaces/" + ns + "/deployments/" + name,
                "{\"metadata\":{\"labels\":{\"x\":\"y\"}}}", "application/merge-patch+json");
        assertThat(labelled.body().path("metadata").path("generation").asLong()).as("metadata changes keep the generation").isEqualTo(1);
        Answer scaled = call("PATCH", "/apis/apps/v1/namespaces/" + ns + "/deployments/" + name,
                "{\"spec\":{\"replicas\":3}}", "application/merge-patch+json");
        assertThat(scaled.body().path("metadata").path("generation").asLong()).as("spec changes bump it").isEqualTo(2);
        Answer status = call("PATCH", "/apis/apps/v1/namespaces/" + ns + "/deployments/" + name,
                "{\"status\":{\"replicas\":99}}", "application/merge-patch+json");
        assertThat(status.body().path("status").path("replicas").asInt(0)).as("the main resource cannot write status").isZero();
        Answer statusSub = call("PATCH", "/apis/apps/v1/namespaces/" + ns + "/deployments/" + name + "/status",
                "{\"status\":{\"replicas\":3}}", "application/merge-patch+json");
        assertThat(statusSub.body().path("status").path("replicas").asInt()).isEqualTo(3);
        Answer dry = call("POST", "/api/v1/namespaces/" + ns + "/configmaps?dryRun=All", "{\"metadata\":{\"name\":\"dry\"}}");
        assertThat(dry.code()).isEqualTo(201);
        assertThat(call("GET", "/api/v1/namespaces/" + ns + "/configmaps/dry", null).code()).isEqualTo(404);
    }

    @Test
    void selectorsAndPagingVisitEveryMatchOnce() throws Exception {
        String ns = namespace();
        for (int i = 0; i < 25; i++) {
            assertThat(call("POST", "/api/v1/namespaces/" + ns + "/pods",
                    pod("p" + i, "{\"tier\":\"" + (i % 2 == 0 ? "web" : "db") + "\",\"n\":\"" + i + "\"}")).code()).isEqualTo(201);
        }
        Set<String> seen = new HashSet<>();
        String cont = null;
        int pages = 0;
        do {
            Answer page = call("GET", "/api/v1/namespaces/" + ns + "/pods?labelSelector=tier%3Dweb&limit=4"
                    + (cont == null ? "" : "&continue=" + cont), null);
            assertThat(page.code()).isEqualTo(200);
            page.body().path("items").forEach(p -> assertThat(seen.add(p.path("metadata").path("name").asString())).isTrue());
            cont = page.body().path("metadata").path("continue").asString(null);
            pages++;
        } while (cont != null && !cont.isEmpty());
        assertThat(seen).hasSize(13);
        assertThat(pages).isGreaterThan(3);
        assertThat(call("GET", "/api/v1/namespaces/" + ns + "/pods?labelSelector=tier+in+(db),n!%3D1", null).body().path("items")).hasSize(11);
        assertThat(call("GET", "/api/v1/pods?fieldSelector=metadata.namespace%3D" + ns + ",metadata.name%3Dp3", null).body().path("items")).hasSize(1);
        assertThat(call("GET", "/api/v1/namespaces/" + ns + "/pods?labelSelector=a+b+c", null).code()).isEqualTo(400);
        assertThat(call("GET", "/api/v1/namespaces/" + ns + "/pods?fieldSelector=spec.bogus%3Dx", null).code()).isEqualTo(400);
        assertThat(call("GET", "/api/v1/namespaces/" + ns + "/pods?continue=garbage", null).code()).isEqualTo(400);
    }

    @Test
    void podsAreBoundOnceAndDeletedGracefullyOnANode() throws Exception {
        String ns = namespace();
        call("POST", "/api/v1/namespaces/" + ns + "/pods", pod("p", "{}"));
        String binding = "{\"apiVersion\":\"v1\",\"kind\":\"Binding\",\"metadata\":{\"name\":\"p\"},\"target\":{\"kind\":\"Node\",\"name\":\"node1\"}}";
        assertThat(call("POST", "/api/v1/namespaces/" + ns + "/pods/p/binding", binding).code()).isEqualTo(201);
        assertThat(call("POST", "/api/v1/namespaces/" + ns + "/pods/p/binding", binding).code()).isEqualTo(409);
        Answer bound = call("GET", "/api/v1/namespaces/" + ns + "/pods/p", null);
        assertThat(bound.body().path("spec").path("nodeName").asString()).isEqualTo("node1");

        Answer deleting = call("DELETE", "/api/v1/namespaces/" + ns + "/pods/p", null);
        assertThat(deleting.code()).isEqualTo(200);
        assertThat(deleting.body().path("metadata").path("deletionTimestamp").isMissingNode()).as("a pod on a node waits for its agent").isFalse();
        assertThat(deleting.body().path("metadata").path("deletionGracePeriodSeconds").asLong()).isEqualTo(30);
        assertThat(call("GET", "/api/v1/namespaces/" + ns + "/pods/p", null).code()).isEqualTo(200);
        Answer now = call("DELETE", "/api/v1/namespaces/" + ns + "/pods/p", "{\"gracePeriodSeconds\":0}");
        assertThat(now.code()).isEqualTo(200);
        assertThat(call("GET", "/api/v1/namespaces/" + ns + "/pods/p", null).code()).isEqualTo(404);

        call("POST", "/api/v1/namespaces/" + ns + "/pods", pod("unbound", "{}"));
        call("DELETE", "/api/v1/namespaces/" + ns + "/pods/unbound", null);
        assertThat(call("GET", "/api/v1/namespaces/" + ns + "/pods/unbound", null).code()).as("an unbound pod goes at once").isEqualTo(404);

        call("POST", "/api/v1/namespaces/" + ns + "/pods", pod("evicted", "{}"));
        assertThat(call("POST", "/api/v1/namespaces/" + ns + "/pods/evicted/eviction",
                "{\"apiVersion\":\"policy/v1\",\"kind\":\"Eviction\",\"metadata\":{\"name\":\"evicted\"}}").code()).isEqualTo(201);
        assertThat(call("GET", "/api/v1/namespaces/" + ns + "/pods/evicted", null).code()).isEqualTo(404);
    }

    @Test
    void finalizersHoldADeletionUntilRemoved() throws Exception {
        String ns = namespace();
        call("POST", "/api/v1/namespaces/" + ns + "/configmaps", "{\"metadata\":{\"name\":\"held\",\"finalizers\":[\"example.com/hold\"]}}");
        Answer marked = call("DELETE", "/api/v1/namespaces/" + ns + "/configmaps/held", null);
        assertThat(marked.body().path("metadata").has("deletionTimestamp")).isTrue();
        assertThat(call("GET", "/api/v1/namespaces/" + ns + "/configmaps/held", null).code()).isEqualTo(200);
        call("PATCH", "/api/v1/namespaces/" + ns + "/configmaps/held", "{\"metadata\":{\"finalizers\":null}}", "application/merge-patch+json");
        assertThat(call("GET", "/api/v1/namespaces/" + ns + "/configmaps/held", null).code()).isEqualTo(404);

        call("POST", "/api/v1/namespaces/" + ns + "/configmaps", "{\"metadata\":{\"name\":\"orphaned\"}}");
        Answer orphan = call("DELETE", "/api/v1/namespaces/" + ns + "/configmaps/orphaned", "{\"propagationPolicy\":\"Orphan\"}");
        assertThat(orphan.body().path("metadata").path("finalizers").toString()).contains("orphan");
    }

    @Test
    void namespaceDeletionWaitsForItsFinalizerAndRefusesNewContent() throws Exception {
        String ns = namespace();
        Answer terminating = call("DELETE", "/api/v1/namespaces/" + ns, null);
        assertThat(terminating.body().path("status").path("phase").asString()).isEqualTo("Terminating");
        Answer refused = call("POST", "/api/v1/namespaces/" + ns + "/configmaps", "{\"metadata\":{\"name\":\"late\"}}");
        assertThat(refused.code()).isEqualTo(403);
        assertThat(refused.body().path("message").asString()).contains("because it is being terminated");
        Answer current = call("GET", "/api/v1/namespaces/" + ns, null);
        String body = current.raw().body().replace("\"finalizers\":[\"kubernetes\"]", "\"finalizers\":[]");
        assertThat(call("PUT", "/api/v1/namespaces/" + ns + "/finalize", body).code()).isEqualTo(200);
        assertThat(call("GET", "/api/v1/namespaces/" + ns, null).code()).isEqualTo(404);
    }

    @Test
    void watchFromAResourceVersionResumesAndTooOldIsGone() throws Exception {
        String ns = namespace();
        Answer first = call("POST", "/api/v1/namespaces/" + ns + "/configmaps", "{\"metadata\":{\"name\":\"a\"}}");
        String rv = first.body().path("metadata").path("resourceVersion").asString();
        call("POST", "/api/v1/namespaces/" + ns + "/configmaps", "{\"metadata\":{\"name\":\"b\"}}");
        call("DELETE", "/api/v1/namespaces/" + ns + "/configmaps/a", null);

        HttpResponse<java.io.InputStream> watch = http.send(HttpRequest.newBuilder(URI.create(api.url + "/api/v1/namespaces/" + ns
                + "/configmaps?watch=true&resourceVersion=" + rv + "&timeoutSeconds=2")).build(), HttpResponse.BodyHandlers.ofInputStream());
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(watch.body(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) lines.add(line);
        }
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0)).contains("\"type\":\"ADDED\"", "\"name\":\"b\"");
        assertThat(lines.get(1)).contains("\"type\":\"DELETED\"", "\"name\":\"a\"");

        api.store.compact(api.store.currentRevision());
        api.restart();
        Answer gone = call("GET", "/api/v1/namespaces/" + ns + "/configmaps?watch=true&resourceVersion=" + rv, null);
        assertThat(gone.code()).isEqualTo(410);
        assertThat(gone.body().path("reason").asString()).isEqualTo("Expired");
    }

    @Test
    void metricsCountRequestsByVerbResourceAndCode() throws Exception {
        call("GET", "/api/v1/namespaces/default", null);
        // a request is counted as it completes, which may be just after its client has the answer
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            Answer m = call("GET", "/metrics", null);
            assertThat(m.code()).isEqualTo(200);
            assertThat(m.raw().body()).contains("apiserver_request_total{", "verb=\"GET\"", "resource=\"namespaces\"", "code=\"200\"",
                "apiserver_request_duration_seconds", "apiserver_longrunning_requests");
        });
    }
}
