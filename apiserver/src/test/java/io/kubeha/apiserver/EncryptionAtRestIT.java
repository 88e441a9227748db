package io.kubeha.apiserver;

import io.kubeha.apiserver.api.Json;
import io.kubeha.security.encryption.EncryptionConfig;
import io.kubeha.store.KeyValue;
import io.kubeha.store.Store;
import io.kubeha.store.StoreOptions;
import io.kubeha.store.embedded.EmbeddedStore;
import io.kubeha.testkit.Ports;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Secrets encrypted at rest (kube-apiserver's --encryption-provider-config), through the real API server on the
 * embedded store: the store holds aesgcm ciphertext, the API answers plain objects, a rotated key still reads old
 * values, and a server without the key answers a clear 500 for them without breaking lists or watches.
 */
class EncryptionAtRestIT {
    static final String KEY1 = Base64.getEncoder().encodeToString("0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII));
    static final String KEY2 = Base64.getEncoder().encodeToString("fedcba9876543210".getBytes(StandardCharsets.US_ASCII));
    static final String VALUE = "hunter2-very-secret";
    static final String VALUE_B64 = Base64.getEncoder().encodeToString(VALUE.getBytes(StandardCharsets.UTF_8));

    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
    Path dir;
    Store store;
    ApiServer server;
    String url;

    @BeforeEach
    void open() throws Exception {
        dir = Files.createTempDirectory("kubeha-encryption-test");
        store = EmbeddedStore.open(dir.resolve("store"), StoreOptions.DEFAULTS.withFsync(false));
    }

    @AfterEach
    void close() throws Exception {
        if (server != null) server.close();
        store.close();
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** An EncryptionConfiguration file encrypting secrets with these aesgcm keys ("name=base64", first writes). */
    EncryptionConfig aesgcm(boolean identityLast, String... keys) throws Exception {
        StringBuilder y = new StringBuilder("""
                apiVersion: apiserver.config.k8s.io/v1
                kind: EncryptionConfiguration
                resources:
                  - resources: [secrets]
                    providers:
                      - aesgcm:
                          keys:
                """);
        for (String k : keys) {
            String[] nv = k.split("=", 2);
            y.append("              - name: ").append(nv[0]).append("\n                secret: ").append(nv[1]).append('\n');
        }
        if (identityLast) y.append("      - identity: {}\n");
        Path file = Files.createTempFile(dir, "encryption", ".yaml");
        Files.writeString(file, y.toString());
        return EncryptionConfig.load(file);
    }

    void start(EncryptionConfig encryption) throws Exception {
        int port = server != null ? server.address().getPort() : Ports.free(InetAddress.getLoopbackAddress());
        if (server != null) server.close();
        server = new ApiServer(store, ApiServerConfig.of(new InetSocketAddress("127.0.0.1", port)).withEncryption(encryption)).start();
        url = "http://127.0.0.1:" + server.address().getPort();
    }

    HttpResponse<String> send(String method, String path, String body) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(20));
        r.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json");
        return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    JsonNode call(String method, String path, String body, int expect) throws Exception {
        HttpResponse<String> resp = send(method, path, body);
        assertThat(resp.statusCode()).as(method + " " + path + ": " + resp.body()).isEqualTo(expect);
        return Json.MAPPER.readTree(resp.body());
    }

    JsonNode createSecret(String name) throws Exception {
        return call("POST", "/api/v1/namespaces/default/secrets", """
                {"apiVersion":"v1","kind":"Secret","metadata":{"name":"%s"},"data":{"password":"%s"}}""".formatted(name, VALUE_B64), 201);
    }

    byte[] raw(String key) {
        return store.get(key).map(KeyValue::value).orElseThrow(() -> new AssertionError("no " + key + " in the store"));
    }

    static String text(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    /** The events of a watch that the server ends after {@code seconds}. */
    List<JsonNode> watch(String path, int seconds) throws Exception {
        HttpResponse<String> resp = send("GET", path + (path.contains("?") ? "&" : "?") + "watch=true&timeoutSeconds=" + seconds, null);
        assertThat(resp.statusCode()).as(resp.body()).isEqualTo(200);
        List<JsonNode> events = new ArrayList<>();
        for (String line : resp.body().split("\n")) if (!line.isBlank()) events.add(Json.MAPPER.readTree(line));
        return events;
    }

    @Test
    void secretsAreStoredEncryptedAndServedPlainConfigMapsStayPlain() throws Exception {
        start(aesgcm(false, "key1=" + KEY1));
        JsonNode created = createSecret("s1");
        assertThat(created.path("data").path("password").asString()).isEqualTo(VALUE_B64);

        byte[] stored = raw("/registry/core/secrets/default/s1");
        assertThat(text(stored)).startsWith("k8s:enc:aesgcm:v1:key1:");
        assertThat(text(stored)).doesNotContain(VALUE_B64).doesNotContain(VALUE).doesNotContain("\"password\"");

        // get (from the store), list (from the store and from the watch cache), watch (cache replay and a live event)
        assertThat(call("GET", "/api/v1/namespaces/default/secrets/s1", null, 200).path("data").path("password").asString())
                .isEqualTo(VALUE_B64);
        for (String list : List.of("/api/v1/namespaces/default/secrets", "/api/v1/namespaces/default/secrets?resourceVersion=0")) {
            JsonNode items = call("GET", list, null, 200).path("items");
            assertThat(items).as(list).anySatisfy(i -> {
                assertThat(i.path("metadata").path("name").asString()).isEqualTo("s1");
                assertThat(i.path("data").path("password").asString()).isEqualTo(VALUE_B64);
            });
        }
        List<JsonNode> replay = watch("/api/v1/namespaces/default/secrets?resourceVersion=0", 1);
        assertThat(replay).anySatisfy(e -> {
            assertThat(e.path("type").asString()).isEqualTo("ADDED");
            assertThat(e.path("object").path("metadata").path("name").asString()).isEqualTo("s1");
            assertThat(e.path("object").path("data").path("password").asString()).isEqualTo(VALUE_B64);
        });
        String rv = created.path("metadata").path("resourceVersion").asString();
        Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(300);
                createSecret("s2");
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        List<JsonNode> live = watch("/api/v1/namespaces/default/secrets?resourceVersion=" + rv, 3);
        assertThat(live).anySatisfy(e -> {
            assertThat(e.path("type").asString()).isEqualTo("ADDED");
            assertThat(e.path("object").path("metadata").path("name").asString()).isEqualTo("s2");
            assertThat(e.path("object").path("data").path("password").asString()).isEqualTo(VALUE_B64);
        });
        assertThat(text(raw("/registry/core/secrets/default/s2"))).startsWith("k8s:enc:aesgcm:v1:key1:");

        // the same ciphertext under another key (the authenticated data) does not read: kube's protection against swaps
        store.create("/registry/core/secrets/default/moved", stored);
        HttpResponse<String> moved = send("GET", "/api/v1/namespaces/default/secrets/moved", null);
        assertThat(moved.statusCode()).as(moved.body()).isEqualTo(500);

        call("POST", "/api/v1/namespaces/default/configmaps", """
                {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c1"},"data":{"k":"plain-config-value"}}""", 201);
        String cm = text(raw("/registry/core/configmaps/default/c1"));
        assertThat(cm).startsWith("{").contains("plain-config-value").doesNotContain("k8s:enc:");
        assertThat(call("GET", "/api/v1/namespaces/default/configmaps/c1", null, 200).path("data").path("k").asString())
                .isEqualTo("plain-config-value");
    }

    @Test
    void aServerWithTheKeyRotatedStillReadsTheOldSecretAndAWriteReEncryptsIt() throws Exception {
        start(aesgcm(false, "key1=" + KEY1));
        createSecret("old");
        assertThat(text(raw("/registry/core/secrets/default/old"))).startsWith("k8s:enc:aesgcm:v1:key1:");

        start(aesgcm(false, "key2=" + KEY2, "key1=" + KEY1));
        assertThat(call("GET", "/api/v1/namespaces/default/secrets/old", null, 200).path("data").path("password").asString())
                .isEqualTo(VALUE_B64);
        assertThat(call("GET", "/api/v1/namespaces/default/secrets?resourceVersion=0", null, 200).path("items"))
                .anySatisfy(i -> assertThat(i.path("data").path("password").asString()).isEqualTo(VALUE_B64));
        createSecret("new");
        assertThat(text(raw("/registry/core/secrets/default/new"))).startsWith("k8s:enc:aesgcm:v1:key2:");

        // kube's rotation step: rewrite every secret (an unchanged replace) and it is stored under the new key
        JsonNode old = call("GET", "/api/v1/namespaces/default/secrets/old", null, 200);
        call("PUT", "/api/v1/namespaces/default/secrets/old", Json.MAPPER.writeValueAsString(old), 200);
        assertThat(text(raw("/registry/core/secrets/default/old"))).startsWith("k8s:enc:aesgcm:v1:key2:");

        start(aesgcm(false, "key2=" + KEY2)); // key1 dropped: both still read
        for (String name : List.of("old", "new")) {
            assertThat(call("GET", "/api/v1/namespaces/default/secrets/" + name, null, 200).path("data").path("password").asString())
                    .isEqualTo(VALUE_B64);
        }
    }

    @Test
    void aServerWithoutTheKeyAnswersAClearErrorAndStillServesTheRest() throws Exception {
        start(aesgcm(true, "key1=" + KEY1));
        createSecret("locked");

        start(EncryptionConfig.identity());
        long t0 = System.nanoTime();
        HttpResponse<String> get = send("GET", "/api/v1/namespaces/default/secrets/locked", null);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
        assertThat(get.statusCode()).as(get.body()).isEqualTo(500);
        JsonNode status = Json.MAPPER.readTree(get.body());
        assertThat(status.path("kind").asString()).isEqualTo("Status");
        assertThat(status.path("reason").asString()).isEqualTo("InternalError");
        assertThat(status.path("message").asString()).contains("/registry/core/secrets/default/locked");

        // a new (plain) secret is served; lists and watches skip the unreadable one instead of failing
        call("POST", "/api/v1/namespaces/default/secrets", """
                {"apiVersion":"v1","kind":"Secret","metadata":{"name":"plain"},"stringData":{"a":"b"}}""", 201);
        for (String list : List.of("/api/v1/namespaces/default/secrets", "/api/v1/namespaces/default/secrets?resourceVersion=0")) {
            JsonNode items = call("GET", list, null, 200).path("items");
            List<String> names = new ArrayList<>();
            items.forEach(i -> names.add(i.path("metadata").path("name").asString()));
            assertThat(names).as(list).contains("plain").doesNotContain("locked");
        }
        List<JsonNode> events = watch("/api/v1/namespaces/default/secrets?resourceVersion=0", 1);
        assertThat(events).extracting(e -> e.path("object").path("metadata").path("name").asString())
                .contains("plain").doesNotContain("locked");
        HttpResponse<String> delete = send("DELETE", "/api/v1/namespaces/default/secrets/locked", null);
        assertThat(delete.statusCode()).as(delete.body()).isEqualTo(500);

        // the key back: the value was never touched
        start(aesgcm(true, "key1=" + KEY1));
        assertThat(call("GET", "/api/v1/namespaces/default/secrets/locked", null, 200).path("data").path("password").asString())
                .isEqualTo(VALUE_B64);
    }
}
