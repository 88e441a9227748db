package io.kubeha.apiserver.openapi;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.kubeha.apiserver.api.Json;
import io.kubeha.apiserver.registry.ResourceType;
import io.kubeha.apiserver.registry.Resources;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Just enough of kube-apiserver for kubectl to run against {@link OpenApi}'s documents: version, legacy
 * discovery built from the registry, the OpenAPI endpoints, and an in-memory object store that answers
 * GET/POST/PATCH on object URLs (PATCH does not apply the patch: the tests only look at what kubectl sends).
 * Every request is recorded. Plain HTTP on 127.0.0.1, port chosen by the kernel.
 */
final class FakeApiServer implements AutoCloseable {
    /** One request as kubectl sent it. */
    record Request(String method, String uri, String accept, String contentType, String body) {}

    private final Resources resources;
    private final OpenApi openApi;
    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final Map<String, ObjectNode> objects = new ConcurrentHashMap<>();
    private final List<Request> requests = new CopyOnWriteArrayList<>();

    FakeApiServer(Resources resources) throws IOException {
        this.resources = resources;
        this.openApi = new OpenApi(resources);
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    List<Request> requests() {
        return List.copyOf(requests);
    }

    /** A kubeconfig for this server, written to {@code file}. */
    Path kubeconfig(Path file) throws IOException {
        Files.writeString(file, """
                apiVersion: v1
                kind: Config
                clusters:
                - name: fake
                  cluster:
                    server: %s
                contexts:
                - name: fake
                  context:
                    cluster: fake
                    user: nobody
                    namespace: default
                current-context: fake
                users:
                - name: nobody
                  user: {}
                """.formatted(url()));
        return file;
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            String method = ex.getRequestMethod();
            String path = ex.getRequestURI().getPath();
            requests.add(new Request(method, ex.getRequestURI().toString(), ex.getRequestHeaders().getFirst("Accept"),
                    ex.getRequestHeaders().getFirst("Content-Type"), body));
            if (path.equals("/openapi/v2")) {
                boolean proto = OpenApi.acceptsV2Protobuf(ex.getRequestHeaders().getFirst("Accept"));
                send(ex, 200, proto ? OpenApi.V2_PROTOBUF_TYPE : OpenApi.JSON_TYPE, proto ? openApi.v2Protobuf() : openApi.v2());
                return;
            }
            if (path.equals("/openapi/v3")) {
                send(ex, 200, OpenApi.JSON_TYPE, openApi.v3Discovery());
                return;
            }
            if (path.startsWith("/openapi/v3/")) {
                Optional<byte[]> doc = openApi.v3(path.substring("/openapi/v3/".length()));
                if (doc.isPresent()) send(ex, 200, OpenApi.JSON_TYPE, doc.get());
                else notFound(ex);
                return;
            }
            JsonNode answer = switch (path) {
                case "/version" -> Json.object().put("major", "1").put("minor", "33").put("gitVersion", "v1.33.0")
                        .put("platform", "linux/amd64");
                case "/api" -> apiVersions();
                case "/apis" -> apiGroups();
                default -> resourceList(path);
            };
            if (answer != null) {
                send(ex, 200, OpenApi.JSON_TYPE, Json.bytes(answer));
                return;
            }
            objects(ex, method, path, body);
        }
    }

    private JsonNode apiVersions() {
        ObjectNode v = Json.object().put("kind", "APIVersions");
        v.putArray("versions").add("v1");
        v.putArray("serverAddressByClientCIDRs").addObject().put("clientCIDR", "0.0.0.0/0").put("serverAddress", "127.0.0.1");
        return v;
    }

    private JsonNode apiGroups() {
        ObjectNode list = Json.object().put("kind", "APIGroupList").put("apiVersion", "v1");
        ArrayNode groups = list.putArray("groups");
        for (Map.Entry<String, List<String>> g : resources.groups().entrySet()) {
            if (g.getKey().isEmpty()) continue;
            ObjectNode group = groups.addObject().put("name", g.getKey());
            ArrayNode versions = group.putArray("versions");
            for (String v : g.getValue()) versions.addObject().put("groupVersion", g.getKey() + "/" + v).put("version", v);
            String preferred = g.getValue().getFirst();
            group.putObject("preferredVersion").put("groupVersion", g.getKey() + "/" + preferred).put("version", preferred);
        }
        return list;
    }

    /** The APIResourceList of /api/v1 or /apis/G/V, or null when {@code path} is not a group-version. */
    private JsonNode resourceList(String path) {
        String[] p = path.substring(1).split("/");
        String groupVersion;
        if (p.length == 2 && p[0].equals("api")) groupVersion = p[1];
        else if (p.length == 3 && p[0].equals("apis")) groupVersion = p[1] + "/" + p[2];
        else return null;
        ObjectNode list = Json.object().put("kind", "APIResourceList").put("apiVersion", "v1").put("groupVersion", groupVersion);
        ArrayNode out = list.putArray("resources");
        boolean any = false;
        for (ResourceType t : resources.all()) {
            if (!t.apiVersion().equals(groupVersion)) continue;
            any = true;
            ObjectNode r = out.addObject().put("name", t.resource()).put("singularName", t.singular())
                    .put("namespaced", t.namespaced()).put("kind", t.kind());
            t.verbs().forEach(r.putArray("verbs")::add);
            if (!t.shortNames().isEmpty()) t.shortNames().forEach(r.putArray("shortNames")::add);
            if (!t.categories().isEmpty()) t.categories().forEach(r.putArray("categories")::add);
            for (String sub : t.subresources().stream().sorted().toList()) {
                ObjectNode s = out.addObject().put("name", t.resource() + "/" + sub).put("singularName", "")
                        .put("namespaced", t.namespaced()).put("kind", t.kind());
                s.putArray("verbs").add("get").add("patch").add("update");
            }
        }
        return any ? list : null;
    }

    private void objects(HttpExchange ex, String method, String path, String body) throws IOException {
        switch (method) {
            case "GET", "PATCH" -> {
                ObjectNode o = objects.get(path);
                if (o == null) notFound(ex);
                else send(ex, 200, OpenApi.JSON_TYPE, Json.bytes(o));
            }
            case "POST" -> {
                ObjectNode o = (ObjectNode) Json.MAPPER.readTree(body);
                ObjectNode meta = (ObjectNode) o.get("metadata");
                meta.put("uid", UUID.randomUUID().toString()).put("resourceVersion", "1")
                        .put("creationTimestamp", "2025-01-01T00:00:00Z");
                objects.put(path + "/" + meta.get("name").asString(), o);
                send(ex, 201, OpenApi.JSON_TYPE, Json.bytes(o));
            }
            default -> notFound(ex);
        }
    }

    private static void notFound(HttpExchange ex) throws IOException {
        ObjectNode status = Json.object().put("kind", "Status").put("apiVersion", "v1").put("status", "Failure")
                .put("message", "the server could not find the requested resource").put("reason", "NotFound").put("code", 404);
        send(ex, 404, OpenApi.JSON_TYPE, Json.bytes(status));
    }

    private static void send(HttpExchange ex, int code, String type, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(code, body.length);
        ex.getResponseBody().write(body);
    }
}
