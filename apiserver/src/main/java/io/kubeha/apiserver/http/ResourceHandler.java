package io.kubeha.apiserver.http;

import io.kubeha.apiserver.api.ApiException;
import io.kubeha.apiserver.api.Json;
import io.kubeha.apiserver.protobuf.Protobuf;
import io.kubeha.apiserver.registry.ResourceType;
import io.kubeha.apiserver.selection.FieldSelector;
import io.kubeha.apiserver.selection.LabelSelector;
import io.kubeha.apiserver.storage.CacheEvent;
import io.kubeha.apiserver.storage.Obj;
import io.kubeha.apiserver.storage.ObjectStorage;
import io.kubeha.apiserver.storage.WatchCache;
import io.kubeha.apiserver.storage.WatchEventType;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.UUID;
import java.util.function.Predicate;

/**
 * The verbs on one resource type: create, get, list, watch, update, patch, delete, deletecollection and the
 * subresources, with kube-apiserver's semantics (metadata the server owns, optimistic concurrency,
 * graceful deletion and finalizers, selectors, paging, watch from a resourceVersion).
 */
final class ResourceHandler {
    private static final String NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789";
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Duration BOOKMARK_INTERVAL = Duration.ofSeconds(15);

    private final ResourceType type;
    private final ObjectStorage storage;
    private final WatchCache cache;
    private final Admission admission;
    private final Clock clock;

    ResourceHandler(ResourceType type, ObjectStorage storage, WatchCache cache, Admission admission, Clock clock) {
        this.type = type;
        this.storage = storage;
        this.cache = cache;
        this.admission = admission;
        this.clock = clock;
    }

    ResourceType type() {
        return type;
    }

    WatchCache cache() {
        return cache;
    }

    ObjectStorage storage() {
        return storage;
    }

    // ------------------------------------------------------------------ decoding

    /** The request body as an object of this type: JSON or YAML, apiVersion and kind checked or filled in. */
    ObjectNode decodeBody(Request req, String expectedKind, String expectedApiVersion) {
        byte[] body = req.body();
        if (body.length == 0) throw ApiException.badRequest("the request body is empty; send a " + expectedKind + " object");
        String ct = req.contentType();
        JsonNode tree;
        try {
            if (ct != null && (ct.equals("application/yaml") || ct.equals("application/apply-patch+yaml"))) {
                tree = Json.YAML.readTree(body);
            } else if (ct != null && ct.equals(Protobuf.MEDIA_TYPE)) {
                tree = Protobuf.decode(body, expectedApiVersion, expectedKind);
            } else if (ct == null || ct.equals("application/json") || ct.endsWith("+json")) {
                tree = Json.MAPPER.readTree(body);
            } else {
                throw ApiException.unsupportedMediaType(ct);
            }
        } catch (JacksonException e) {
            throw ApiException.badRequest("the request body is not valid " + (ct != null && ct.contains("yaml") ? "YAML" : "JSON")
                    + ": " + e.getOriginalMessage());
        }
        if (!(tree instanceof ObjectNode obj)) {
            throw ApiException.badRequest("the request body must be a JSON object, not " + tree.getNodeType().name().toLowerCase());
        }
        String apiVersion = Obj.text(obj.get("apiVersion"));
        String kind = Obj.text(obj.get("kind"));
        if (apiVersion != null && !apiVersion.equals(expectedApiVersion)) {
            throw ApiException.badRequest("the API version in the data (" + apiVersion + ") does not match the expected API version ("
                    + expectedApiVersion + ")");
        }
        if (kind != null && !kind.equals(expectedKind)) {
            throw ApiException.badRequest("the kind in the data (" + kind + ") does not match the expected kind (" + expectedKind + ")");
        }
        ObjectNode out = Json.object();
        out.put("apiVersion", expectedApiVersion);
        out.put("kind", expectedKind);
        obj.properties().forEach(e -> {
            if (!e.getKey().equals("apiVersion") && !e.getKey().equals("kind")) out.set(e.getKey(), e.getValue());
        });
        JsonNode meta = out.get("metadata");
        if (meta != null && !meta.isObject() && !meta.isNull()) throw ApiException.badRequest("metadata must be an object");
        return out;
    }

    /** Puts the URL's namespace on the object, refusing a different one in the body. */
    private void bindNamespace(ObjectNode obj, String namespace) {
        ObjectNode meta = Obj.metadata(obj);
        if (!type.namespaced()) {
            meta.remove("namespace");
            return;
        }
        String inBody = Obj.text(meta.get("namespace"));
        if (inBody != null && !inBody.isEmpty() && !inBody.equals(namespace)) {
            throw ApiException.badRequest("the namespace of the provided object does not match the namespace sent on the request");
        }
        meta.put("namespace", namespace);
    }

    private String now() {
        return Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString();
    }

    private static boolean dryRun(Request req) {
        String d = req.query("dryRun");
        if (d == null || d.isEmpty()) return false;
        if (!d.equals("All")) throw ApiException.badRequest("dryRun: Unsupported value: \"" + d + "\": supported values: \"All\"");
        return true;
    }

    // ------------------------------------------------------------------ create

    ObjectNode create(Request req, String namespace) {
        ObjectNode obj = decodeBody(req, type.kind(), type.apiVersion());
        bindNamespace(obj, namespace);
        ObjectNode meta = Obj.metadata(obj);
        String name = Obj.text(meta.get("name"));
        if (name == null || name.isEmpty()) {
            String generate = Obj.text(meta.get("generateName"));
            if (generate == null || generate.isEmpty()) {
                throw ApiException.invalid(type.group(), type.kind(), "",
                        java.util.List.of(io.kubeha.apiserver.api.FieldError.required("metadata.name", "name or generateName is required")));
            }
            name = generate + randomSuffix();
        }
        return createFrom(req, namespace, name, obj);
    }

    /** Creates {@code obj} (decoded from a POST, or the result of a server-side apply) under {@code name}. */
    ObjectNode createFrom(Request req, String namespace, String name, ObjectNode obj) {
        bindNamespace(obj, namespace);
        ObjectNode meta = Obj.metadata(obj);
        meta.put("name", name);
        // what the server owns on a new object
        meta.remove("resourceVersion");
        meta.remove("deletionTimestamp");
        meta.remove("deletionGracePeriodSeconds");
        meta.put("uid", UUID.randomUUID().toString());
        meta.put("creationTimestamp", now());
        boolean dry = dryRun(req);
        Admission.Pending pending = admission.admitCreate(type, obj, namespace, req, dry);
        if (dry) return obj;
        return stored(pending, () -> storage.create(namespace, name, obj));
    }

    /** Runs the write, then commits what admission allocated for it, or gives it back when the write failed. */
    private static ObjectNode stored(Admission.Pending pending, java.util.function.Supplier<ObjectNode> write) {
        ObjectNode out;
        try {
            out = write.get();
        } catch (RuntimeException e) {
            pending.revert();
            throw e;
        }
        pending.commit();
        return out;
    }

    /** Deletes from the store, then lets admission release what the object held (a Service's IPs and ports). */
    private ObjectNode removed(String namespace, String name, long expected) {
        ObjectNode gone = storage.delete(namespace, name, expected);
        admission.deleted(type, gone);
        return gone;
    }

    private static String randomSuffix() {
        StringBuilder sb = new StringBuilder(5);
        for (int i = 0; i < 5; i++) sb.append(NAME_CHARS.charAt(RANDOM.nextInt(NAME_CHARS.length())));
        return sb.toString();
    }

    // ------------------------------------------------------------------ get, list

    ObjectNode get(String namespace, String name) {
        return storage.get(namespace, name);
    }

    private record Filter(LabelSelector labels, FieldSelector fields) implements Predicate<ObjectNode> {
        @Override
        public boolean test(ObjectNode o) {
            return labels.matches(Obj.labels(o)) && fields.matches(o);
        }

        boolean isEverything() {
            return labels.isEmpty() && fields.isEmpty();
        }
    }

    private Filter filter(Request req) {
        return new Filter(LabelSelector.parse(req.query("labelSelector")),
                FieldSelector.parse(req.query("fieldSelector"), type.qualifiedResource()));
    }

    /** A continue token: where the next page starts and the revision the list is read at. */
    private record Continue(long revision, String startKey) {
        String encode() {
            ObjectNode o = Json.object();
            o.put("v", "meta.k8s.io/v1");
            o.put("rv", revision);
            o.put("start", startKey);
            return Base64.getUrlEncoder().withoutPadding().encodeToString(Json.bytes(o));
        }

        static Continue decode(String token) {
            try {
                JsonNode o = Json.MAPPER.readTree(Base64.getUrlDecoder().decode(token));
                if (!"meta.k8s.io/v1".equals(Obj.text(o.get("v")))) throw new IllegalArgumentException();
                return new Continue(o.get("rv").asLong(), o.get("start").asString());
            } catch (RuntimeException e) {
                throw ApiException.badRequest("continue key is not valid: " + token);
            }
        }
    }

    ObjectNode list(Request req, String namespace) {
        Filter filter = filter(req);
        Integer limit = req.intQuery("limit");
        if (limit != null && limit < 0) throw ApiException.badRequest("limit must not be negative");
        String rv = req.query("resourceVersion");
        String match = req.query("resourceVersionMatch");
        String cont = req.query("continue");
        ObjectNode list = Json.object();
        list.put("kind", type.listKind());
        list.put("apiVersion", type.apiVersion());
        ObjectNode meta = list.putObject("metadata");
        ArrayNode items = list.putArray("items");
        if (cont != null && !cont.isEmpty()) {
            if (rv != null && !rv.isEmpty()) {
                throw ApiException.badRequest("specifying resource version is not allowed when using continue");
            }
            Continue c = Continue.decode(cont);
            String start = type.storagePrefix() + c.startKey();
            ObjectStorage.Page page = storage.list(namespace, c.revision(), limit == null ? 0 : limit, start, filter);
            fillPage(meta, items, page, filter);
            return list;
        }
        if ("0".equals(rv) && (match == null || match.isEmpty() || match.equals("NotOlderThan"))) {
            // resourceVersion=0: any version is fine, so serve from the watch cache (as kube-apiserver does)
            WatchCache.Snapshot s = cache.list(namespace, filter);
            s.items().forEach(items::add);
            meta.put("resourceVersion", Long.toString(s.revision()));
            return list;
        }
        long at = 0;
        if (rv != null && !rv.isEmpty() && "Exact".equals(match)) at = Obj.parseResourceVersion(rv);
        ObjectStorage.Page page = storage.list(namespace, at, limit == null ? 0 : limit, null, filter);
        fillPage(meta, items, page, filter);
        return list;
    }

    private void fillPage(ObjectNode meta, ArrayNode items, ObjectStorage.Page page, Filter filter) {
        page.items().forEach(items::add);
        meta.put("resourceVersion", Long.toString(page.revision()));
        if (page.continueKey() != null) {
            String start = page.continueKey().substring(type.storagePrefix().length());
            meta.put("continue", new Continue(page.revision(), start).encode());
            if (filter.isEverything() && page.remaining() > 0) meta.put("remainingItemCount", page.remaining());
        }
    }

    // ------------------------------------------------------------------ watch

    void watch(Request req, String namespace, EventEncoder encoder) throws IOException {
        String upgrade = req.header("Upgrade");
        if (upgrade != null && upgrade.equalsIgnoreCase("websocket")) {
            // Watches are served as streamed HTTP responses only. A client that tries a websocket first (fabric8's
            // does) must get a complete, non-upgrade answer at once, or its handshake waits on the stream. A plain
            // 200 is what a server without websockets answers; fabric8 then falls back to an HTTP watch at once
            // (a 503 would do too, but it first retries 5xx answers with back-off, for some 20 seconds).
            Response.send(req, 200, "text/plain; charset=utf-8",
                    "watch over websocket is not served here; watch with a plain HTTP GET\n".getBytes(StandardCharsets.UTF_8));
            return;
        }
        Filter filter = filter(req);
        String rv = req.query("resourceVersion");
        long from = "0".equals(rv) ? 0 : Obj.parseResourceVersion(rv);
        boolean bookmarks = req.flag("allowWatchBookmarks");
        boolean initialEvents = req.flag("sendInitialEvents");
        Integer timeoutSeconds = req.intQuery("timeoutSeconds");
        // kube-apiserver ends watches after a random 30-60 minutes when the client gives no timeout
        Duration timeout = Duration.ofSeconds(timeoutSeconds != null ? timeoutSeconds : 1800 + RANDOM.nextInt(1800));
        if (initialEvents && from != 0 && !(rv == null || rv.isEmpty())) {
            throw ApiException.invalid("meta.k8s.io", "ListOptions", "", java.util.List.of(io.kubeha.apiserver.api.FieldError.forbidden(
                    "sendInitialEvents", "sendInitialEvents is forbidden for watch unless the resourceVersion is \"\" or \"0\"")));
        }
        WatchCache.Watcher w = cache.watch(from, namespace, filter);
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean initialDone = !initialEvents || from != 0;
        try (w; OutputStream out = req.stream(200, encoder.contentType())) {
            // send the headers now: a client waits for them to know its watch is established, and the first
            // event may be a long time coming
            out.flush();
            long nextBookmark = System.nanoTime() + BOOKMARK_INTERVAL.toNanos();
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) break;
                CacheEvent e;
                try {
                    e = w.next(Duration.ofNanos(Math.min(left, initialDone ? BOOKMARK_INTERVAL.toNanos() : 50_000_000L)));
                } catch (WatchCache.Ended ended) {
                    break;
                }
                if (e != null) {
                    out.write(encoder.event(e.type(), e.object()));
                    out.flush();
                    continue;
                }
                if (!initialDone) {
                    // the initial objects are out: say so, as kube's watch-list does
                    long at = w.bookmarkRevision();
                    if (at >= 0) {
                        out.write(encoder.event(WatchEventType.BOOKMARK, bookmark(at, true)));
                        out.flush();
                        initialDone = true;
                    }
                    continue;
                }
                if (bookmarks && System.nanoTime() >= nextBookmark) {
                    long at = w.bookmarkRevision();
                    if (at > 0) {
                        out.write(encoder.event(WatchEventType.BOOKMARK, bookmark(at, false)));
                        out.flush();
                    }
                    nextBookmark = System.nanoTime() + BOOKMARK_INTERVAL.toNanos();
                }
            }
        } catch (IOException gone) {
            // the client went away
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private ObjectNode bookmark(long revision, boolean initialEventsEnd) {
        ObjectNode o = Json.object();
        o.put("kind", type.kind());
        o.put("apiVersion", type.apiVersion());
        ObjectNode m = o.putObject("metadata");
        m.put("resourceVersion", Long.toString(revision));
        if (initialEventsEnd) m.putObject("annotations").put("k8s.io/initial-events-end", "true");
        return o;
    }

    /** How a watch stream encodes each event (JSON lines, or Table rows for kubectl get -w). */
    interface EventEncoder {
        String contentType();

        byte[] event(WatchEventType type, ObjectNode object);
    }

    /** The watch encoding the client prefers: protobuf frames when its Accept header puts protobuf first, else JSON lines. */
    static EventEncoder events(Request req) {
        for (io.kubeha.apiserver.protobuf.Negotiation.Format f : Response.formats(req)) {
            if (f == io.kubeha.apiserver.protobuf.Negotiation.Format.PROTOBUF) return protobufEvents();
            if (f == io.kubeha.apiserver.protobuf.Negotiation.Format.JSON) break;
        }
        return jsonEvents();
    }

    /** Length-prefixed WatchEvent messages ({@code application/vnd.kubernetes.protobuf;stream=watch}). */
    static EventEncoder protobufEvents() {
        return new EventEncoder() {
            @Override
            public String contentType() {
                return Protobuf.WATCH_MEDIA_TYPE;
            }

            @Override
            public byte[] event(WatchEventType type, ObjectNode object) {
                return Protobuf.watchFrame(type.name(), object);
            }
        };
    }

    static EventEncoder jsonEvents() {
        return new EventEncoder() {
            @Override
            public String contentType() {
                return "application/json";
            }

            @Override
            public byte[] event(WatchEventType type, ObjectNode object) {
                ObjectNode ev = Json.object();
                ev.put("type", type.name());
                ev.set("object", object);
                byte[] b = Json.bytes(ev);
                byte[] line = java.util.Arrays.copyOf(b, b.length + 1);
                line[b.length] = '\n';
                return line;
            }
        };
    }

    // ------------------------------------------------------------------ update, patch

    /** PUT of the whole object, or of its status through {@code subresource} "status" (or a CSR's "approval"). */
    ObjectNode update(Request req, String namespace, String name, String subresource) {
        ObjectNode body = decodeBody(req, type.kind(), type.apiVersion());
        return replace(req, namespace, name, subresource, body);
    }

    /** Writes {@code body} as the new state of the object, keeping what the client may not change. */
    ObjectNode replace(Request req, String namespace, String name, String subresource, ObjectNode body) {
        bindNamespace(body, namespace);
        ObjectNode meta = Obj.metadata(body);
        String bodyName = Obj.text(meta.get("name"));
        if (bodyName == null || bodyName.isEmpty()) {
            meta.put("name", name);
        } else if (!bodyName.equals(name)) {
            throw ApiException.badRequest("the name of the object (" + bodyName + ") does not match the name on the URL (" + name + ")");
        }
        long expected = Obj.parseResourceVersion(Obj.resourceVersion(body));
        boolean dry = dryRun(req);
        if (storage.find(namespace, name).isEmpty() && subresource == null && admission.allowCreateOnUpdate(type)) {
            meta.remove("resourceVersion");
            meta.put("uid", UUID.randomUUID().toString());
            meta.put("creationTimestamp", now());
            Admission.Pending pending = admission.admitCreate(type, body, namespace, req, dry);
            return dry ? body : stored(pending, () -> storage.create(namespace, name, body));
        }
        if (dry) {
            ObjectNode old = storage.get(namespace, name);
            if (expected > 0 && expected != Obj.parseResourceVersion(Obj.resourceVersion(old))) {
                throw ApiException.conflictModified(type.group(), type.resource(), name);
            }
            ObjectNode next = proposed(old, body, subresource);
            if (subresource == null) admission.admitUpdate(type, next, old, req, true);
            else admission.admitSubresourceUpdate(type, subresource, next, old);
            return next;
        }
        // each attempt of the read-modify-write admits afresh; what an attempt that lost its race allocated goes back
        Admission.Pending[] pending = {Admission.Pending.NONE};
        ObjectNode result = stored(new Admission.Pending() {
            @Override
            public void commit() {
                pending[0].commit();
            }

            @Override
            public void revert() {
                pending[0].revert();
            }
        }, () -> storage.update(namespace, name, expected, old -> {
            pending[0].revert();
            ObjectNode next = proposed(old, body, subresource);
            pending[0] = subresource == null ? admission.admitUpdate(type, next, old, req, false)
                    : admission.admitSubresourceUpdate(type, subresource, next, old);
            return next;
        }));
        // an object being deleted goes once its last finalizer is removed
        if (isDeleting(result) && finalizers(result).isEmpty() && !admission.holdsDeletion(type, result)) {
            try {
                return removed(namespace, name, Obj.parseResourceVersion(Obj.resourceVersion(result)));
            } catch (ApiException e) {
                if (e.code() != 404 && e.code() != 409) throw e;
            }
        }
        return result;
    }

    /** PUT namespaces/NAME/finalize: the namespace controller removes its finalizers; the namespace goes when none is left. */
    ObjectNode finalizeNamespace(Request req, String name) {
        ObjectNode body = decodeBody(req, type.kind(), type.apiVersion());
        ObjectNode result = storage.update(null, name, Obj.parseResourceVersion(Obj.resourceVersion(body)), old -> {
            ObjectNode next = old.deepCopy();
            ObjectNode spec = (ObjectNode) next.withObject("spec");
            JsonNode f = body.path("spec").get("finalizers");
            if (f == null || f.isNull()) spec.remove("finalizers");
            else spec.set("finalizers", f);
            return next;
        });
        if (isDeleting(result) && finalizers(result).isEmpty() && !admission.holdsDeletion(type, result)) {
            return removed(null, name, Obj.parseResourceVersion(Obj.resourceVersion(result)));
        }
        return result;
    }

    /** What an update of {@code old} with {@code body} would store, before admission: what the client may change. */
    private static ObjectNode proposed(ObjectNode old, ObjectNode body, String subresource) {
        // status and approval (a CSR's conditions) both write only the status; the kind's rules narrow it further
        ObjectNode next = subresource != null ? statusOnly(old, body) : body.deepCopy();
        keepServerOwnedMetadata(next, old);
        return next;
    }

    /** The stored object with only its status taken from {@code body}: what a status update may change. */
    private static ObjectNode statusOnly(ObjectNode old, ObjectNode body) {
        ObjectNode next = old.deepCopy();
        JsonNode status = body.get("status");
        if (status == null) next.remove("status");
        else next.set("status", status);
        Obj.metadata(next).put("resourceVersion", Obj.resourceVersion(body) == null ? "" : Obj.resourceVersion(body));
        return next;
    }

    /** Fields of metadata the server owns: a client cannot change them through an update. */
    private static void keepServerOwnedMetadata(ObjectNode next, ObjectNode old) {
        ObjectNode m = Obj.metadata(next);
        ObjectNode o = Obj.metadata(old);
        for (String f : new String[] {"uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation"}) {
            JsonNode v = o.get(f);
            if (v == null) m.remove(f);
            else m.set(f, v);
        }
        m.remove("resourceVersion");
    }

    static boolean isDeleting(JsonNode obj) {
        JsonNode ts = obj.path("metadata").get("deletionTimestamp");
        return ts != null && !ts.isNull();
    }

    static java.util.List<String> finalizers(JsonNode obj) {
        JsonNode f = obj.path("metadata").get("finalizers");
        java.util.List<String> out = new java.util.ArrayList<>();
        if (f != null && f.isArray()) f.forEach(n -> out.add(n.asString()));
        return out;
    }

    // ------------------------------------------------------------------ delete

    /** DELETE of one object: immediate, or graceful (pods on a node), or deferred to finalizers. */
    ObjectNode delete(Request req, String namespace, String name) {
        ObjectNode options = deleteOptions(req);
        boolean dry = dryRun(req) || options.path("dryRun").isArray() && !options.path("dryRun").isEmpty();
        ObjectNode current = storage.get(namespace, name);
        JsonNode pre = options.get("preconditions");
        long expected = 0;
        if (pre != null && pre.isObject()) {
            String uid = Obj.text(pre.get("uid"));
            if (uid != null && !uid.equals(Obj.uid(current))) {
                throw ApiException.conflict(type.group(), type.resource(), name, "Precondition failed: UID in precondition: " + uid
                        + ", UID in object meta: " + Obj.uid(current));
            }
            String rv = Obj.text(pre.get("resourceVersion"));
            if (rv != null) {
                expected = Obj.parseResourceVersion(rv);
                if (!rv.equals(Obj.resourceVersion(current))) {
                    throw ApiException.conflict(type.group(), type.resource(), name, "Precondition failed: ResourceVersion in precondition: "
                            + rv + ", ResourceVersion in object meta: " + Obj.resourceVersion(current));
                }
            }
        }
        String propagation = Obj.text(options.get("propagationPolicy"));
        if (options.path("orphanDependents").isBoolean()) {
            propagation = options.get("orphanDependents").asBoolean() ? "Orphan" : "Background";
        }
        if (propagation != null && !java.util.Set.of("Orphan", "Background", "Foreground").contains(propagation)) {
            throw ApiException.badRequest("propagationPolicy: Unsupported value: \"" + propagation
                    + "\": supported values: \"Foreground\", \"Background\", \"Orphan\"");
        }
        if (propagation == null) propagation = admission.defaultPropagation(type);
        Long grace = null;
        if (options.path("gracePeriodSeconds").isNumber()) grace = options.get("gracePeriodSeconds").asLong();
        else if (req.intQuery("gracePeriodSeconds") != null) grace = (long) req.intQuery("gracePeriodSeconds");
        long graceSeconds = admission.gracePeriod(type, current, grace);
        String finalizer = switch (propagation) {
            case "Orphan" -> "orphan";
            case "Foreground" -> "foregroundDeletion";
            default -> null;
        };
        boolean needsFinalizer = finalizer != null && !finalizers(current).contains(finalizer);
        if (finalizers(current).isEmpty() && !needsFinalizer && graceSeconds == 0 && !admission.holdsDeletion(type, current)) {
            if (dry) return current;
            return removed(namespace, name, expected);
        }
        if (dry) return current;
        // graceful: mark it; the node agent (pods), the garbage collector (orphan/foreground) or whoever owns a
        // finalizer finishes the deletion
        long finalGrace = graceSeconds;
        String fin = needsFinalizer ? finalizer : null;
        ObjectNode marked = storage.update(namespace, name, expected, old -> {
            ObjectNode m = Obj.metadata(old);
            if (!isDeleting(old)) {
                m.put("deletionTimestamp", Instant.now(clock).plusSeconds(finalGrace).truncatedTo(ChronoUnit.SECONDS).toString());
                m.put("deletionGracePeriodSeconds", finalGrace);
            } else if (m.path("deletionGracePeriodSeconds").asLong(Long.MAX_VALUE) > finalGrace) {
                // a shorter grace period may replace a longer one, never the other way round
                m.put("deletionTimestamp", Instant.now(clock).plusSeconds(finalGrace).truncatedTo(ChronoUnit.SECONDS).toString());
                m.put("deletionGracePeriodSeconds", finalGrace);
            }
            if (fin != null) {
                ArrayNode f = m.has("finalizers") && m.get("finalizers").isArray() ? (ArrayNode) m.get("finalizers") : m.putArray("finalizers");
                f.add(fin);
            }
            admission.onDeleting(type, old);
            return old;
        });
        if (finalizers(marked).isEmpty() && finalGrace == 0 && !admission.holdsDeletion(type, marked)) {
            return removed(namespace, name, 0);
        }
        return marked;
    }

    private ObjectNode deleteOptions(Request req) {
        byte[] body = req.body();
        if (body.length == 0) return Json.object();
        if (Protobuf.MEDIA_TYPE.equals(req.contentType())) {
            ObjectNode o = Protobuf.decodeAny(body);
            // an eviction's body is an Eviction, whose deleteOptions are the options
            if ("Eviction".equals(o.path("kind").asString("")) && o.get("deleteOptions") instanceof ObjectNode d) return d;
            return o;
        }
        try {
            JsonNode n = Json.MAPPER.readTree(body);
            if (n instanceof ObjectNode o) return o;
            throw ApiException.badRequest("DeleteOptions must be a JSON object");
        } catch (JacksonException e) {
            throw ApiException.badRequest("the DeleteOptions in the request body are not valid JSON: " + e.getOriginalMessage());
        }
    }

    /** DELETE of a collection: every object the selectors match, each deleted as one DELETE would. */
    ObjectNode deleteCollection(Request req, String namespace) {
        Filter filter = filter(req);
        ObjectStorage.Page page = storage.list(namespace, 0, 0, null, filter);
        ObjectNode list = Json.object();
        list.put("kind", type.listKind());
        list.put("apiVersion", type.apiVersion());
        list.putObject("metadata");
        ArrayNode items = list.putArray("items");
        for (ObjectNode o : page.items()) {
            try {
                items.add(delete(req, Obj.namespace(o), Obj.name(o)));
            } catch (ApiException e) {
                if (e.code() != 404) throw e;
            }
        }
        return list;
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
