package io.kubeha.logapi;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import io.kubeha.testkit.Ports;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The cluster log API against a real API server in-process: events the test creates come back through logapi,
 * the API server's refusals come back as clear JSON errors, never as a stack trace.
 */
class ClusterEndpointsTest {
    private static ApiFixture api;
    private static LogApi logapi;
    private static String base;

    @BeforeAll
    static void start() throws Exception {
        api = new ApiFixture();
        api.create("/api/v1/namespaces", "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"demo\"}}");
        api.create("/api/v1/namespaces", "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"other\"}}");
        // what the pod gets from a kubeconfig (the in-cluster path has its own test below)
        LogApiConfig config = LogApiConfig.fromEnvironment(Map.of("KUBECONFIG", api.kubeconfig().toString(),
                "POD_IP", "127.0.0.1", "POD_NAME", "logapi-test"), List.of("--port", "0"), "1.0");
        logapi = new LogApi(config, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).start();
        base = "http://127.0.0.1:" + logapi.address().getPort();
    }

    @AfterAll
    static void stop() throws Exception {
        if (logapi != null) logapi.close();
        if (api != null) api.close();
    }

    private static String event(String ns, String name, String pod, String reason, String message, String type, String last, int count) {
        return """
                {"apiVersion":"v1","kind":"Event","metadata":{"name":"%s","namespace":"%s"},
                 "involvedObject":{"kind":"Pod","name":"%s","namespace":"%s"},
                 "reason":"%s","message":"%s","type":"%s","source":{"component":"default-scheduler"},
                 "firstTimestamp":"2026-01-01T00:00:00Z","lastTimestamp":"%s","count":%d}"""
                .formatted(name, ns, pod, ns, reason, message, type, last, count);
    }

    private static JsonNode json(HttpResponse<String> r) {
        return Json.Mapper.MAPPER.readTree(r.body());
    }

    @Test
    void eventsOfANamespaceOldestFirst() throws Exception {
        api.create("/api/v1/namespaces/demo/events", event("demo", "web-1.b", "web-1", "BackOff",
                "Back-off restarting failed container", "Warning", "2026-01-01T00:05:00Z", 3));
        api.create("/api/v1/namespaces/demo/events", event("demo", "web-1.a", "web-1", "Scheduled",
                "Successfully assigned demo/web-1 to node1", "Normal", "2026-01-01T00:00:01Z", 1));
        api.create("/api/v1/namespaces/other/events", event("other", "x.a", "x", "Pulled", "elsewhere", "Normal",
                "2026-01-01T00:00:02Z", 1));

        HttpResponse<String> r = Http.get(base + "/api/log/events?namespace=demo");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode body = json(r);
        assertThat(body.path("namespace").asString()).isEqualTo("demo");
        assertThat(body.path("count").asInt()).isEqualTo(2);
        JsonNode first = body.path("events").get(0);
        assertThat(first.path("reason").asString()).isEqualTo("Scheduled");
        assertThat(first.path("message").asString()).isEqualTo("Successfully assigned demo/web-1 to node1");
        assertThat(first.path("type").asString()).isEqualTo("Normal");
        assertThat(first.path("object").path("kind").asString()).isEqualTo("Pod");
        assertThat(first.path("object").path("name").asString()).isEqualTo("web-1");
        assertThat(first.path("source").asString()).isEqualTo("default-scheduler");
        JsonNode second = body.path("events").get(1);
        assertThat(second.path("reason").asString()).isEqualTo("BackOff");
        assertThat(second.path("count").asInt()).isEqualTo(3);
        assertThat(second.path("lastTimestamp").asString()).isEqualTo("2026-01-01T00:05:00Z");

        JsonNode all = json(Http.get(base + "/api/log/events"));
        assertThat(all.has("namespace")).isFalse();
        assertThat(all.path("events").valueStream().map(e -> e.path("namespace").asString()).toList())
                .contains("demo", "other");

        JsonNode empty = json(Http.get(base + "/api/log/events?namespace=nothing-here"));
        assertThat(empty.path("count").asInt()).isZero();
    }

    @Test
    void podLogsRelayTheApiServersRefusalClearly() throws Exception {
        api.create("/api/v1/namespaces/demo/pods", """
                {"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-2","namespace":"demo"},
                 "spec":{"containers":[{"name":"logapi","image":"logapi:1.0"}]}}""");
        // not scheduled yet: Kubernetes answers 400, the pod has no host
        HttpResponse<String> r = Http.get(base + "/api/log/pods/demo/web-2?tailLines=10");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(json(r).path("message").asString())
                .isEqualTo("the API server answered 400 for the logs of pod demo/web-2: pod web-2 does not have a host assigned");

        // scheduled on a node that has no agent (no address, no port in its status): the API server says so with a
        // 400, and logapi relays it. The happy path (lines returned) is covered against a stand-in server in
        // LogApiImageIT and through a real agent in e2e's LogapiSeedIT.
        api.create("/api/v1/nodes", "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"node1\"}}");
        api.create("/api/v1/namespaces/demo/pods/web-2/binding", """
                {"apiVersion":"v1","kind":"Binding","metadata":{"name":"web-2","namespace":"demo"},
                 "target":{"apiVersion":"v1","kind":"Node","name":"node1"}}""");
        HttpResponse<String> bound = Http.get(base + "/api/log/pods/demo/web-2");
        assertThat(bound.statusCode()).isEqualTo(400);
        JsonNode error = json(bound);
        assertThat(error.path("status").asInt()).isEqualTo(400);
        assertThat(error.path("error").asString()).isEqualTo("Bad Request");
        assertThat(error.path("message").asString()).startsWith("the API server answered 400 for the logs of pod demo/web-2: ")
                .contains("node1");
    }

    @Test
    void anUnknownPodIsNotFound() throws Exception {
        HttpResponse<String> r = Http.get(base + "/api/log/pods/demo/no-such-pod");
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(json(r).path("message").asString()).startsWith("the API server answered 404 for the logs of pod demo/no-such-pod: ")
                .contains("no-such-pod");
    }

    @Test
    void badInputIsA400WithTheReason() throws Exception {
        HttpResponse<String> tail = Http.get(base + "/api/log/pods/demo/web-1?tailLines=-1");
        assertThat(tail.statusCode()).isEqualTo(400);
        assertThat(json(tail).path("message").asString()).isEqualTo("tailLines must be a whole number, 0 or more: -1");
        assertThat(json(Http.get(base + "/api/log/pods/demo/web-1?tailLines=ten")).path("message").asString())
                .isEqualTo("tailLines must be a whole number, 0 or more: ten");

        HttpResponse<String> ns = Http.get(base + "/api/log/events?namespace=Not_A_Namespace");
        assertThat(ns.statusCode()).isEqualTo(400);
        assertThat(json(ns).path("message").asString()).contains("'Not_A_Namespace' is not a valid namespace name");

        HttpResponse<String> pod = Http.get(base + "/api/log/pods/demo/Bad%20Pod");
        assertThat(pod.statusCode()).isEqualTo(400);
        assertThat(json(pod).path("message").asString()).contains("'Bad Pod' is not a valid pod name");

        assertThat(Http.get(base + "/api/log/pods/demo").statusCode()).isEqualTo(404);
        assertThat(Http.get(base + "/api/log/pods/demo/a/b").statusCode()).isEqualTo(404);
    }

    @Test
    void anUnreachableApiServerIsA502() throws Exception {
        int closed = Ports.free(InetAddress.getLoopbackAddress());
        Path sa = Files.createTempDirectory(api.dir, "sa");
        Files.writeString(sa.resolve("token"), "secret-token\n");
        LogApiConfig config = LogApiConfig.fromEnvironment(Map.of("KUBERNETES_SERVICE_HOST", "127.0.0.1",
                "KUBERNETES_SERVICE_PORT", String.valueOf(closed), "LOGAPI_SERVICEACCOUNT_DIR", sa.toString(),
                "POD_IP", "127.0.0.1"), List.of("--port=0"), "1.0");
        try (LogApi lonely = new LogApi(config, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).start()) {
            HttpResponse<String> r = Http.get("http://127.0.0.1:" + lonely.address().getPort() + "/api/log/events?namespace=demo");
            assertThat(r.statusCode()).isEqualTo(502);
            assertThat(json(r).path("message").asString())
                    .isEqualTo("the API server at http://127.0.0.1:" + closed + " is unreachable (connection refused)");
            // the greeting does not need the API server
            assertThat(Http.get("http://127.0.0.1:" + lonely.address().getPort() + "/api/log/greeting").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void inClusterConfigurationReadsWithTheServiceAccountToken() throws Exception {
        Path sa = Files.createTempDirectory(api.dir, "sa");
        Files.writeString(sa.resolve("token"), "the-pods-token\n");
        LogApiConfig config = LogApiConfig.fromEnvironment(Map.of("KUBERNETES_SERVICE_HOST", "127.0.0.1",
                "KUBERNETES_SERVICE_PORT", String.valueOf(api.server.address().getPort()),
                "LOGAPI_SERVICEACCOUNT_DIR", sa.toString(), "POD_IP", "127.0.0.1"), List.of("--port=0"), "1.0");
        ClusterAccess access = config.cluster().orElseThrow();
        assertThat(access.server().toString()).isEqualTo(api.url);
        assertThat(access.bearerToken()).isEqualTo("the-pods-token");
        try (LogApi inPod = new LogApi(config, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).start()) {
            HttpResponse<String> r = Http.get("http://127.0.0.1:" + inPod.address().getPort() + "/api/log/events?namespace=demo");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(json(r).path("events").isArray()).isTrue();
        }
    }
}
