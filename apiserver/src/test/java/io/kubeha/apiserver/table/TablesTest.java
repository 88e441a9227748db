package io.kubeha.apiserver.table;

import io.fabric8.kubernetes.api.model.Table;
import io.kubeha.apiserver.api.ApiException;
import io.kubeha.apiserver.api.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

import java.util.List;
import java.util.Set;

import static io.kubeha.apiserver.table.TableTestSupport.NOW;
import static io.kubeha.apiserver.table.TableTestSupport.json;
import static io.kubeha.apiserver.table.TableTestSupport.minutesAgo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TablesTest {

    private static ObjectNode lease(String name, String holder, String rv) {
        return json("""
                {"apiVersion":"coordination.k8s.io/v1","kind":"Lease",
                 "metadata":{"name":"%s","namespace":"kube-system","resourceVersion":"%s","uid":"u-%s",
                   "creationTimestamp":"%s","labels":{"k":"v"}},
                 "spec":{"holderIdentity":"%s","leaseDurationSeconds":15}}"""
                .formatted(name, rv, name, minutesAgo(10), holder, name));
    }

    private static final List<ObjectNode> LEASES = List.of(
            lease("kube-controller-manager", "master1_a", "101"), lease("kube-scheduler", "master3_b", "102"));

    @Test
    void listTableAsKubectlReceivesIt() {
        ObjectNode listMeta = json("""
                {"resourceVersion":"1234","continue":"eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ","remainingItemCount":5}""");

        ObjectNode table = Tables.table("leases.coordination.k8s.io", LEASES, (String) null, listMeta, NOW);

        assertThat(table).isEqualTo(json("""
                {"kind":"Table","apiVersion":"meta.k8s.io/v1",
                 "metadata":{"resourceVersion":"1234","continue":"eyJ2IjoibWV0YS5rOHMuaW8vdjEifQ","remainingItemCount":5},
                 "columnDefinitions":[
                   {"name":"Name","type":"string","format":"name","description":"%s","priority":0},
                   {"name":"Holder","type":"string","format":"","description":"%s","priority":0},
                   {"name":"Age","type":"string","format":"","description":"%s","priority":0}],
                 "rows":[
                   {"cells":["kube-controller-manager","master1_a","10m"],
                    "object":{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1",
                              "metadata":%s}},
                   {"cells":["kube-scheduler","master3_b","10m"],
                    "object":{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1",
                              "metadata":%s}}]}"""
                .formatted(Descriptions.OBJECT_NAME, Descriptions.LEASE_HOLDER,
                        Descriptions.CREATION_TIMESTAMP.replace("\n", "\\n"),
                        LEASES.get(0).get("metadata"), LEASES.get(1).get("metadata"))));
        // kube writes the fields in this order
        assertThat(table.propertyNames()).containsExactly("kind", "apiVersion", "metadata", "columnDefinitions", "rows");
    }

    @Test
    void includeObjectSelectsWhatEachRowCarries() {
        ObjectNode whole = Tables.table("leases.coordination.k8s.io", LEASES, "Object", null, NOW);
        ObjectNode none = Tables.table("leases.coordination.k8s.io", LEASES, "None", null, NOW);
        ObjectNode metadata = Tables.table("leases.coordination.k8s.io", LEASES, "Metadata", null, NOW);

        assertThat(whole.at("/rows/1/object")).isEqualTo(LEASES.get(1)).isNotSameAs(LEASES.get(1));
        assertThat(none.at("/rows/0").has("object")).isTrue();
        assertThat(none.at("/rows/0/object").isNull()).isTrue();
        assertThat(metadata.at("/rows/0/object/kind").asString()).isEqualTo("PartialObjectMetadata");
        assertThat(metadata.at("/rows/0/object").has("spec")).isFalse();
        assertThat(metadata.get("metadata")).isEqualTo(json("{}"));
    }

    @Test
    void unknownIncludeObjectIsABadRequestWordedAsKubeWordsIt() {
        assertThatThrownBy(() -> Tables.table("pods", List.of(), "Everything", null, NOW))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.code()).isEqualTo(400);
                    assertThat(e.reason()).isEqualTo("BadRequest");
                    assertThat(e.getMessage()).isEqualTo("Unable to convert to Table as requested: includeObject: "
                            + "Invalid value: \"Everything\": must be 'Metadata', 'Object', 'None', or empty");
                });
    }

    @Test
    void v1beta1TablesAndUnknownTableVersions() {
        TableOptions beta = TableOptions.DEFAULT.withApiVersion(TableOptions.META_V1BETA1);
        ObjectNode table = Tables.table("pods", List.of(json("{\"metadata\":{\"name\":\"p\"}}")), beta, null, NOW);

        assertThat(table.get("apiVersion").asString()).isEqualTo("meta.k8s.io/v1beta1");
        assertThat(table.at("/rows/0/object/apiVersion").asString()).isEqualTo("meta.k8s.io/v1beta1");
        assertThatThrownBy(() -> TableOptions.DEFAULT.withApiVersion("meta.k8s.io/v2"))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.code()).isEqualTo(406);
                    assertThat(e.getMessage()).isEqualTo("no Table exists in group version meta.k8s.io/v2");
                });
    }

    @Test
    void watchEventsAfterTheFirstCarryNoColumnDefinitions() {
        TableOptions later = TableOptions.of("Object").withNoHeaders(true);

        ObjectNode event = Tables.tableOf("leases.coordination.k8s.io", LEASES.get(0), later, NOW);

        assertThat(event.has("columnDefinitions")).isTrue();
        assertThat(event.get("columnDefinitions").isNull()).isTrue();
        assertThat(event.get("rows")).hasSize(1);
        assertThat(event.at("/rows/0/object")).isEqualTo(LEASES.get(0));
    }

    @Test
    void oneObjectsTableHasItsResourceVersion() {
        ObjectNode table = Tables.tableOf("leases.coordination.k8s.io", LEASES.get(1), TableOptions.DEFAULT, NOW);

        assertThat(table.get("metadata")).isEqualTo(json("{\"resourceVersion\":\"102\"}"));
        assertThat(TableTestSupport.cells(table, 0)).containsExactly("kube-scheduler", "master3_b", "10m");
    }

    @Test
    void emptyListHasColumnsAndNoRows() {
        ObjectNode table = Tables.table("nodes", List.of(), TableOptions.DEFAULT, json("{\"resourceVersion\":\"9\"}"), NOW);

        assertThat(table.get("rows")).isEmpty();
        assertThat(table.get("columnDefinitions")).hasSize(10);
        assertThat(table.get("metadata")).isEqualTo(json("{\"resourceVersion\":\"9\"}"));
    }

    @Test
    void resourceNamesAreMatchedWithTheirGroup() {
        ObjectNode d = json("{\"metadata\":{\"name\":\"d\"},\"spec\":{\"replicas\":2}}");

        assertThat(TableTestSupport.cells("deployments.apps", d).get(1)).isEqualTo("0/2");
        assertThat(TableTestSupport.cells("Deployments.Apps", d).get(1)).isEqualTo("0/2");
        // "deployments" without its group is another resource, and gets the default table
        assertThat(TableTestSupport.columns("deployments")).containsExactly("Name", "Created At");
    }

    @Test
    void theJsonReadsAsAFabric8Table() {
        ObjectNode table = Tables.table("pods", List.of(json("""
                {"metadata":{"name":"p","creationTimestamp":"%s"},"spec":{"containers":[{"name":"c"}]},
                 "status":{"phase":"Succeeded"}}""".formatted(minutesAgo(1)))), "None", null, NOW);

        Table parsed = Json.MAPPER.readValue(Json.bytes(table), Table.class);

        assertThat(parsed.getKind()).isEqualTo("Table");
        assertThat(parsed.getColumnDefinitions()).extracting("name").startsWith("Name", "Ready", "Status");
        assertThat(parsed.getColumnDefinitions().get(5).getPriority()).isEqualTo(1);
        assertThat(parsed.getRows().get(0).getCells()).containsExactly("p", "0/1", "Succeeded", "0", "60s",
                "<none>", "<none>", "<none>", "<none>");
        assertThat(parsed.getRows().get(0).getObject()).isNull();
    }

    static Set<String> resources() {
        return Printers.resources();
    }

    /** Every printer copes with a bare object and prints one cell per column. */
    @ParameterizedTest
    @MethodSource("resources")
    void everyPrinterFillsEveryColumnEvenForASparseObject(String resource) {
        for (JsonNode object : List.of(json("{}"), json("{\"metadata\":{\"name\":\"x\"},\"spec\":null,\"status\":[]}"))) {
            ObjectNode table = Tables.tableOf(resource, object, TableOptions.DEFAULT, NOW);
            assertThat(table.at("/rows/0/cells")).hasSameSizeAs(table.get("columnDefinitions"));
            assertThat(table.at("/rows/0/object/metadata").isObject()).isTrue();
        }
    }
}
