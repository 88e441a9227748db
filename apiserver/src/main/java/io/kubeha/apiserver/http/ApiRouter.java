package io.kubeha.apiserver.http;

import io.kubeha.apiserver.api.ApiException;
import io.kubeha.apiserver.api.Json;
import io.kubeha.apiserver.registry.ResourceType;
import io.kubeha.apiserver.registry.Resources;
import io.kubeha.store.Health;
import io.kubeha.store.Store;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.node.ObjectNode;

import io.kubeha.apiserver.openapi.OpenApi;
import io.kubeha.apiserver.storage.WatchEventType;
import io.kubeha.apiserver.table.TableOptions;
import io.kubeha.apiserver.table.Tables;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Routes every HTTP request: health and version, discovery, and the resource API
 * ({@code /api/v1/...}, {@code /apis/GROUP/VERSION/...}). Every failure leaves as a Status; nothing else
 * (no stack trace, no 500 for a client's mistake) reaches the client.
 */
public final class ApiRouter {
    private static final Logger log = LoggerFactory.getLogger(ApiRouter.class);

    private final Resources resources;
    private final Map<ResourceType, ResourceHandler> handlers;
    private final Discovery discovery;
    private final Store store;
    private final String serverAddress;
    private final Subresources subresources;
    private final Metrics metrics;
    private final OpenApi openApi;
    private final Clock clock;
    private final Gate gate;
    private final Reviews reviews;
    private volatile io.kubeha.security.audit.AuditLog audit;

    ApiRouter(Resources resources, Map<ResourceType, ResourceHandler> handlers, Store store, String serverAddress, Metrics metrics,
              OpenApi openApi, Clock clock, Gate gate, AgentClient agents) {
        this.resources = resources;
        this.handlers = handlers;
        this.discovery = new Discovery(resources);
        this.store = store;
        this.serverAddress = serverAddress;
        this.subresources = new Subresources(handlers, gate == null || gate.tokens() == null ? null
                : new TokenRequests(gate.tokens(), gate.authentication().audiences(), handlers, clock), agents);
        this.metrics = metrics;
        this.openApi = openApi;
        this.clock = clock;
        this.gate = gate;
        this.reviews = gate == null ? null : new Reviews(gate, gate.rbac());
    }

    /** Writes every request to this audit log from now on (kube-apiserver's --audit-log-path). */
    public void audit(io.kubeha.security.audit.AuditLog log) {
        this.audit = log;
    }

    /** Serves one request on the calling (virtual) thread; whatever fails leaves as a Status. */
    public void handle(org.eclipse.jetty.server.Request request, org.eclipse.jetty.server.Response response) {
        Request req = new Request(request, response);
        long start = System.nanoTime();
        java.time.Instant received = java.time.Instant.now(clock);
        ApiException failed = null;
        try {
            try {
                if (gate != null) gate.admit(req);
                route(req);
            } catch (ApiException e) {
                failed = e;
                if (req.committed()) throw e;
                Response.error(req, e);
            } catch (RuntimeException e) {
                failed = ApiException.internal(e.toString());
                if (req.committed()) throw e;
                log.error("{} {} failed", req.method(), req.path(), e);
                Response.error(req, failed);
            }
        } catch (IOException | RuntimeException e) {
            // the answer had started (a watch, a log) or the client went away: nothing more can be said to it
            log.debug("{} {} ended: {}", req.method(), req.path(), e.toString());
        } finally {
            metrics.record(req.verb(), req.resource(), req.code(), System.nanoTime() - start);
            if (audit != null) audit(req, received, failed);
        }
    }

    /** One audit.k8s.io Event per request, as kube-apiserver's audit log writes them at ResponseComplete. */
    private void audit(Request req, java.time.Instant received, ApiException failed) {
        try {
            io.kubeha.security.auth.UserInfo sender = req.authenticatedUser() != null ? req.authenticatedUser()
                    : io.kubeha.security.auth.UserInfo.ANONYMOUS;
            io.kubeha.security.auth.UserInfo acting = req.user();
            io.kubeha.security.auth.Attributes a = req.attributes() != null ? req.attributes() : Gate.attributes(req, sender);
            boolean forbidden = failed != null && failed.code() == 403;
            boolean impersonating = acting != null && !acting.name().equals(sender.name());
            audit.record(new io.kubeha.security.audit.AuditRecord(null, a.verb(), req.requestUri(), sender.name(), sender.uid(), sender.groups(),
                    sender.extra(), impersonating ? acting.name() : null, impersonating ? acting.groups() : null,
                    java.util.List.of(req.remoteAddress()), req.header("User-Agent"), a.apiGroup(), a.apiVersion(), a.resource(), a.subresource(),
                    a.namespace(), a.name(), a.resourceRequest(), req.code(), failed == null ? null : failed.reason(),
                    failed == null ? null : failed.getMessage(), null, null, received, java.time.Instant.now(clock),
                    req.authenticatedUser() == null ? null : forbidden ? "forbid" : "allow", null));
        } catch (RuntimeException e) {
            log.warn("audit: {}", e.toString());
        }
    }

    private void route(Request req) throws IOException {
        String path = req.path();
        switch (path) {
            case "/healthz", "/livez" -> {
                Response.text(req, 200, "ok");
                return;
            }
            case "/readyz" -> {
                Health h = store.health();
                if (h.healthy()) Response.text(req, 200, "ok");
                else Response.text(req, 500, "[-]etcd failed: " + h.detail() + "\nreadyz check failed\n");
                return;
            }
            case "/version", "/version/" -> {
                ObjectNode v = Json.object();
                v.put("major", "1");
                v.put("minor", "33");
                v.put("gitVersion", "v1.33.0-kubeha");
                v.put("gitCommit", "");
                v.put("gitTreeState", "clean");
                v.put("buildDate", "");
                v.put("goVersion", "java" + Runtime.version().feature());
                v.put("compiler", "javac");
                v.put("platform", System.getProperty("os.name").toLowerCase() + "/" + ("amd64".equals(System.getProperty("os.arch")) ? "amd64" : System.getProperty("os.arch")));
                Response.object(req, 200, v);
                return;
            }
            case "/metrics" -> {
                Response.send(req, 200, "text/plain; version=0.0.4; charset=utf-8",
                        metrics.scrape().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                return;
            }
            case "/openapi/v2" -> {
                if (OpenApi.acceptsV2Protobuf(req.header("Accept"))) {
                    Response.send(req, 200, OpenApi.V2_PROTOBUF_TYPE, openApi.v2Protobuf());
                } else {
                    Response.send(req, 200, OpenApi.JSON_TYPE, openApi.v2());
                }
                return;
            }
            case "/openapi/v3", "/openapi/v3/" -> {
                Response.send(req, 200, OpenApi.JSON_TYPE, openApi.v3Discovery());
                return;
            }
            case "/api", "/api/" -> {
                Response.object(req, 200, discovery.apiVersions(serverAddress));
                return;
            }
            case "/apis", "/apis/" -> {
                Response.object(req, 200, discovery.groupList());
                return;
            }
            default -> { }
        }
        if (path.startsWith("/openapi/v3/")) {
            byte[] doc = openApi.v3(path.substring("/openapi/v3/".length())).orElseThrow(ApiRouter::notFound);
            req.setHeader("Etag", "\"" + openApi.v3Hash(path.substring("/openapi/v3/".length())).orElse("") + "\"");
            Response.send(req, 200, OpenApi.JSON_TYPE, doc);
            return;
        }
        List<String> parts = Arrays.stream(path.split("/")).filter(s -> !s.isEmpty()).toList();
        if (reviews != null && reviews.handle(req, parts)) return;
        if (parts.size() >= 2 && parts.get(0).equals("api")) {
            resource(req, "", parts.get(1), parts.subList(2, parts.size()));
            return;
        }
        if (parts.size() >= 2 && parts.get(0).equals("apis")) {
            if (parts.size() == 2) {
                ObjectNode g = discovery.group(parts.get(1));
                if (g == null) throw notFound();
                Response.object(req, 200, g);
                return;
            }
            resource(req, parts.get(1), parts.get(2), parts.subList(3, parts.size()));
            return;
        }
        throw notFound();
    }

    /**
     * The Table a client asked for in its Accept header ({@code application/json;as=Table;v=v1;g=meta.k8s.io}),
     * or null when it wants objects.
     */
    static TableOptions tableRequested(Request req) {
        String accept = req.header("Accept");
        if (accept == null || !accept.contains("as=Table")) return null;
        for (String range : accept.split(",")) {
            if (!range.contains("as=Table") || !range.contains("g=meta.k8s.io")) continue;
            String version = range.contains("v=v1beta1") ? TableOptions.META_V1BETA1 : TableOptions.META_V1;
            return TableOptions.of(req.query("includeObject")).withApiVersion(version);
        }
        return null;
    }

    /** A watch stream of Table rows: the first event carries the column definitions, later ones do not. */
    private ResourceHandler.EventEncoder tableEvents(ResourceType type, TableOptions options) {
        ResourceHandler.EventEncoder json = ResourceHandler.jsonEvents();
        return new ResourceHandler.EventEncoder() {
            private boolean headersSent;

            @Override
            public String contentType() {
                return "application/json";
            }

            @Override
            public byte[] event(WatchEventType t, ObjectNode object) {
                if (t == WatchEventType.BOOKMARK || t == WatchEventType.ERROR) return json.event(t, object);
                ObjectNode row = Tables.tableOf(type.qualifiedResource(), object, options.withNoHeaders(headersSent), Instant.now(clock));
                headersSent = true;
                return json.event(t, row);
            }
        };
    }

    /** kube-apiserver's verb names for metrics: GET, LIST, WATCH, POST, PUT, PATCH, DELETE, DELETECOLLECTION. */
    private static String verb(Request req, RequestInfo info) {
        return switch (req.method()) {
            case "GET" -> info.name() != null ? "GET" : req.flag("watch") ? "WATCH" : "LIST";
            case "DELETE" -> info.name() != null ? "DELETE" : "DELETECOLLECTION";
            default -> req.method();
        };
    }

    private static ApiException notFound() {
        return new ApiException(404, "NotFound", "the server could not find the requested resource", null);
    }

    private void resource(Request req, String group, String version, List<String> rest) throws IOException {
        if (rest.isEmpty()) {
            ObjectNode list = discovery.resourceList(group, version);
            if (list == null) throw notFound();
            Response.object(req, 200, list);
            return;
        }
        RequestInfo info = RequestInfo.parse(group, version, rest);
        if (info == null) throw notFound();
        ResourceType type = resources.find(group, version, info.resource()).orElseThrow(ApiRouter::notFound);
        ResourceHandler h = handlers.get(type);
        String ns = info.namespace();
        req.describe(verb(req, info), info.subresource() == null ? type.qualifiedResource() : type.qualifiedResource() + "/" + info.subresource());
        if (type.namespaced() && ns == null && info.name() != null) throw notFound();
        if (!type.namespaced() && ns != null && !type.resource().equals("namespaces")) throw notFound();
        String method = req.method();
        if (info.subresource() != null) {
            if (!type.has(info.subresource())) throw notFound();
            subresources.handle(req, h, info, method);
            return;
        }
        TableOptions table = tableRequested(req);
        switch (method) {
            case "GET" -> {
                if (info.name() != null) {
                    ObjectNode obj = h.get(ns, info.name());
                    Response.object(req, 200, table == null ? obj : Tables.tableOf(type.qualifiedResource(), obj, table, Instant.now(clock)));
                } else if (req.flag("watch")) {
                    h.watch(req, ns, table == null ? ResourceHandler.events(req) : tableEvents(type, table));
                } else {
                    ObjectNode list = h.list(req, ns);
                    if (table != null) {
                        List<JsonNode> items = new java.util.ArrayList<>();
                        list.get("items").forEach(items::add);
                        list = Tables.table(type.qualifiedResource(), items, table, list.get("metadata"), Instant.now(clock));
                    }
                    Response.object(req, 200, list);
                }
            }
            case "POST" -> {
                if (info.name() != null) throw ApiException.methodNotSupported(type.group(), type.resource(), "create");
                if (type.namespaced() && ns == null) throw notFound();
                Response.object(req, 201, h.create(req, ns));
            }
            case "PUT" -> {
                if (info.name() == null) throw ApiException.methodNotSupported(type.group(), type.resource(), "update");
                Response.object(req, 200, h.update(req, ns, info.name(), null));
            }
            case "PATCH" -> {
                if (info.name() == null) throw ApiException.methodNotSupported(type.group(), type.resource(), "patch");
                Response.object(req, 200, subresources.patch(req, h, ns, info.name(), null));
            }
            case "DELETE" -> {
                if (info.name() != null) Response.object(req, 200, h.delete(req, ns, info.name()));
                else Response.object(req, 200, h.deleteCollection(req, ns));
            }
            default -> throw new ApiException(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", null);
        }
    }
}
