package io.kubeha.apiserver.http;

import io.kubeha.apiserver.api.ApiException;
import io.kubeha.apiserver.api.Json;
import io.kubeha.apiserver.registry.ResourceType;
import io.kubeha.apiserver.storage.Obj;
import io.kubeha.apiserver.patch.ApplyOptions;
import io.kubeha.apiserver.patch.ManagedFields;
import io.kubeha.apiserver.patch.Patcher;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Iterator;
import java.util.Map;

/** PATCH, and the subresources: status, approval, scale, binding, eviction, log, finalize. */
final class Subresources {
    private final Map<ResourceType, ResourceHandler> handlers;

    private final TokenRequests tokens;
    private final AgentClient agents;

    Subresources(Map<ResourceType, ResourceHandler> handlers, TokenRequests tokens, AgentClient agents) {
        this.handlers = handlers;
        this.tokens = tokens;
        this.agents = agents;
    }

    void handle(Request req, ResourceHandler h, RequestInfo info, String method) throws IOException {
        String ns = info.namespace();
        String name = info.name();
        if (name == null) throw new ApiException(404, "NotFound", "the server could not find the requested resource", null);
        switch (info.subresource()) {
            case "status" -> {
                switch (method) {
                    case "GET" -> Response.object(req, 200, h.get(ns, name));
                    case "PUT" -> Response.object(req, 200, h.update(req, ns, name, "status"));
                    case "PATCH" -> Response.object(req, 200, patch(req, h, ns, name, "status"));
                    default -> throw ApiException.methodNotSupported(h.type().group(), h.type().resource() + "/status", method);
                }
            }
            case "approval" -> {
                // certificatesigningrequests/approval: the conditions of the status, as kube's approval strategy
                switch (method) {
                    case "GET" -> Response.object(req, 200, h.get(ns, name));
                    case "PUT" -> Response.object(req, 200, h.update(req, ns, name, "approval"));
                    case "PATCH" -> Response.object(req, 200, patch(req, h, ns, name, "approval"));
                    default -> throw ApiException.methodNotSupported(h.type().group(), h.type().resource() + "/approval", method);
                }
            }
            case "scale" -> scale(req, h, ns, name, method);
            case "binding" -> {
                if (!method.equals("POST")) throw ApiException.methodNotSupported("", "pods/binding", method);
                Response.object(req, 201, bind(req, h, ns, name));
            }
            case "eviction" -> {
                if (!method.equals("POST")) throw ApiException.methodNotSupported("policy", "pods/eviction", method);
                h.delete(req, ns, name);
                Response.object(req, 201, success());
            }
            case "log" -> {
                if (!method.equals("GET")) throw ApiException.methodNotSupported("", "pods/log", method);
                podLog(req, h, ns, name);
            }
            case "token" -> {
                if (!method.equals("POST")) throw ApiException.methodNotSupported("", "serviceaccounts/token", method);
                if (tokens == null) throw new ApiException(404, "NotFound", "this server issues no tokens (it runs without TLS)", null);
                Response.object(req, 201, tokens.request(req, h, ns, name));
            }
            case "finalize" -> {
                if (!method.equals("PUT")) throw ApiException.methodNotSupported("", "namespaces/finalize", method);
                Response.object(req, 200, h.finalizeNamespace(req, name));
            }
            default -> throw new ApiException(404, "NotFound", "the server could not find the requested resource", null);
        }
    }

    /**
     * pods/log: relayed from the node agent that runs the pod (its endpoint is in the Node's status: InternalIP
     * and daemonEndpoints.kubeletEndpoint.Port), streamed as it comes so that {@code kubectl logs -f} follows. Over
     * HTTPS with the server's kubelet client certificate when the server is secured ({@link AgentClient}); an agent
     * whose certificate the cluster CA did not sign (or not for the node's address) is refused with 503 and a message
     * that says so, as is one that cannot be reached.
     */
    private void podLog(Request req, ResourceHandler h, String ns, String name) throws IOException {
        ObjectNode pod = h.get(ns, name);
        List<String> names = new ArrayList<>();
        for (String list : new String[] {"containers", "initContainers"}) {
            for (JsonNode c : pod.path("spec").path(list)) names.add(c.path("name").asString(""));
        }
        String container = req.query("container");
        if (container == null || container.isEmpty()) {
            if (names.size() != 1) {
                throw ApiException.badRequest("a container name must be specified for pod " + name + ", choose one of: ["
                        + String.join(" ", names) + "]");
            }
            container = names.getFirst();
        } else if (!names.contains(container)) {
            throw ApiException.badRequest("container " + container + " is not valid for pod " + name);
        }
        String node = pod.path("spec").path("nodeName").asString("");
        if (node.isEmpty()) throw ApiException.badRequest("pod " + name + " does not have a host assigned");
        ResourceHandler nodes = handlers.entrySet().stream()
                .filter(e -> e.getKey().group().isEmpty() && e.getKey().resource().equals("nodes")).map(Map.Entry::getValue)
                .findFirst().orElseThrow();
        ObjectNode nodeObj;
        try {
            nodeObj = nodes.get("", node);
        } catch (ApiException e) {
            throw ApiException.badRequest("pod " + name + " runs on node " + node + ", which does not exist");
        }
        String ip = "";
        for (JsonNode a : nodeObj.path("status").path("addresses")) {
            if (a.path("type").asString("").equals("InternalIP")) ip = a.path("address").asString("");
        }
        int port = nodeObj.path("status").path("daemonEndpoints").path("kubeletEndpoint").path("Port").asInt(0);
        if (ip.isEmpty() || port <= 0) {
            throw ApiException.badRequest("node " + node + " reports no agent endpoint (InternalIP address and kubelet port)");
        }
        StringBuilder q = new StringBuilder();
        for (String k : new String[] {"follow", "previous", "tailLines", "limitBytes", "timestamps", "sinceSeconds"}) {
            String v = req.query(k);
            if (v != null) q.append(q.isEmpty() ? "?" : "&").append(k).append('=').append(URLEncoder.encode(v, StandardCharsets.UTF_8));
        }
        String host = ip.contains(":") ? "[" + ip + "]" : ip;
        URI uri = URI.create(agents.scheme() + "://" + host + ":" + port + "/containerLogs/" + ns + "/" + name + "/" + container + q);
        HttpResponse<InputStream> upstream;
        try {
            upstream = agents.http().send(HttpRequest.newBuilder(uri).timeout(AGENT_ANSWER_TIMEOUT).GET().build(),
                    HttpResponse.BodyHandlers.ofInputStream());
        } catch (java.net.http.HttpTimeoutException e) {
            throw new ApiException(504, "Timeout", "the node agent of " + node + " at " + host + ":" + port
                    + " did not answer within " + AGENT_ANSWER_TIMEOUT.toSeconds() + "s", null);
        } catch (IOException e) {
            if (sslCause(e) instanceof javax.net.ssl.SSLException ssl) {
                throw new ApiException(503, "ServiceUnavailable", "the node agent of " + node + " at " + host + ":" + port + " " + tlsFailure(ssl), null);
            }
            throw new ApiException(503, "ServiceUnavailable", "the node agent of " + node + " at " + host + ":" + port
                    + " cannot be reached: " + (e.getMessage() == null ? e.toString() : e.getMessage()), null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(503, "ServiceUnavailable", "interrupted while reaching the node agent of " + node, null);
        }
        try (InputStream in = upstream.body()) {
            if (upstream.statusCode() != 200) {
                String msg = new String(in.readNBytes(4096), StandardCharsets.UTF_8).strip();
                throw upstream.statusCode() < 500 ? ApiException.badRequest(msg)
                        : new ApiException(502, "BadGateway", "the node agent of " + node + " answered " + upstream.statusCode() + ": " + msg, null);
            }
            // a log that is not followed is a file being read: an agent that stops sending mid-way (it hangs, its
            // machine is cut off) must not hold this request for good, so the relay gives up after a quiet spell.
            // A followed log is quiet while the container says nothing: it ends when either side closes.
            boolean follow = "true".equals(req.query("follow"));
            java.util.concurrent.atomic.AtomicLong lastRead = new java.util.concurrent.atomic.AtomicLong(System.nanoTime());
            var watchdog = follow ? null : WATCHDOG.scheduleWithFixedDelay(() -> {
                if (System.nanoTime() - lastRead.get() > AGENT_IDLE_TIMEOUT.toNanos()) {
                    try {
                        in.close();
                    } catch (IOException ignored) {
                        // closing is all we wanted
                    }
                }
            }, 1, 1, java.util.concurrent.TimeUnit.SECONDS);
            try (var out = req.stream(200, "text/plain")) {
                byte[] buf = new byte[8192];
                for (int n; (n = in.read(buf)) > 0; ) {
                    lastRead.set(System.nanoTime());
                    out.write(buf, 0, n);
                    out.flush();
                }
            } finally {
                if (watchdog != null) watchdog.cancel(false);
            }
        }
    }

    /** How long the node agent may take to start answering a pods/log request. */
    static final Duration AGENT_ANSWER_TIMEOUT = Duration.ofSeconds(30);
    /** How long a log that is not followed may go without a byte from the agent before the relay ends it. */
    static final Duration AGENT_IDLE_TIMEOUT = Duration.ofSeconds(60);
    private static final java.util.concurrent.ScheduledExecutorService WATCHDOG =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("pods-log-watchdog").factory());

    /** The first TLS failure among a failure's causes, or null. */
    private static javax.net.ssl.SSLException sslCause(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof javax.net.ssl.SSLException ssl) return ssl;
        }
        return null;
    }

    /** What was wrong with an agent's TLS, in words a user can act on. */
    private static String tlsFailure(javax.net.ssl.SSLException e) {
        String m = String.valueOf(e.getMessage());
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof java.security.cert.CertPathValidatorException || c instanceof java.security.cert.CertPathBuilderException
                    || String.valueOf(c.getMessage()).contains("PKIX path")) {
                return "is not trusted: its certificate is not signed by the cluster CA (" + m + ")";
            }
            if (c instanceof java.security.cert.CertificateException && String.valueOf(c.getMessage()).contains("No subject alternative")) {
                return "is not trusted: its certificate is not for this address (" + c.getMessage() + ")";
            }
            if (c instanceof java.security.cert.CertificateExpiredException) return "is not trusted: its certificate has expired (" + c.getMessage() + ")";
        }
        return "refused the TLS handshake (" + m + "): an agent that has no serving certificate yet refuses them until its CSR is approved and signed";
    }

    static ObjectNode success() {
        ObjectNode s = Json.object();
        s.put("kind", "Status");
        s.put("apiVersion", "v1");
        s.putObject("metadata");
        s.put("status", "Success");
        s.put("code", 201);
        return s;
    }

    // ---------------------------------------------------------------- patch

    /**
     * PATCH of an object or of its status: the patch (JSON patch, merge patch, strategic merge patch or
     * server-side apply) applies to the stored object, then the result is written as a PUT would. Server-side
     * apply to a missing object creates it.
     */
    private static final int MAX_PATCH_ATTEMPTS = 16;

    ObjectNode patch(Request req, ResourceHandler h, String ns, String name, String subresource) {
        return patch(req, h, ns, name, subresource, 1);
    }

    private ObjectNode patch(Request req, ResourceHandler h, String ns, String name, String subresource, int attempt) {
        Patcher.PatchType type = Patcher.PatchType.fromContentType(req.header("Content-Type"));
        if (type == null) throw ApiException.unsupportedMediaType(req.contentType());
        byte[] body = req.body();
        String manager = req.query("fieldManager");
        boolean force = req.flag("force");
        ApplyOptions options = new ApplyOptions(manager, force, subresource, java.time.Instant.now());
        java.util.Optional<ObjectNode> current = h.storage().find(ns, name);
        if (current.isEmpty()) {
            if (type != Patcher.PatchType.APPLY || subresource != null) {
                throw ApiException.notFound(h.type().group(), h.type().resource(), name);
            }
            ObjectNode created = Patcher.apply(type, null, body, h.type().model(), options);
            return h.createFrom(req, ns, name, created);
        }
        ObjectNode live = current.get();
        ObjectNode patched = Patcher.apply(type, live, body, h.type().model(), options);
        // A patch that names a resourceVersion makes it a precondition. Otherwise it applies to the version it was
        // applied to, and when another write got there first it is applied again to the newer object (as
        // kube-apiserver does), never written over that write.
        String rv = Obj.resourceVersion(patched);
        boolean clientPrecondition = rv != null && !rv.isEmpty() && !rv.equals(Obj.resourceVersion(live));
        if (rv == null || rv.isEmpty()) Obj.metadata(patched).put("resourceVersion", Obj.resourceVersion(live));
        if (type != Patcher.PatchType.APPLY) {
            patched = ManagedFields.recordUpdate(h.type().model(), live, patched, manager(req), subresource, java.time.Instant.now());
        }
        try {
            return h.replace(req, ns, name, subresource, patched);
        } catch (ApiException e) {
            if (e.code() != 409 || clientPrecondition || !e.reason().equals("Conflict") || attempt >= MAX_PATCH_ATTEMPTS) throw e;
            return patch(req, h, ns, name, subresource, attempt + 1);
        }
    }

    /** The field manager of a write: the one the client named, else the start of its User-Agent, as kube-apiserver does. */
    static String manager(Request req) {
        String m = req.query("fieldManager");
        if (m != null && !m.isEmpty()) return m;
        String ua = req.header("User-Agent");
        if (ua == null || ua.isEmpty()) return "unknown";
        int slash = ua.indexOf('/');
        return slash > 0 ? ua.substring(0, slash) : ua;
    }

    private static JsonNode parse(byte[] body) {
        try {
            return Json.MAPPER.readTree(body);
        } catch (JacksonException e) {
            throw ApiException.badRequest("the patch is not valid JSON: " + e.getOriginalMessage());
        }
    }

    // ---------------------------------------------------------------- scale

    private void scale(Request req, ResourceHandler h, String ns, String name, String method) throws IOException {
        switch (method) {
            case "GET" -> Response.object(req, 200, toScale(h.type(), h.get(ns, name)));
            case "PUT", "PATCH" -> {
                ObjectNode current = h.get(ns, name);
                ObjectNode scale;
                if (method.equals("PUT")) {
                    scale = h.decodeBody(req, "Scale", "autoscaling/v1");
                } else {
                    Patcher.PatchType type = Patcher.PatchType.fromContentType(req.header("Content-Type"));
                    if (type == null || type == Patcher.PatchType.APPLY) throw ApiException.unsupportedMediaType(req.contentType());
                    // Scale has no model of its own here: merge-style patches work on it as JSON
                    scale = Patcher.apply(type, toScale(h.type(), current), req.body(), null, null);
                }
                JsonNode replicas = scale.path("spec").get("replicas");
                if (replicas == null || !replicas.canConvertToInt() || replicas.asInt() < 0) {
                    throw ApiException.invalid("autoscaling", "Scale", name, java.util.List.of(
                            io.kubeha.apiserver.api.FieldError.invalid("spec.replicas", replicas == null ? null : replicas.toString(),
                                    "must be greater than or equal to 0")));
                }
                long expected = Obj.parseResourceVersion(Obj.resourceVersion(scale));
                String manager = manager(req);
                ObjectNode updated = h.storage().update(ns, name, expected, old -> {
                    ObjectNode next = old.deepCopy();
                    ((ObjectNode) next.withObject("spec")).put("replicas", replicas.asInt());
                    long gen = old.path("metadata").path("generation").asLong(1);
                    if (!next.get("spec").equals(old.get("spec"))) Obj.metadata(next).put("generation", gen + 1);
                    // the scale's writer now owns spec.replicas, so a later apply of another value conflicts, as in kube
                    return ManagedFields.recordUpdate(h.type().model(), old, next, manager, "scale", java.time.Instant.now());
                });
                Response.object(req, 200, toScale(h.type(), updated));
            }
            default -> throw ApiException.methodNotSupported(h.type().group(), h.type().resource() + "/scale", method);
        }
    }

    /** The autoscaling/v1 Scale view of a Deployment or ReplicaSet. */
    static ObjectNode toScale(ResourceType type, ObjectNode obj) {
        ObjectNode s = Json.object();
        s.put("kind", "Scale");
        s.put("apiVersion", "autoscaling/v1");
        ObjectNode m = s.putObject("metadata");
        JsonNode meta = obj.path("metadata");
        for (String f : new String[] {"name", "namespace", "uid", "resourceVersion", "creationTimestamp"}) {
            if (meta.has(f)) m.set(f, meta.get(f));
        }
        s.putObject("spec").put("replicas", obj.path("spec").path("replicas").asInt(1));
        ObjectNode status = s.putObject("status");
        status.put("replicas", obj.path("status").path("replicas").asInt(0));
        status.put("selector", selectorString(obj.path("spec").path("selector")));
        return s;
    }

    /** A LabelSelector object as the string form Scale carries ({@code app=x,tier in (a,b)}). */
    static String selectorString(JsonNode selector) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, JsonNode> e : selector.path("matchLabels").properties()) {
            if (!sb.isEmpty()) sb.append(',');
            sb.append(e.getKey()).append('=').append(e.getValue().asString());
        }
        for (JsonNode expr : selector.path("matchExpressions")) {
            if (!sb.isEmpty()) sb.append(',');
            String key = expr.path("key").asString();
            String op = expr.path("operator").asString();
            List<String> vals = new ArrayList<>();
            expr.path("values").forEach(v -> vals.add(v.asString()));
            switch (op) {
                case "In" -> sb.append(key).append(" in (").append(String.join(",", vals)).append(')');
                case "NotIn" -> sb.append(key).append(" notin (").append(String.join(",", vals)).append(')');
                case "Exists" -> sb.append(key);
                case "DoesNotExist" -> sb.append('!').append(key);
                default -> { }
            }
        }
        return sb.toString();
    }

    // ---------------------------------------------------------------- binding

    /** POST pods/NAME/binding: assigns the pod to a node, once. */
    private ObjectNode bind(Request req, ResourceHandler h, String ns, String name) {
        ObjectNode binding = h.decodeBody(req, "Binding", "v1");
        String node = binding.path("target").path("name").asString("");
        if (node.isEmpty()) {
            throw ApiException.invalid("", "Binding", name, java.util.List.of(io.kubeha.apiserver.api.FieldError.required("target.name")));
        }
        String uid = binding.path("metadata").path("uid").asString("");
        h.storage().update(ns, name, 0, pod -> {
            if (ResourceHandler.isDeleting(pod)) {
                throw ApiException.conflict("", "pods/binding", name, "pod " + name + " is being deleted, cannot be assigned to a host");
            }
            if (!uid.isEmpty() && !uid.equals(Obj.uid(pod))) {
                throw ApiException.conflict("", "pods/binding", name, "Precondition failed: UID in precondition: " + uid);
            }
            String current = pod.path("spec").path("nodeName").asString("");
            if (!current.isEmpty()) {
                throw ApiException.conflict("", "pods/binding", name, "pod " + name + " is already assigned to node \"" + current + "\"");
            }
            ((ObjectNode) pod.withObject("spec")).put("nodeName", node);
            ObjectNode status = (ObjectNode) pod.withObject("status");
            tools.jackson.databind.node.ArrayNode conditions = status.has("conditions") && status.get("conditions").isArray()
                    ? (tools.jackson.databind.node.ArrayNode) status.get("conditions") : status.putArray("conditions");
            for (int i = conditions.size() - 1; i >= 0; i--) {
                if ("PodScheduled".equals(conditions.get(i).path("type").asString())) conditions.remove(i);
            }
            ObjectNode c = conditions.addObject();
            c.put("type", "PodScheduled");
            c.put("status", "True");
            c.putNull("lastProbeTime");
            c.put("lastTransitionTime", java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString());
            return pod;
        });
        return success();
    }
}
