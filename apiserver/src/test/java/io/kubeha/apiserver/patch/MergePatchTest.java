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

/** RFC 7386 JSON merge patch ({@code kubectl patch --type merge}). */
class MergePatchTest {
    private static final String LIVE = """
            {"metadata": {"name": "web", "labels": {"app": "web", "tier": "fe"}},
             "spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": "app", "image": "app:v1"},
                                                                          {"name": "side", "image": "side:v1"}]}}}}
            """;

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            null removes a label         | {"metadata":{"labels":{"tier":null}}}                | {"metadata":{"name":"web","labels":{"app":"web"}},"spec":{"replicas":2,"template":{"spec":{"containers":[{"name":"app","image":"app:v1"},{"name":"side","image":"side:v1"}]}}}}
            objects merge                | {"metadata":{"labels":{"new":"x"}},"spec":{"replicas":3}} | {"metadata":{"name":"web","labels":{"app":"web","tier":"fe","new":"x"}},"spec":{"replicas":3,"template":{"spec":{"containers":[{"name":"app","image":"app:v1"},{"name":"side","image":"side:v1"}]}}}}
            a list replaces the list     | {"spec":{"template":{"spec":{"containers":[{"name":"app","image":"app:v2"}]}}}} | {"metadata":{"name":"web","labels":{"app":"web","tier":"fe"}},"spec":{"replicas":2,"template":{"spec":{"containers":[{"name":"app","image":"app:v2"}]}}}}
            null removes a whole map     | {"spec":null}                                        | {"metadata":{"name":"web","labels":{"app":"web","tier":"fe"}}}
            nulls in a new object vanish | {"spec":{"strategy":{"type":"Recreate","rollingUpdate":null}}} | {"metadata":{"name":"web","labels":{"app":"web","tier":"fe"}},"spec":{"replicas":2,"strategy":{"type":"Recreate"},"template":{"spec":{"containers":[{"name":"app","image":"app:v1"},{"name":"side","image":"side:v1"}]}}}}
            an empty patch changes nothing | {}                                                 | {"metadata":{"name":"web","labels":{"app":"web","tier":"fe"}},"spec":{"replicas":2,"template":{"spec":{"containers":[{"name":"app","image":"app:v1"},{"name":"side","image":"side:v1"}]}}}}
            """)
    void mergePatch(String name, String patch, String expected) {
        ObjectNode live = Fixtures.json(LIVE);
        ObjectNode out = Patcher.apply(PatchType.MERGE, live, bytes(patch), Deployment.class, null);
        assertSameJson(out, Fixtures.json(expected));
        assertSameJson(live, Fixtures.json(LIVE));
    }

    @Test
    void directivesMeanNothingToAMergePatch() {
        ObjectNode out = Patcher.apply(PatchType.MERGE, yaml("{metadata: {labels: {a: b}}}"),
                bytes("{\"metadata\":{\"labels\":{\"$patch\":\"delete\"}}}"), null, null);
        assertSameJson(out, yaml("{metadata: {labels: {a: b, $patch: delete}}}"));
    }

    @Test
    void aBodyThatIsNotAnObjectIsABadRequest() {
        for (String body : new String[]{"[]", "null", "3", "{\"a\":"}) {
            assertThatThrownBy(() -> Patcher.apply(PatchType.MERGE, Fixtures.json(LIVE), bytes(body), null, null))
                    .as(body)
                    .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.code()).isEqualTo(400));
        }
    }
}
