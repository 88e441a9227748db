package io.kubeha.apiserver.openapi;

import io.fabric8.kubernetes.api.model.Binding;
import io.fabric8.kubernetes.api.model.DeleteOptions;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Status;
import io.fabric8.kubernetes.api.model.policy.v1.Eviction;
import io.kubeha.apiserver.api.Json;
import io.kubeha.apiserver.registry.ResourceType;
import tools.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The REST operations of each served resource, as kube-apiserver publishes them: one path item per URL, one
 * operation per verb, each with Kubernetes' operation id ({@code listCoreV1NamespacedPod}),
 * {@code x-kubernetes-action} and {@code x-kubernetes-group-version-kind}, its query parameters, request body and
 * responses. Kept free of either OpenAPI version's syntax; {@link SwaggerV2} and {@link OpenApiV3} render it.
 */
final class Operations {
    /** A parameter of an operation or of a whole path item; {@code type} is a JSON-schema scalar type. */
    record Param(String name, String in, String type, boolean required, String description) {
        static Param query(String name, String type, String description) {
            return new Param(name, "query", type, false, description);
        }
    }

    record Gvk(String group, String version, String kind) {
        ObjectNode json() {
            return Json.object().put("group", group).put("kind", kind).put("version", version);
        }
    }

    /** One response code; {@code schema} is null for responses without a body (401). */
    record Response(String code, ObjectNode schema) {
        String description() {
            return switch (code) {
                case "200" -> "OK";
                case "201" -> "Created";
                case "202" -> "Accepted";
                case "401" -> "Unauthorized";
                default -> code;
            };
        }
    }

    /**
     * @param method   lower-case HTTP method
     * @param body     schema of the request body, or null
     * @param consumes media types of the body
     * @param produces media types of the responses
     */
    record Op(String method, String id, String action, Gvk gvk, String tag, String description, List<Param> params,
              ObjectNode body, boolean bodyRequired, List<String> consumes, List<Response> responses, List<String> produces) {}

    record PathItem(String path, List<Param> params, List<Op> ops) {}

    static final String[] METHOD_ORDER = {"get", "put", "post", "delete", "patch"};

    /**
     * What kubeha's API server reads and writes. kube-apiserver also lists protobuf; kubeha does not speak it, so
     * it is not advertised.
     */
    static final List<String> OBJECT_TYPES = List.of("application/json", "application/yaml");
    static final List<String> WATCH_TYPES = List.of("application/json;stream=watch");
    static final List<String> ANY = List.of("*/*");
    static final List<String> PATCH_TYPES = List.of("application/json-patch+json", "application/merge-patch+json",
            "application/strategic-merge-patch+json", "application/apply-patch+yaml");

    private static final Param PRETTY = Param.query("pretty", "string", "If 'true', the output is pretty printed.");
    private static final Param NAMESPACE = new Param("namespace", "path", "string", true,
            "Object name and auth scope, such as for teams and projects.");

    // Write parameters. fieldValidation on create/update/patch is what tells kubectl (since 1.25) that the server
    // checks unknown and duplicate fields itself, so it sends ?fieldValidation=Strict instead of validating the
    // manifest against the schema on the client.
    private static final Param DRY_RUN = Param.query("dryRun", "string",
            "When present, modifications are not persisted. The only valid value is All.");
    private static final Param FIELD_MANAGER = Param.query("fieldManager", "string",
            "The name of the actor making the change, for managed fields.");
    private static final Param FIELD_VALIDATION = Param.query("fieldValidation", "string",
            "How to treat unknown or duplicate fields in the request body: Ignore, Warn or Strict.");
    private static final Param FORCE = Param.query("force", "boolean",
            "Force an apply request to take fields owned by other managers. Only for apply patches.");

    private static final List<Param> LIST = List.of(
            Param.query("allowWatchBookmarks", "boolean", "Ask for BOOKMARK events on a watch."),
            Param.query("continue", "string", "The continue token of the previous page of a chunked list."),
            Param.query("fieldSelector", "string", "Restrict the list by fields, e.g. metadata.name=x."),
            Param.query("labelSelector", "string", "Restrict the list by labels."),
            Param.query("limit", "integer", "The most items to return in one page."),
            Param.query("resourceVersion", "string", "The resource version to list or watch from."),
            Param.query("resourceVersionMatch", "string", "How resourceVersion applies to a list: Exact or NotOlderThan."),
            Param.query("sendInitialEvents", "boolean", "Start a watch with the current state as ADDED events."),
            Param.query("timeoutSeconds", "integer", "Timeout of the list or watch call."),
            Param.query("watch", "boolean", "Watch for changes instead of listing."));

    private static final List<Param> DELETE = List.of(
            DRY_RUN,
            Param.query("gracePeriodSeconds", "integer", "Seconds before the object is deleted; 0 deletes at once."),
            Param.query("ignoreStoreReadErrorWithClusterBreakingPotential", "boolean",
                    "Delete an object that cannot be decoded. Dangerous."),
            Param.query("orphanDependents", "boolean", "Deprecated: use propagationPolicy."),
            Param.query("propagationPolicy", "string", "Garbage collection of dependents: Orphan, Background or Foreground."));

    private static final List<Param> LOG = List.of(
            Param.query("container", "string", "The container to stream logs of; optional when the pod has one."),
            Param.query("follow", "boolean", "Follow the log stream."),
            Param.query("insecureSkipTLSVerifyBackend", "boolean", "Skip verifying the kubelet's serving certificate."),
            Param.query("limitBytes", "integer", "The most bytes to return."),
            Param.query("previous", "boolean", "The logs of the previous, terminated instance of the container."),
            Param.query("sinceSeconds", "integer", "Only logs newer than this many seconds."),
            Param.query("stream", "string", "The stream to return: All, Stdout or Stderr."),
            Param.query("tailLines", "integer", "The number of lines from the end of the log to show."),
            Param.query("timestamps", "boolean", "Prefix each line with its RFC 3339 timestamp."));

    private final Definitions defs;

    Operations(Definitions defs) {
        this.defs = defs;
    }

    /** {@code CoreV1}, {@code AppsV1}, {@code CoordinationV1}: the middle of Kubernetes' operation ids. */
    static String groupVersionId(String group, String version) {
        StringBuilder b = new StringBuilder();
        if (group.isEmpty()) {
            b.append("Core");
        } else {
            String g = group.endsWith(".k8s.io") ? group.substring(0, group.length() - ".k8s.io".length()) : group;
            for (String part : g.split("[.-]")) b.append(capitalize(part));
        }
        return b.append(capitalize(version)).toString();
    }

    /** {@code core_v1}, {@code apps_v1}, {@code coordination_v1}: the operation tag. */
    static String tag(String group, String version) {
        String g = group.isEmpty() ? "core" : group.endsWith(".k8s.io") ? group.substring(0, group.length() - 7) : group;
        return g.replace('.', '_').replace('-', '_') + "_" + version;
    }

    private static String capitalize(String s) {
        return s.isEmpty() ? s : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1);
    }

    /** The URL prefix of a group-version: {@code /api/v1} or {@code /apis/apps/v1}. */
    static String prefix(String group, String version) {
        return group.isEmpty() ? "/api/" + version : "/apis/" + group + "/" + version;
    }

    /** Every path item of one resource, its subresources included. */
    List<PathItem> of(ResourceType t) {
        String kindDef = defs.define(t.model());
        defs.kind(kindDef, t.group(), t.version(), t.kind());
        String listDef = defs.define(listClass(t.model()));
        defs.kind(listDef, t.group(), t.version(), t.listKind());
        String status = defs.define(Status.class);
        String deleteOptions = defs.define(DeleteOptions.class);

        ObjectNode object = Definitions.ref(kindDef);
        ObjectNode list = Definitions.ref(listDef);
        Gvk gvk = new Gvk(t.group(), t.version(), t.kind());
        String gv = groupVersionId(t.group(), t.version());
        String tag = tag(t.group(), t.version());
        String prefix = prefix(t.group(), t.version());
        String scope = t.namespaced() ? "Namespaced" : "";
        String collection = t.namespaced() ? prefix + "/namespaces/{namespace}/" + t.resource() : prefix + "/" + t.resource();
        Param name = new Param("name", "path", "string", true, "Name of the " + t.kind() + ".");
        List<Param> collectionParams = t.namespaced() ? List.of(NAMESPACE, PRETTY) : List.of(PRETTY);
        List<Param> itemParams = t.namespaced() ? List.of(name, NAMESPACE, PRETTY) : List.of(name, PRETTY);
        String what = " objects of kind " + t.kind();

        List<PathItem> out = new ArrayList<>();
        List<Op> ops = new ArrayList<>();
        if (t.verbs().contains("list")) {
            ops.add(new Op("get", "list" + gv + scope + t.kind(), "list", gvk, tag, "list or watch" + what, LIST,
                    null, false, ANY, List.of(ok(list), unauthorized()), concat(OBJECT_TYPES, WATCH_TYPES)));
        }
        if (t.verbs().contains("create")) {
            ops.add(new Op("post", "create" + gv + scope + t.kind(), "post", gvk, tag, "create a " + t.kind(),
                    List.of(DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION), object, true, ANY,
                    List.of(ok(object), new Response("201", object), new Response("202", object), unauthorized()), OBJECT_TYPES));
        }
        if (t.verbs().contains("deletecollection")) {
            List<Param> params = new ArrayList<>(DELETE);
            for (Param p : LIST) if (!p.name().equals("watch") && !p.name().equals("allowWatchBookmarks")) params.add(p);
            ops.add(new Op("delete", "delete" + gv + "Collection" + scope + t.kind(), "deletecollection", gvk, tag,
                    "delete a collection of" + what, params, Definitions.ref(deleteOptions), false, ANY,
                    List.of(ok(Definitions.ref(status)), unauthorized()), OBJECT_TYPES));
        }
        if (!ops.isEmpty()) out.add(new PathItem(collection, collectionParams, ops));

        ops = new ArrayList<>();
        if (t.verbs().contains("get")) ops.add(read(gv + scope + t.kind(), gvk, tag, "read the specified " + t.kind(), object));
        if (t.verbs().contains("update")) ops.add(replace(gv + scope + t.kind(), gvk, tag, "replace the specified " + t.kind(), object));
        if (t.verbs().contains("delete")) {
            ops.add(new Op("delete", "delete" + gv + scope + t.kind(), "delete", gvk, tag, "delete a " + t.kind(), DELETE,
                    Definitions.ref(deleteOptions), false, ANY,
                    List.of(ok(Definitions.ref(status)), new Response("202", Definitions.ref(status)), unauthorized()), OBJECT_TYPES));
        }
        if (t.verbs().contains("patch")) ops.add(patch(gv + scope + t.kind(), gvk, tag, "partially update the specified " + t.kind(), object));
        if (!ops.isEmpty()) out.add(new PathItem(collection + "/{name}", itemParams, ops));

        if (t.verbs().contains("watch")) {
            ObjectNode event = Definitions.ref(Definitions.WATCH_EVENT);
            String watchCollection = t.namespaced()
                    ? prefix + "/watch/namespaces/{namespace}/" + t.resource() : prefix + "/watch/" + t.resource();
            out.add(new PathItem(watchCollection, collectionParams, List.of(new Op("get", "watch" + gv + scope + t.kind() + "List",
                    "watchlist", gvk, tag, "deprecated: use the 'watch' parameter with a list operation instead", LIST, null,
                    false, ANY, List.of(ok(event), unauthorized()), concat(OBJECT_TYPES, WATCH_TYPES)))));
            out.add(new PathItem(watchCollection + "/{name}", itemParams, List.of(new Op("get", "watch" + gv + scope + t.kind(),
                    "watch", gvk, tag, "deprecated: use the 'watch' parameter with a list operation instead, filtered to a "
                    + "single item with the 'fieldSelector' parameter", LIST, null, false, ANY, List.of(ok(event), unauthorized()),
                    concat(OBJECT_TYPES, WATCH_TYPES)))));
        }
        if (t.namespaced() && t.verbs().contains("list")) {
            List<Param> all = List.of(PRETTY);
            out.add(new PathItem(prefix + "/" + t.resource(), all, List.of(new Op("get", "list" + gv + t.kind() + "ForAllNamespaces",
                    "list", gvk, tag, "list or watch" + what, LIST, null, false, ANY, List.of(ok(list), unauthorized()),
                    concat(OBJECT_TYPES, WATCH_TYPES)))));
            if (t.verbs().contains("watch")) {
                out.add(new PathItem(prefix + "/watch/" + t.resource(), all, List.of(new Op("get",
                        "watch" + gv + t.kind() + "ListForAllNamespaces", "watchlist", gvk, tag,
                        "deprecated: use the 'watch' parameter with a list operation instead", LIST, null, false, ANY,
                        List.of(ok(Definitions.ref(Definitions.WATCH_EVENT)), unauthorized()), concat(OBJECT_TYPES, WATCH_TYPES)))));
            }
        }

        for (String sub : t.subresources().stream().sorted().toList()) {
            PathItem item = subresource(t, sub, collection + "/{name}/" + sub, gv + scope + t.kind(), gvk, tag, object, itemParams);
            if (item != null) out.add(item);
        }
        return out;
    }

    /** The subresources kube-apiserver serves for the built-in types; null for one this class does not know. */
    private PathItem subresource(ResourceType t, String sub, String path, String id, Gvk gvk, String tag, ObjectNode object,
                                 List<Param> params) {
        String suffix = capitalize(sub);
        return switch (sub) {
            case "status", "approval" -> new PathItem(path, params, List.of(
                    read(id + suffix, gvk, tag, "read " + sub + " of the specified " + t.kind(), object),
                    replace(id + suffix, gvk, tag, "replace " + sub + " of the specified " + t.kind(), object),
                    patch(id + suffix, gvk, tag, "partially update " + sub + " of the specified " + t.kind(), object)));
            case "scale" -> {
                ObjectNode scale = Definitions.ref(Scale.define(defs));
                Gvk scaleGvk = new Gvk("autoscaling", "v1", "Scale");
                yield new PathItem(path, params, List.of(
                        read(id + suffix, scaleGvk, tag, "read scale of the specified " + t.kind(), scale),
                        replace(id + suffix, scaleGvk, tag, "replace scale of the specified " + t.kind(), scale),
                        patch(id + suffix, scaleGvk, tag, "partially update scale of the specified " + t.kind(), scale)));
            }
            case "binding" -> create(path, params, id + suffix, tag, "create binding of a " + t.kind(), Binding.class, "", "v1");
            case "eviction" -> create(path, params, id + suffix, tag, "create eviction of a " + t.kind(), Eviction.class, "policy", "v1");
            case "token" -> create(path, params, id + suffix, tag, "create token of a " + t.kind(),
                    io.fabric8.kubernetes.api.model.authentication.TokenRequest.class, "authentication.k8s.io", "v1");
            case "log" -> new PathItem(path, params, List.of(new Op("get", "read" + id + suffix, "get", gvk, tag,
                    "read log of the specified " + t.kind(), LOG, null, false, ANY,
                    List.of(ok(Json.object().put("type", "string")), unauthorized()), List.of("text/plain"))));
            case "finalize" -> new PathItem(path, params, List.of(
                    new Op("put", "replace" + id + suffix, "put", gvk, tag, "replace finalize of the specified " + t.kind(),
                            List.of(DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION), object, true, ANY,
                            List.of(ok(object), new Response("201", object), unauthorized()), OBJECT_TYPES)));
            default -> null;
        };
    }

    private PathItem create(String path, List<Param> params, String id, String tag, String description,
                            Class<? extends HasMetadata> body, String group, String version) {
        String def = defs.define(body);
        defs.kind(def, group, version, body.getSimpleName());
        ObjectNode schema = Definitions.ref(def);
        return new PathItem(path, params, List.of(new Op("post", "create" + id, "post",
                new Gvk(group, version, body.getSimpleName()), tag, description, List.of(DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION),
                schema, true, ANY, List.of(ok(schema), new Response("201", schema), new Response("202", schema), unauthorized()),
                OBJECT_TYPES)));
    }

    private static Op read(String id, Gvk gvk, String tag, String description, ObjectNode object) {
        return new Op("get", "read" + id, "get", gvk, tag, description, List.of(), null, false, ANY,
                List.of(ok(object), unauthorized()), OBJECT_TYPES);
    }

    private static Op replace(String id, Gvk gvk, String tag, String description, ObjectNode object) {
        return new Op("put", "replace" + id, "put", gvk, tag, description, List.of(DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION),
                object, true, ANY, List.of(ok(object), new Response("201", object), unauthorized()), OBJECT_TYPES);
    }

    private static Op patch(String id, Gvk gvk, String tag, String description, ObjectNode object) {
        return new Op("patch", "patch" + id, "patch", gvk, tag, description,
                List.of(DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION, FORCE), Definitions.ref(Definitions.PATCH), true, PATCH_TYPES,
                List.of(ok(object), new Response("201", object), unauthorized()), OBJECT_TYPES);
    }

    private static Response ok(ObjectNode schema) {
        return new Response("200", schema);
    }

    private static Response unauthorized() {
        return new Response("401", null);
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return List.copyOf(out);
    }

    /** fabric8 names every list type after its item type: {@code PodList} beside {@code Pod}. */
    static Class<?> listClass(Class<?> model) {
        try {
            return Class.forName(model.getName() + "List", false, model.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("no list type for " + model.getName(), e);
        }
    }
}
