package io.kubeha.apiserver.openapi;

import io.kubeha.apiserver.api.Json;
import io.kubeha.apiserver.registry.ResourceType;
import io.kubeha.apiserver.registry.Resources;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

import static org.assertj.core.api.Assertions.assertThat;

class OpenApiTest {
    private static final Resources RESOURCES = Resources.builtIn();
    private static final OpenApi OPEN_API = new OpenApi(RESOURCES);
    private static final JsonNode V2 = Json.MAPPER.readTree(OPEN_API.v2());
    private static final String CORE = "io.k8s.api.core.v1.";
    private static final String META = "io.k8s.apimachinery.pkg.apis.meta.v1.";

    private static JsonNode v3(String groupVersionPath) {
        return Json.MAPPER.readTree(OPEN_API.v3(groupVersionPath).orElseThrow());
    }

    private static String gvPath(ResourceType t) {
        return t.group().isEmpty() ? "api/" + t.version() : "apis/" + t.group() + "/" + t.version();
    }

    private static String definitionName(ResourceType t) {
        return Definitions.nameOf(t.model());
    }

    // ---- definitions ----

    @Test
    void everyKindAndListKindHasADefinitionWithItsGroupVersionKind() {
        for (ResourceType t : RESOURCES.all()) {
            String name = definitionName(t);
            for (JsonNode schemas : List.of(V2.get("definitions"), v3(gvPath(t)).get("components").get("schemas"))) {
                assertThat(schemas.get(name)).as(name).isNotNull();
                assertThat(schemas.get(name).get(KubeFacts.GVK)).as(name)
                        .containsExactly(gvk(t.group(), t.version(), t.kind()));
                assertThat(schemas.get(name + "List").get(KubeFacts.GVK)).as(name + "List")
                        .containsExactly(gvk(t.group(), t.version(), t.listKind()));
                assertThat(schemas.get(name).get("properties").properties()).extracting(Map.Entry::getKey)
                        .contains("apiVersion", "kind", "metadata");
            }
        }
    }

    @Test
    void definitionsAreNamedAsKubernetesNamesThem() {
        assertThat(Set.copyOf(V2.get("definitions").propertyNames())).contains(
                CORE + "Pod", CORE + "PodSpec", CORE + "Container", CORE + "EventSource", "io.k8s.api.apps.v1.Deployment",
                "io.k8s.api.apps.v1.DeploymentStrategy", "io.k8s.api.coordination.v1.LeaseSpec",
                "io.k8s.api.discovery.v1.EndpointPort", CORE + "EndpointPort", "io.k8s.api.events.v1.Event", CORE + "Event",
                META + "ObjectMeta", META + "ListMeta", META + "OwnerReference", META + "LabelSelector", META + "Status",
                META + "DeleteOptions", META + "WatchEvent", META + "Time", META + "MicroTime",
                "io.k8s.apimachinery.pkg.api.resource.Quantity", "io.k8s.apimachinery.pkg.util.intstr.IntOrString",
                "io.k8s.api.autoscaling.v1.Scale", "io.k8s.api.policy.v1.Eviction", CORE + "Binding");
        assertThat(V2.get("definitions").propertyNames()).noneMatch(n -> n.contains("fabric8"));
    }

    @ParameterizedTest(name = "{0}.{1}")
    @CsvSource(delimiter = '|', textBlock = """
            io.k8s.api.core.v1.Pod                          | spec              | {"$ref":"#/definitions/io.k8s.api.core.v1.PodSpec"}
            io.k8s.api.core.v1.Container                    | image             | {"type":"string"}
            io.k8s.api.core.v1.Container                    | args              | {"type":"array","items":{"type":"string"}}
            io.k8s.api.core.v1.ContainerPort                | containerPort     | {"type":"integer","format":"int32"}
            io.k8s.api.core.v1.Container                    | stdin             | {"type":"boolean"}
            io.k8s.api.core.v1.PodSpec                      | activeDeadlineSeconds | {"type":"integer","format":"int64"}
            io.k8s.api.core.v1.ResourceRequirements         | limits            | {"type":"object","additionalProperties":{"$ref":"#/definitions/io.k8s.apimachinery.pkg.api.resource.Quantity"}}
            io.k8s.api.core.v1.ServicePort                  | targetPort        | {"$ref":"#/definitions/io.k8s.apimachinery.pkg.util.intstr.IntOrString"}
            io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta | labels            | {"type":"object","additionalProperties":{"type":"string"}}
            io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta | creationTimestamp | {"$ref":"#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Time"}
            io.k8s.api.core.v1.PodCondition                 | lastProbeTime     | {"$ref":"#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Time"}
            io.k8s.api.core.v1.Event                        | eventTime         | {"$ref":"#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime"}
            io.k8s.api.coordination.v1.LeaseSpec            | renewTime         | {"$ref":"#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime"}
            io.k8s.api.core.v1.Secret                       | data              | {"type":"object","additionalProperties":{"type":"string","format":"byte"}}
            io.k8s.api.apps.v1.ControllerRevision           | data              | {"$ref":"#/definitions/io.k8s.apimachinery.pkg.runtime.RawExtension"}
            io.k8s.api.apps.v1.DeploymentSpec               | template          | {"$ref":"#/definitions/io.k8s.api.core.v1.PodTemplateSpec"}
            io.k8s.api.apps.v1.DeploymentSpec               | selector          | {"$ref":"#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector"}
            io.k8s.api.events.v1.Event                      | regarding         | {"$ref":"#/definitions/io.k8s.api.core.v1.ObjectReference"}
            """)
    void propertiesHaveKubernetesTypes(String definition, String property, String schema) {
        ObjectNode actual = (ObjectNode) V2.get("definitions").get(definition).get("properties").get(property).deepCopy();
        actual.remove("description");
        assertThat(actual).isEqualTo(Json.MAPPER.readTree(schema));
    }

    @Test
    void scalarsHaveKubernetesForms() {
        JsonNode defs = V2.get("definitions");
        assertThat(defs.get(META + "Time").get("format").asString()).isEqualTo("date-time");
        assertThat(defs.get("io.k8s.apimachinery.pkg.util.intstr.IntOrString").get("format").asString()).isEqualTo("int-or-string");
        assertThat(defs.get("io.k8s.apimachinery.pkg.api.resource.Quantity").get("type").asString()).isEqualTo("string");
        // OpenAPI 3 can say what Swagger 2 cannot: the JSON types each one accepts
        JsonNode schemas = v3("api/v1").get("components").get("schemas");
        assertThat(schemas.get("io.k8s.apimachinery.pkg.api.resource.Quantity").get("oneOf"))
                .isEqualTo(Json.MAPPER.readTree("[{\"type\":\"string\"},{\"type\":\"number\"}]"));
        assertThat(schemas.get("io.k8s.apimachinery.pkg.util.intstr.IntOrString").get("oneOf"))
                .isEqualTo(Json.MAPPER.readTree("[{\"type\":\"integer\"},{\"type\":\"string\"}]"));
    }

    @ParameterizedTest(name = "{0}.{1} {3} {2}")
    @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
            io.k8s.api.core.v1.PodSpec                      | containers          | name          | merge
            io.k8s.api.core.v1.PodSpec                      | initContainers      | name          | merge
            io.k8s.api.core.v1.PodSpec                      | volumes             | name          | merge,retainKeys
            io.k8s.api.core.v1.Container                    | ports               | containerPort | merge
            io.k8s.api.core.v1.Container                    | env                 | name          | merge
            io.k8s.api.core.v1.Container                    | volumeMounts        | mountPath     | merge
            io.k8s.api.core.v1.EphemeralContainer           | env                 | name          | merge
            io.k8s.api.core.v1.ServiceSpec                  | ports               | port          | merge
            io.k8s.api.core.v1.PodStatus                    | conditions          | type          | merge
            io.k8s.api.core.v1.NodeStatus                   | conditions          | type          | merge
            io.k8s.api.apps.v1.DeploymentStatus             | conditions          | type          | merge
            io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta | ownerReferences     | uid           | merge
            io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta | finalizers          | -             | merge
            io.k8s.api.apps.v1.DeploymentSpec               | strategy            | -             | retainKeys
            """)
    void listsThatKubernetesMergesByKeyCarryThePatchTags(String definition, String property, String key, String strategy) {
        BiConsumer<JsonNode, Boolean> check = (schemas, v3) -> {
            JsonNode p = schemas.get(definition).get("properties").get(property);
            assertThat(p.path(KubeFacts.STRATEGY).asString()).isEqualTo(strategy);
            if (key == null) assertThat(p.has(KubeFacts.MERGE_KEY)).isFalse();
            else assertThat(p.path(KubeFacts.MERGE_KEY).asString()).isEqualTo(key);
        };
        check.accept(V2.get("definitions"), false);
        String gv = definition.contains(".apps.") ? "apis/apps/v1" : "api/v1";
        check.accept(v3(gv).get("components").get("schemas"), true);
    }

    @Test
    void everyPatchTagNamesAPropertyOfTheModel() {
        // KubeFacts.decorate throws on a tag for a missing property; make sure every tagged type is reached
        for (String definition : KubeFacts.PATCH.keySet()) {
            assertThat(V2.get("definitions").get(definition)).as(definition).isNotNull();
        }
    }

    /** The rules kube-openapi's util/proto (kubectl's reader of /openapi/v2) enforces, or it rejects the document. */
    @Test
    void v2SchemasAreShapedAsKubectlParsesThem() {
        List<String> problems = new ArrayList<>();
        walk(V2.get("definitions"), "definitions", (path, s) -> {
            if (s.has("$ref")) {
                if (s.has("type") || s.has("properties")) problems.add(path + ": $ref with type or properties");
            } else if (s.path("type").asString().equals("array") && !s.has("items")) {
                problems.add(path + ": array without items");
            }
        });
        assertThat(problems).isEmpty();
    }

    private static void walk(JsonNode schemas, String at, BiConsumer<String, JsonNode> visit) {
        for (Map.Entry<String, JsonNode> d : schemas.properties()) walkSchema(d.getValue(), at + "." + d.getKey(), visit);
    }

    private static void walkSchema(JsonNode s, String at, BiConsumer<String, JsonNode> visit) {
        visit.accept(at, s);
        if (s.has("properties")) walk(s.get("properties"), at, visit);
        if (s.has("items")) walkSchema(s.get("items"), at + "[]", visit);
        if (s.get("additionalProperties") instanceof JsonNode a && a.isObject()) walkSchema(a, at + "{}", visit);
    }

    @Test
    void everyReferenceResolvesInEveryDocument() {
        assertRefsResolve(V2, "#/definitions/", V2.get("definitions"));
        for (String gv : groupVersionPaths()) {
            JsonNode doc = v3(gv);
            assertRefsResolve(doc, "#/components/schemas/", doc.get("components").get("schemas"));
            assertThat(doc.get("openapi").asString()).isEqualTo("3.0.0");
        }
    }

    private static void assertRefsResolve(JsonNode doc, String prefix, JsonNode targets) {
        List<JsonNode> todo = new ArrayList<>(List.of(doc));
        Set<String> refs = new HashSet<>();
        while (!todo.isEmpty()) {
            JsonNode n = todo.removeLast();
            if (n.isObject() && n.get("$ref") instanceof JsonNode r && r.isString()) refs.add(r.asString());
            if (n.isContainer()) n.forEach(todo::add);
        }
        assertThat(refs).isNotEmpty().allSatisfy(r -> {
            assertThat(r).startsWith(prefix);
            assertThat(targets.has(r.substring(prefix.length()))).as(r).isTrue();
        });
    }

    // ---- paths ----

    @Test
    void everyResourceHasItsOperations() {
        for (ResourceType t : RESOURCES.all()) {
            String prefix = t.group().isEmpty() ? "/api/v1" : "/apis/" + t.apiVersion();
            String collection = prefix + (t.namespaced() ? "/namespaces/{namespace}/" : "/") + t.resource();
            JsonNode gvk = gvk(t.group(), t.version(), t.kind());
            Map<String, Map<String, String>> expected = Map.of(
                    collection, Map.of("get", "list", "post", "post", "delete", "deletecollection"),
                    collection + "/{name}", Map.of("get", "get", "put", "put", "patch", "patch", "delete", "delete"),
                    prefix + "/watch" + (t.namespaced() ? "/namespaces/{namespace}/" : "/") + t.resource(), Map.of("get", "watchlist"));
            for (JsonNode paths : List.of(V2.get("paths"), v3(gvPath(t)).get("paths"))) {
                expected.forEach((path, ops) -> ops.forEach((method, action) -> {
                    JsonNode op = paths.path(path).path(method);
                    assertThat(op.path("x-kubernetes-action").asString()).as(method + " " + path).isEqualTo(action);
                    assertThat(op.get(KubeFacts.GVK)).as(method + " " + path).isEqualTo(gvk);
                }));
                if (t.namespaced()) {
                    assertThat(paths.path(prefix + "/" + t.resource()).path("get").path("operationId").asString())
                            .endsWith(t.kind() + "ForAllNamespaces");
                }
                for (String sub : t.subresources()) {
                    assertThat(paths.has(collection + "/{name}/" + sub)).as(collection + "/{name}/" + sub).isTrue();
                }
            }
        }
    }

    @Test
    void operationIdsAreKubernetes() {
        JsonNode paths = V2.get("paths");
        assertThat(paths.at("/~1api~1v1~1namespaces~1{namespace}~1pods/get/operationId").asString()).isEqualTo("listCoreV1NamespacedPod");
        assertThat(paths.at("/~1api~1v1~1namespaces~1{namespace}~1pods~1{name}/patch/operationId").asString())
                .isEqualTo("patchCoreV1NamespacedPod");
        assertThat(paths.at("/~1api~1v1~1nodes~1{name}~1status/put/operationId").asString()).isEqualTo("replaceCoreV1NodeStatus");
        assertThat(paths.at("/~1apis~1apps~1v1~1namespaces~1{namespace}~1deployments~1{name}~1scale/get/operationId").asString())
                .isEqualTo("readAppsV1NamespacedDeploymentScale");
        assertThat(paths.at("/~1apis~1coordination.k8s.io~1v1~1namespaces~1{namespace}~1leases/delete/operationId").asString())
                .isEqualTo("deleteCoordinationV1CollectionNamespacedLease");
        assertThat(paths.at("/~1apis~1events.k8s.io~1v1~1events/get/tags/0").asString()).isEqualTo("events_v1");
        Set<String> ids = new HashSet<>();
        for (JsonNode item : paths) {
            for (String m : Operations.METHOD_ORDER) {
                if (item.has(m)) assertThat(ids.add(item.get(m).get("operationId").asString())).isTrue();
            }
        }
    }

    @Test
    void everyWriteOperationTakesFieldValidationDryRunAndFieldManager() {
        int writes = 0;
        for (JsonNode doc : allDocuments()) {
            boolean v3 = doc.has("openapi");
            for (JsonNode item : doc.get("paths")) {
                for (String method : List.of("post", "put", "patch")) {
                    if (!item.has(method)) continue;
                    writes++;
                    List<String> query = new ArrayList<>();
                    for (JsonNode p : item.get(method).get("parameters")) {
                        if (p.get("in").asString().equals("query")) query.add(p.get("name").asString());
                        if (v3) assertThat(p.get("schema").get("type").asString()).isNotEmpty();
                    }
                    assertThat(query).as(item.get(method).get("operationId").asString())
                            .contains("fieldValidation", "dryRun", "fieldManager");
                }
            }
        }
        assertThat(writes).isGreaterThan(50);
    }

    /** What kubectl's QueryParamVerifierV3 looks for before it trusts the server to validate a kind. */
    @Test
    void kubectlFindsFieldValidationOnEveryKindsPatch() {
        for (ResourceType t : RESOURCES.all()) {
            JsonNode gvk = gvk(t.group(), t.version(), t.kind());
            boolean found = false;
            for (JsonNode item : v3(gvPath(t)).get("paths")) {
                JsonNode patch = item.get("patch");
                if (patch == null || !gvk.equals(patch.get(KubeFacts.GVK))) continue;
                found = true;
                assertThat(patch.get("parameters")).anySatisfy(p -> {
                    assertThat(p.get("name").asString()).isEqualTo("fieldValidation");
                    assertThat(p.get("in").asString()).isEqualTo("query");
                });
            }
            assertThat(found).as(t.kind()).isTrue();
        }
    }

    @Test
    void requestBodiesAndResponsesReferToTheKind() {
        JsonNode item = v3("apis/apps/v1").get("paths").get("/apis/apps/v1/namespaces/{namespace}/deployments/{name}");
        String deployment = "#/components/schemas/io.k8s.api.apps.v1.Deployment";
        assertThat(item.at("/put/requestBody/content/*~1*/schema/$ref").asString()).isEqualTo(deployment);
        assertThat(item.at("/put/responses/200/content/application~1json/schema/$ref").asString()).isEqualTo(deployment);
        assertThat(item.at("/patch/requestBody/content").propertyNames())
                .contains("application/strategic-merge-patch+json", "application/merge-patch+json", "application/json-patch+json");
        assertThat(item.at("/delete/responses/200/content/application~1json/schema/$ref").asString())
                .isEqualTo("#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Status");
        JsonNode list = V2.get("paths").get("/api/v1/namespaces/{namespace}/pods").get("get");
        assertThat(list.at("/responses/200/schema/$ref").asString()).isEqualTo("#/definitions/io.k8s.api.core.v1.PodList");
        assertThat(list.get("parameters")).extracting(p -> p.get("name").asString())
                .contains("labelSelector", "fieldSelector", "watch", "resourceVersion", "limit", "continue");
        JsonNode create = V2.get("paths").get("/api/v1/namespaces/{namespace}/pods").get("post");
        assertThat(create.at("/parameters/0/in").asString()).isEqualTo("body");
        assertThat(create.at("/parameters/0/schema/$ref").asString()).isEqualTo("#/definitions/io.k8s.api.core.v1.Pod");
    }

    @Test
    void groupVersionDocumentsCarryOnlyTheirOwnPaths() {
        assertThat(v3("apis/apps/v1").get("paths").propertyNames()).allMatch(p -> p.startsWith("/apis/apps/v1/"));
        assertThat(v3("api/v1").get("paths").propertyNames()).allMatch(p -> p.startsWith("/api/v1/"));
        // apps/v1 needs the core types its pod templates use, and not core/v1's kinds
        JsonNode schemas = v3("apis/apps/v1").get("components").get("schemas");
        assertThat(schemas.has(CORE + "PodSpec")).isTrue();
        assertThat(schemas.has(CORE + "Pod")).isFalse();
        assertThat(schemas.has("io.k8s.api.autoscaling.v1.Scale")).isTrue();
    }

    // ---- discovery and hashes ----

    @Test
    void discoveryListsEveryGroupVersionWithTheHashOfItsDocument() {
        JsonNode discovery = Json.MAPPER.readTree(OPEN_API.v3Discovery());
        Set<String> expected = new HashSet<>(groupVersionPaths());
        assertThat(Set.copyOf(discovery.get("paths").propertyNames())).isEqualTo(expected);
        for (String gv : expected) {
            String url = discovery.get("paths").get(gv).get("serverRelativeURL").asString();
            String hash = OpenApi.sha512(OPEN_API.v3(gv).orElseThrow());
            assertThat(url).isEqualTo("/openapi/v3/" + gv + "?hash=" + hash);
            assertThat(hash).matches("[0-9A-F]{128}");
            assertThat(OPEN_API.v3Hash(gv)).contains(hash);
        }
    }

    @Test
    void documentsAreTheSameBytesOnEveryServer() {
        OpenApi other = new OpenApi(Resources.builtIn());
        assertThat(other.v2()).isEqualTo(OPEN_API.v2());
        assertThat(other.v2Protobuf()).isEqualTo(OPEN_API.v2Protobuf());
        assertThat(other.v3Discovery()).isEqualTo(OPEN_API.v3Discovery());
        for (String gv : groupVersionPaths()) assertThat(other.v3(gv).orElseThrow()).isEqualTo(OPEN_API.v3(gv).orElseThrow());
    }

    @Test
    void unknownGroupVersionsAreEmptyAndALeadingSlashIsTolerated() {
        assertThat(OPEN_API.v3("apis/batch/v1")).isEmpty();
        assertThat(OPEN_API.v3Hash("apis/batch/v1")).isEmpty();
        assertThat(OPEN_API.v3("/apis/apps/v1")).isPresent();
        assertThat(OPEN_API.v3("api/v1").orElseThrow()).isEqualTo(OPEN_API.v3("/api/v1").orElseThrow());
    }

    @Test
    void callersCannotChangeTheCachedDocuments() {
        byte[] v2 = OPEN_API.v2();
        v2[0] = 'X';
        assertThat(OPEN_API.v2()[0]).isEqualTo((byte) '{');
    }

    @Test
    void concurrentFirstCallsSeeOneBuild() throws Exception {
        OpenApi fresh = new OpenApi(Resources.builtIn());
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<byte[]>> results = pool.invokeAll(java.util.Collections.nCopies(8, (Callable<byte[]>) fresh::v3Discovery),
                    60, TimeUnit.SECONDS);
            for (Future<byte[]> r : results) assertThat(r.get()).isEqualTo(OPEN_API.v3Discovery());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void v2ProtobufAsksForByKubectlsAcceptHeader() {
        assertThat(OpenApi.acceptsV2Protobuf(OpenApi.V2_PROTOBUF_ACCEPT)).isTrue();
        assertThat(OpenApi.acceptsV2Protobuf("application/json, */*")).isFalse();
        assertThat(OpenApi.acceptsV2Protobuf(null)).isFalse();
    }

    // ---- helpers ----

    private static JsonNode gvk(String group, String version, String kind) {
        return Json.object().put("group", group).put("kind", kind).put("version", version);
    }

    private static List<String> groupVersionPaths() {
        List<String> out = new ArrayList<>();
        RESOURCES.groups().forEach((g, versions) -> versions.forEach(v -> out.add(g.isEmpty() ? "api/" + v : "apis/" + g + "/" + v)));
        return out;
    }

    private static List<JsonNode> allDocuments() {
        List<JsonNode> docs = new ArrayList<>(List.of(V2));
        for (String gv : groupVersionPaths()) docs.add(v3(gv));
        return docs;
    }
}
