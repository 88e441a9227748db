package io.kubeha.apiserver.patch;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.kubeha.apiserver.api.ApiException;
import io.kubeha.apiserver.api.Json;
import io.kubeha.apiserver.patch.Patcher.PatchType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static io.kubeha.apiserver.patch.Fixtures.assertSameJson;
import static io.kubeha.apiserver.patch.Fixtures.bytes;
import static io.kubeha.apiserver.patch.Fixtures.yaml;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Strategic merge patch. The table (strategic-merge-cases.yaml) holds what Kubernetes' own code makes of each
 * case (kubectl 1.32 {@code patch --local}), so these tests compare with the real thing, not with our reading
 * of it.
 */
class StrategicMergePatchTest {

    static Stream<Arguments> cases() throws IOException {
        JsonNode table;
        try (InputStream in = StrategicMergePatchTest.class.getResourceAsStream("strategic-merge-cases.yaml")) {
            table = Json.YAML.readTree(in);
        }
        List<Arguments> out = new ArrayList<>();
        for (JsonNode c : table.get("cases")) {
            out.add(Arguments.of(c.get("name").stringValue(), c.get("model").stringValue(),
                    table.get("bases").get(c.get("live").stringValue()), c.get("patch"), c.get("expected"),
                    c.has("error") ? c.get("error").stringValue() : null));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void behavesAsKubernetes(String name, String model, JsonNode live, JsonNode patch, JsonNode expected, String error)
            throws ClassNotFoundException {
        Class<?> type = Class.forName("io.fabric8.kubernetes.api.model." + model);
        JsonNode before = live.deepCopy();
        if (error != null) {
            assertThatThrownBy(() -> patch((ObjectNode) live, patch, type))
                    .isInstanceOfSatisfying(ApiException.class, e -> {
                        assertThat(e.code()).isEqualTo(400);
                        assertThat(e.getMessage().strip()).isEqualTo(error.strip());
                    });
        } else {
            assertSameJson(patch((ObjectNode) live, patch, type), expected);
        }
        assertThat(live).as("the live object is not modified").isEqualTo(before);
    }

    private static ObjectNode patch(ObjectNode live, JsonNode patch, Class<?> model) {
        return Patcher.apply(PatchType.STRATEGIC, live, bytes(Json.string(patch)), model, null);
    }

    private static final String DEPLOYMENT = """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web}
            spec:
              template:
                spec:
                  containers:
                  - {name: app, image: "app:v1", env: [{name: A, value: "1"}, {name: B, value: "2"}]}
                  - {name: sidecar, image: "sidecar:v1"}
            """;

    @Test
    void kubectlPatchOfOneContainerImageKeepsTheRest() {
        ObjectNode out = patch(yaml(DEPLOYMENT),
                yaml("{spec: {template: {spec: {containers: [{name: app, image: 'app:v2'}]}}}}"), Deployment.class);
        JsonNode containers = out.at("/spec/template/spec/containers");
        assertThat(containers).hasSize(2);
        assertThat(containers.get(0).get("image").stringValue()).isEqualTo("app:v2");
        assertThat(containers.get(0).get("env")).hasSize(2);
        assertThat(containers.get(1).get("image").stringValue()).isEqualTo("sidecar:v1");
    }

    @Test
    void directivesNeverReachTheStoredObject() {
        // A new list and a new map that still carry directives: Kubernetes drops them when it decodes the
        // result; fabric8 would keep them, so they must not be in the result at all.
        ObjectNode out = patch(yaml(DEPLOYMENT), yaml("""
                spec:
                  template:
                    spec:
                      containers:
                      - name: app
                        volumeMounts: [{mountPath: /x, $patch: delete}, {mountPath: /data, name: data}]
                      securityContext: {$patch: replace, runAsUser: 1000, fsGroup: null}
                """), Deployment.class);
        assertThat(Json.string(out)).doesNotContain("$patch").doesNotContain("null");
        assertThat(out.at("/spec/template/spec/containers/0/volumeMounts")).hasSize(1);
        assertSameJson(out.at("/spec/template/spec/securityContext"), yaml("{runAsUser: 1000}"));
    }

    @Test
    void withoutAModelListsAreReplacedButMapsMerge() {
        ObjectNode live = yaml("{kind: Widget, spec: {items: [{name: a}], labels: {x: '1'}}}");
        ObjectNode out = Patcher.apply(PatchType.STRATEGIC, live,
                bytes("{\"spec\":{\"items\":[{\"name\":\"b\"}],\"labels\":{\"y\":\"2\"}}}"), null, null);
        assertSameJson(out, yaml("{kind: Widget, spec: {items: [{name: b}], labels: {x: '1', y: '2'}}}"));
    }

    @Test
    void malformedBodiesAreBadRequests() {
        ObjectNode live = yaml(DEPLOYMENT);
        assertThatThrownBy(() -> Patcher.apply(PatchType.STRATEGIC, live, bytes("{\"spec\":"), Deployment.class, null))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.code()).isEqualTo(400));
        assertThatThrownBy(() -> Patcher.apply(PatchType.STRATEGIC, live, bytes("[1]"), Deployment.class, null))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.code()).isEqualTo(400);
                    assertThat(e.getMessage())
                            .isEqualTo("json: cannot unmarshal array into Go value of type map[string]interface {}");
                });
    }

    @Test
    void listsOfListsAreUnprocessable() {
        ObjectNode live = yaml("{metadata: {name: x, finalizers: [a]}}");
        assertThatThrownBy(() -> Patcher.apply(PatchType.STRATEGIC, live,
                bytes("{\"metadata\":{\"finalizers\":[[\"b\"]]}}"), Deployment.class, null))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.code()).isEqualTo(422));
    }
}
