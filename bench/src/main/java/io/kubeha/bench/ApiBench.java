package io.kubeha.bench;

import io.kubeha.apiserver.ApiServer;
import io.kubeha.store.Store;
import io.kubeha.testkit.Ports;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The API benchmark: create, get, update, list and watch-delivery through one API server (in this process,
 * over real HTTP on loopback) on a given store, as a client library would drive it. Compared with the store
 * benchmark's figures on the same store, it gives the API layer's cost.
 */
public final class ApiBench {
    /** @param objects ConfigMaps created (then read and updated); {@code listObjects} in the listed namespace */
    public record Config(int objects, int gets, int lists, int listObjects, int watchEvents, int concurrency, int valueBytes) {
        public static Config defaults() {
            return new Config(5_000, 10_000, 100, 1_000, 3_000, 16, 1_024);
        }
    }

    private final Config config;
    private final PrintStream progress;
    private final Phases phases;
    private HttpClient http = plainClient();

    private static HttpClient plainClient() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
    }

    public ApiBench(Config config, PrintStream progress) {
        this.config = config;
        this.progress = progress;
        this.phases = new Phases(config.concurrency(), progress);
    }

    public List<Phases.Result> run(String name, Store store) throws Exception {
        return run(name, store, false);
    }

    /**
     * With {@code secure}: HTTPS with HTTP/2 (what kubectl and client-go negotiate), the client authenticated by its
     * certificate as a user who is not in system:masters, so that every request walks RBAC's bindings (a
     * ClusterRoleBinding to cluster-admin among the bootstrap policy's), as an application's client would.
     */
    public List<Phases.Result> run(String name, Store store, boolean secure) throws Exception {
        InetAddress lo = InetAddress.getLoopbackAddress();
        java.nio.file.Path pkiDir = secure ? java.nio.file.Files.createTempDirectory("kubeha-bench-pki-") : null;
        io.kubeha.apiserver.ApiServerConfig serverConfig = io.kubeha.apiserver.ApiServerConfig.of(new InetSocketAddress(lo, Ports.free(lo)));
        io.kubeha.security.pki.Pki pki = null;
        if (secure) {
            pki = io.kubeha.security.pki.Pki.loadOrCreate(pkiDir, io.kubeha.security.pki.PkiOptions.defaults()
                    .withSans(List.of("localhost"), List.of(lo)));
            char[] pw = "bench".toCharArray();
            serverConfig = serverConfig.withSecurity(io.kubeha.apiserver.ApiSecurity.of(
                    new io.kubeha.apiserver.ServingTls(pki.servingKeyStore(pw), pw, List.of(pki.caCert())), pki.serviceAccountKeys()));
        }
        try (ApiServer server = new ApiServer(store, serverConfig).start()) {
            String base = server.url();
            if (secure) {
                http = tlsClient(pki, pki.issueClient("kubernetes-admin", List.of("system:masters"), Duration.ofHours(1)));
                send("POST", base + "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", """
                        {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":"kubeha-bench"},
                         "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cluster-admin"},
                         "subjects":[{"apiGroup":"rbac.authorization.k8s.io","kind":"User","name":"kubeha-bench"}]}""", 201);
                http = tlsClient(pki, pki.issueClient("kubeha-bench", List.of(), Duration.ofHours(1)));
                name = name + " TLS+RBAC";
            } else {
                http = plainClient();
            }
            String run = Long.toHexString(System.nanoTime());
            String ns = "bench-" + run;
            String listNs = "bench-list-" + run;
            String watchNs = "bench-watch-" + run;
            for (String n : List.of(ns, listNs, watchNs)) {
                send("POST", base + "/api/v1/namespaces", "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"" + n + "\"}}", 201);
            }
            String value = "x".repeat(config.valueBytes());
            String target = name + " via API";
            List<Phases.Result> results = new ArrayList<>();

            progress.printf("  %s: warming up%n", target);
            int warm = Math.min(1_000, config.objects());
            phases.parallel(warm, i -> send("POST", base + "/api/v1/namespaces/" + ns + "/configmaps", configMap("warm-" + i, value, null), 201));
            phases.parallel(warm, i -> send("GET", base + "/api/v1/namespaces/" + ns + "/configmaps/warm-" + i, null, 200));

            AtomicLongArray versions = new AtomicLongArray(config.objects());
            results.add(phases.timed(target, "create", config.objects(), i -> versions.set(i,
                    resourceVersion(send("POST", base + "/api/v1/namespaces/" + ns + "/configmaps", configMap("cm-" + i, value, null), 201)))));
            results.add(phases.timed(target, "get", config.gets(), i -> send("GET", base + "/api/v1/namespaces/" + ns
                    + "/configmaps/cm-" + ThreadLocalRandom.current().nextInt(config.objects()), null, 200)));
            results.add(phases.timed(target, "update", config.objects(), i -> send("PUT", base + "/api/v1/namespaces/" + ns
                    + "/configmaps/cm-" + i, configMap("cm-" + i, value + "2", Long.toString(versions.get(i))), 200)));

            progress.printf("  %s: loading %d objects to list%n", target, config.listObjects());
            phases.parallel(config.listObjects(), i -> send("POST", base + "/api/v1/namespaces/" + listNs + "/configmaps",
                    configMap("l-" + i, value, null), 201));
            results.add(phases.timed(target, "list " + config.listObjects(), config.lists(), i -> {
                String body = send("GET", base + "/api/v1/namespaces/" + listNs + "/configmaps", null, 200);
                if (body.length() < config.listObjects() * config.valueBytes()) throw new IllegalStateException("short list");
            }));
            results.add(phases.timed(target, "list " + config.listObjects() + " (rv=0, watch cache)", config.lists(), i ->
                    send("GET", base + "/api/v1/namespaces/" + listNs + "/configmaps?resourceVersion=0", null, 200)));
            results.add(watchPhase(target, base, watchNs, value));
            return results;
        } finally {
            if (pkiDir != null) {
                try (var files = java.nio.file.Files.walk(pkiDir)) {
                    files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                }
            }
        }
    }

    private static HttpClient tlsClient(io.kubeha.security.pki.Pki pki, io.kubeha.security.pki.CertAndKey me) throws Exception {
        return TlsClient.of(pki.caCert(), me.cert(), me.key(), HttpClient.Version.HTTP_2);
    }

    private Phases.Result watchPhase(String target, String base, String ns, String value) throws Exception {
        int n = config.watchEvents();
        Map<String, Long> started = new ConcurrentHashMap<>();
        org.HdrHistogram.Histogram h = new org.HdrHistogram.ConcurrentHistogram(3);
        CountDownLatch all = new CountDownLatch(n);
        AtomicLong seen = new AtomicLong();
        String list = send("GET", base + "/api/v1/namespaces/" + ns + "/configmaps", null, 200);
        HttpResponse<java.io.InputStream> watch = http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/namespaces/" + ns
                + "/configmaps?watch=1&resourceVersion=" + resourceVersion(list))).build(), HttpResponse.BodyHandlers.ofInputStream());
        Thread reader = Thread.ofVirtual().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(watch.body(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    int i = line.indexOf("\"name\":\"w-");
                    if (i < 0) continue;
                    String key = line.substring(i + 8, line.indexOf('"', i + 8));
                    Long t0 = started.remove(key);
                    if (t0 != null) {
                        h.recordValue((System.nanoTime() - t0) / 1_000);
                        seen.incrementAndGet();
                        all.countDown();
                    }
                }
            } catch (Exception ignored) {
                // the watch was closed
            }
        });
        try {
            long start = System.nanoTime();
            try (Phases.Progress p = phases.progress(target + " watch", n, seen)) {
                phases.parallel(n, i -> {
                    started.put("w-" + i, System.nanoTime());
                    send("POST", base + "/api/v1/namespaces/" + ns + "/configmaps", configMap("w-" + i, value, null), 201);
                });
                if (!all.await(120, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("the watch delivered " + seen.get() + " of " + n + " events within 120 s");
                }
            }
            double secs = (System.nanoTime() - start) / 1e9;
            return new Phases.Result(target, "watch delivery", n, secs, h.getValueAtPercentile(50), h.getValueAtPercentile(99));
        } finally {
            watch.body().close();
            reader.interrupt();
        }
    }

    private static String configMap(String name, String value, String rv) {
        return "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"" + name + "\""
                + (rv == null ? "" : ",\"resourceVersion\":\"" + rv + "\"") + "},\"data\":{\"v\":\"" + value + "\"}}";
    }

    private static long resourceVersion(String json) {
        int i = json.indexOf("\"resourceVersion\":\"") + 19;
        return Long.parseLong(json.substring(i, json.indexOf('"', i)));
    }

    private String send(String method, String url, String body, int expect) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60));
        if (body == null) r.method(method, HttpRequest.BodyPublishers.noBody());
        else r.method(method, HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json");
        HttpResponse<String> resp = http.send(r.build(), HttpResponse.BodyHandlers.ofString());
        if (resp.statusCode() != expect) {
            throw new IllegalStateException(method + " " + url + " answered " + resp.statusCode() + ": " + resp.body());
        }
        return resp.body();
    }
}
