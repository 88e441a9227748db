package io.kubeha.apiserver.patch;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.kubeha.apiserver.api.ApiException;
import io.kubeha.apiserver.patch.Patcher.PatchType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.node.ObjectNode;

import static io.kubeha.apiserver.patch.Fixtures.assertSameJson;
import static io.kubeha.apiserver.patch.Fixtures.bytes;
import static io.kubeha.apiserver.patch.Fixtures.yaml;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** RFC 6902 JSON patch ({@code kubectl patch --type json}). */
class JsonPatchTest {
    private static final String LIVE = """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web, labels: {app: web}}
            spec:
              replicas: 2
              template:
                spec:
                  containers:
                  - {name: app, image: "app:v1", args: [--a]}
            """;

    private static ObjectNode patch(String ops) {
        return Patcher.apply(PatchType.JSON_PATCH, yaml(LIVE), bytes(ops), Deployment.class, null);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            replace a scalar             | [{"op":"replace","path":"/spec/replicas","value":5}]                              | /spec/replicas                           | 5
            add a label                  | [{"op":"add","path":"/metadata/labels/tier","value":"web"}]                       | /metadata/labels/tier                    | "web"
            append to a list with -      | [{"op":"add","path":"/spec/template/spec/containers/0/args/-","value":"--b"}]     | /spec/template/spec/containers/0/args    | ["--a","--b"]
            remove a label               | [{"op":"remove","path":"/metadata/labels/app"}]                                   | /metadata/labels                         | {}
            a test that passes, then set | [{"op":"test","path":"/spec/replicas","value":2},{"op":"replace","path":"/spec/replicas","value":3}] | /spec/replicas | 3
            copy                         | [{"op":"copy","from":"/metadata/labels","path":"/spec/template/metadata"}]        | /spec/template/metadata                  | {"app":"web"}
            move                         | [{"op":"move","from":"/metadata/labels/app","path":"/metadata/labels/name"}]      | /metadata/labels                         | {"name":"web"}
            """)
    void operations(String name, String ops, String pointer, String expected) {
        assertSameJson(patch(ops).at(pointer), Fixtures.json("{\"v\":" + expected + "}").get("v"));
    }

    @Test
    void theLiveObjectIsNotModified() {
        ObjectNode live = yaml(LIVE);
        Patcher.apply(PatchType.JSON_PATCH, live, bytes("[{\"op\":\"remove\",\"path\":\"/spec\"}]"), Deployment.class, null);
        assertSameJson(live, yaml(LIVE));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            a failed test              | [{"op":"test","path":"/spec/replicas","value":3},{"op":"replace","path":"/spec/replicas","value":9}]
            replacing a missing path   | [{"op":"replace","path":"/spec/paused","value":true}]
            removing a missing member  | [{"op":"remove","path":"/metadata/labels/nope"}]
            adding under a missing map | [{"op":"add","path":"/metadata/annotations/a","value":"b"}]
            an index out of range      | [{"op":"replace","path":"/spec/template/spec/containers/3/image","value":"x"}]
            an unknown operation       | [{"op":"frobnicate","path":"/spec"}]
            """)
    void aPatchThatDoesNotApplyIsUnprocessable(String name, String ops) {
        // kubectl prints: The request is invalid: the server rejected our request due to an error in our request
        assertThatThrownBy(() -> patch(ops)).isInstanceOfSatisfying(ApiException.class, e -> {
            assertThat(e.code()).isEqualTo(422);
            assertThat(e.reason()).isEqualTo("Invalid");
            assertThat(e.getMessage()).isEqualTo("the server rejected our request due to an error in our request");
            assertThat(e.status().getDetails().getCauses()).isEmpty();
        });
    }

    @Test
    void aBodyThatIsNotAListIsABadRequest() {
        assertThatThrownBy(() -> patch("{\"op\":\"add\",\"path\":\"/spec/replicas\",\"value\":1}"))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.code()).isEqualTo(400);
                    assertThat(e.getMessage())
                            .isEqualTo("json: cannot unmarshal object into Go value of type jsonpatch.Patch");
                });
        assertThatThrownBy(() -> patch("[{\"op\":"))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.code()).isEqualTo(400));
    }

    @Test
    void moreThanTenThousandOperationsIsTooLarge() {
        StringBuilder ops = new StringBuilder("[");
        for (int i = 0; i <= Patcher.MAX_JSON_PATCH_OPERATIONS; i++) {
            if (i > 0) ops.append(',');
            ops.append("{\"op\":\"test\",\"path\":\"/spec/replicas\",\"value\":2}");
        }
        assertThatThrownBy(() -> patch(ops.append(']').toString()))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.code()).isEqualTo(413);
                    assertThat(e.getMessage()).isEqualTo("The allowed maximum operations in a JSON patch is 10000, got 10001");
                });
    }
}
