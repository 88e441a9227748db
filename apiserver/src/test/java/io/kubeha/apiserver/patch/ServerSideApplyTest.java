package io.kubeha.apiserver.patch;

import io.fabric8.kubernetes.api.model.StatusCause;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.kubeha.apiserver.api.ApiException;
import io.kubeha.apiserver.api.Json;
import io.kubeha.apiserver.patch.Patcher.PatchType;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static io.kubeha.apiserver.patch.Fixtures.T0;
import static io.kubeha.apiserver.patch.Fixtures.T1;
import static io.kubeha.apiserver.patch.Fixtures.T2;
import static io.kubeha.apiserver.patch.Fixtures.assertSameJson;
import static io.kubeha.apiserver.patch.Fixtures.bytes;
import static io.kubeha.apiserver.patch.Fixtures.yaml;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Server-side apply as {@code kubectl apply --server-side [--force-conflicts]} uses it. */
class ServerSideApplyTest {
    private static final String NGINX = """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: nginx
              labels: {app: nginx}
            spec:
              replicas: 2
              selector: {matchLabels: {app: nginx}}
              template:
                metadata: {labels: {app: nginx}}
                spec:
                  containers:
                  - name: nginx
                    image: "nginx:1.27"
                    ports: [{containerPort: 80}]
            """;

    private static ObjectNode apply(ObjectNode live, String config, String manager, boolean force, Instant now) {
        return Patcher.apply(PatchType.APPLY, live, bytes(config), Deployment.class,
                new ApplyOptions(manager, force, now));
    }

    private static ObjectNode apply(ObjectNode live, String config, String manager, Instant now) {
        return apply(live, config, manager, false, now);
    }

    /** The managedFields entries of {@code obj} as manager/operation -> fieldsV1 JSON text. */
    private static JsonNode entry(ObjectNode obj, String manager, String operation) {
        for (JsonNode e : obj.at("/metadata/managedFields")) {
            if (e.get("manager").stringValue().equals(manager) && e.get("operation").stringValue().equals(operation)) {
                return e;
            }
        }
        return null;
    }

    private static List<String> managers(ObjectNode obj) {
        List<String> out = new ArrayList<>();
        obj.at("/metadata/managedFields").forEach(e ->
                out.add(e.get("manager").stringValue() + "/" + e.get("operation").stringValue()));
        return out;
    }

    private static String replicas(int n) {
        return NGINX.replace("replicas: 2", "replicas: " + n);
    }

    @Test
    void applyCreatesTheObjectAndRecordsWhatTheManagerOwns() {
        ObjectNode created = apply(null, NGINX, "kubectl", T0);

        ObjectNode withoutFields = created.deepCopy();
        ((ObjectNode) withoutFields.get("metadata")).remove("managedFields");
        assertSameJson(withoutFields, yaml(NGINX));
        JsonNode e = entry(created, "kubectl", "Apply");
        assertThat(created.at("/metadata/managedFields")).hasSize(1);
        assertThat(e.get("apiVersion").stringValue()).isEqualTo("apps/v1");
        assertThat(e.get("time").stringValue()).isEqualTo("2025-01-01T10:00:00Z");
        assertThat(e.get("fieldsType").stringValue()).isEqualTo("FieldsV1");
        // The real format: maps are not owned themselves, list items are ("."), a container port is keyed by
        // containerPort and protocol (defaulted), a label selector is atomic.
        assertThat(Json.string(e.get("fieldsV1"))).isEqualTo("""
                {"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:replicas":{},"f:selector":{},\
                "f:template":{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:containers":{\
                "k:{\\"name\\":\\"nginx\\"}":{".":{},"f:image":{},"f:name":{},"f:ports":{\
                "k:{\\"containerPort\\":80,\\"protocol\\":\\"TCP\\"}":{".":{},"f:containerPort":{}}}}}}}}}""");
        assertThat(Json.string(e)).startsWith("{\"manager\":\"kubectl\",\"operation\":\"Apply\",\"apiVersion\":\"apps/v1\"");
    }

    @Test
    void reapplyingChangesWhatTheManagerOwnsWithoutConflict() {
        ObjectNode v1 = apply(null, NGINX, "kubectl", T0);
        ObjectNode v2 = apply(v1, NGINX.replace("nginx:1.27", "nginx:1.28"), "kubectl", T1);
        assertThat(v2.at("/spec/template/spec/containers/0/image").stringValue()).isEqualTo("nginx:1.28");
        assertThat(entry(v2, "kubectl", "Apply").get("time").stringValue()).isEqualTo("2025-01-01T11:00:00Z");
        assertThat(managers(v2)).containsExactly("kubectl/Apply");
    }

    @Test
    void applyingTheSameAgainChangesNothingNotEvenTheTime() {
        ObjectNode v1 = apply(null, NGINX, "kubectl", T0);
        ObjectNode again = apply(v1, NGINX, "kubectl", T1);
        assertSameJson(again, v1);
    }

    @Test
    void fieldsNoLongerAppliedAreRemoved() {
        ObjectNode v1 = apply(null, NGINX.replace("labels: {app: nginx}\n", "labels: {app: nginx, tier: web}\n"),
                "kubectl", T0);
        assertThat(v1.at("/metadata/labels/tier").stringValue()).isEqualTo("web");
        ObjectNode v2 = apply(v1, NGINX.replace("  replicas: 2\n", ""), "kubectl", T1);
        assertThat(v2.at("/metadata/labels").has("tier")).isFalse();
        assertThat(v2.at("/spec").has("replicas")).isFalse();
        assertThat(Json.string(entry(v2, "kubectl", "Apply").get("fieldsV1"))).doesNotContain("f:replicas", "f:tier");
    }

    @Test
    void aContainerNoLongerAppliedIsRemovedButNotTheOtherManagersOne() {
        String twoContainers = NGINX + """
                      - name: sidecar
                        image: "busybox:1"
                """;
        ObjectNode v1 = apply(null, twoContainers, "kubectl", T0);
        ObjectNode v2 = apply(v1, """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: nginx}
                spec:
                  template:
                    spec:
                      containers:
                      - {name: logger, image: "fluent:1"}
                """, "logging-operator", T1);
        assertThat(v2.at("/spec/template/spec/containers")).extracting(c -> c.get("name").stringValue())
                .containsExactly("nginx", "sidecar", "logger");
        ObjectNode v3 = apply(v2, NGINX, "kubectl", T2);
        assertThat(v3.at("/spec/template/spec/containers")).extracting(c -> c.get("name").stringValue())
                .containsExactly("nginx", "logger");
    }

    @Test
    void mergedListsFollowTheConfigurationsOrderAndKeepLiveItemsInPlace() {
        String twoContainers = NGINX + """
                      - name: sidecar
                        image: "busybox:1"
                """;
        ObjectNode v1 = apply(null, twoContainers, "kubectl", T0);
        ObjectNode v2 = apply(v1, """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: nginx}
                spec:
                  template:
                    spec:
                      containers:
                      - {name: init-proxy, image: "proxy:1"}
                      - {name: nginx}
                """, "mesh-injector", T1);
        assertThat(v2.at("/spec/template/spec/containers")).extracting(c -> c.get("name").stringValue())
                .containsExactly("init-proxy", "nginx", "sidecar");
        assertThat(v2.at("/spec/template/spec/containers/1/image").stringValue()).isEqualTo("nginx:1.27");
    }

    @Test
    void aFieldAlsoAppliedByAnotherManagerStaysWhenOneStopsApplyingIt() {
        ObjectNode v1 = apply(null, NGINX, "kubectl", T0);
        // Same value: no conflict, both own it.
        ObjectNode v2 = apply(v1, """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: nginx}
                spec: {replicas: 2}
                """, "autoscaler", T1);
        assertThat(managers(v2)).containsExactly("kubectl/Apply", "autoscaler/Apply");
        ObjectNode v3 = apply(v2, NGINX.replace("  replicas: 2\n", ""), "kubectl", T2);
        assertThat(v3.at("/spec/replicas").intValue()).isEqualTo(2);
    }

    /** An object created and scaled by {@code kubectl apply} (client-side), as it is stored. */
    private static ObjectNode clientSideApplied() {
        ObjectNode csa = yaml(replicas(1));
        return ManagedFields.recordUpdate(Deployment.class, null, csa, "kubectl-client-side-apply", T0);
    }

    @Test
    void changingAFieldAnotherManagerOwnsIsAConflict() {
        assertThatThrownBy(() -> apply(clientSideApplied(), replicas(3), "my-tool", T1))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.code()).isEqualTo(409);
                    assertThat(e.reason()).isEqualTo("Conflict");
                    assertThat(e.getMessage()).isEqualTo("Apply failed with 1 conflict: conflict with "
                            + "\"kubectl-client-side-apply\" using apps/v1: .spec.replicas");
                    StatusCause c = e.status().getDetails().getCauses().get(0);
                    assertThat(c.getReason()).isEqualTo("FieldManagerConflict");
                    assertThat(c.getMessage()).isEqualTo("conflict with \"kubectl-client-side-apply\" using apps/v1");
                    assertThat(c.getField()).isEqualTo(".spec.replicas");
                });
    }

    @Test
    void severalConflictsAreListedByManager() {
        String config = replicas(3).replace("nginx:1.27", "nginx:1.28");
        assertThatThrownBy(() -> apply(clientSideApplied(), config, "my-tool", T1))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.code()).isEqualTo(409);
                    assertThat(e.getMessage()).isEqualTo("""
                            Apply failed with 2 conflicts: conflicts with "kubectl-client-side-apply" using apps/v1:
                            - .spec.replicas
                            - .spec.template.spec.containers[name="nginx"].image""");
                    assertThat(e.status().getDetails().getCauses()).hasSize(2);
                });
    }

    @Test
    void forceTakesTheFieldFromTheOtherManager() {
        ObjectNode out = apply(clientSideApplied(), replicas(3), "my-tool", true, T1);
        assertThat(out.at("/spec/replicas").intValue()).isEqualTo(3);
        String csaFields = Json.string(entry(out, "kubectl-client-side-apply", "Update").get("fieldsV1"));
        assertThat(csaFields).doesNotContain("f:replicas").contains("f:image");
        assertThat(Json.string(entry(out, "my-tool", "Apply").get("fieldsV1"))).contains("f:replicas");
        // appliers first, then updaters
        assertThat(managers(out)).containsExactly("my-tool/Apply", "kubectl-client-side-apply/Update");
    }

    @Test
    void settingAFieldToTheValueItHasIsNoConflict() {
        ObjectNode out = apply(clientSideApplied(), replicas(1), "my-tool", T1);
        assertThat(Json.string(entry(out, "kubectl-client-side-apply", "Update").get("fieldsV1"))).contains("f:replicas");
        assertThat(Json.string(entry(out, "my-tool", "Apply").get("fieldsV1"))).contains("f:replicas");
    }

    @Test
    void kubectlUpgradingFromClientSideApplyDoesNotConflictWithItsOwnLastApplied() {
        // kubectl apply (client-side) left its configuration in the annotation; live still matches it.
        String lastApplied = Json.string(yaml(replicas(1)));
        ObjectNode live = yaml(replicas(1));
        ((ObjectNode) live.get("metadata")).putObject("annotations")
                .put(ServerSideApply.LAST_APPLIED, lastApplied);
        live = ManagedFields.recordUpdate(Deployment.class, null, live, "kubectl-client-side-apply", T0);

        ObjectNode out = apply(live, replicas(3), "kubectl", T1);
        assertThat(out.at("/spec/replicas").intValue()).isEqualTo(3);
        assertThat(Json.string(entry(out, "kubectl-client-side-apply", "Update").get("fieldsV1"))).doesNotContain("f:replicas");
        // and the annotation follows the new configuration, so a later client-side apply diffs correctly
        JsonNode annotation = Json.MAPPER.readTree(out.at("/metadata/annotations").get(ServerSideApply.LAST_APPLIED).stringValue());
        assertThat(annotation.at("/spec/replicas").intValue()).isEqualTo(3);

        // someone else's manager gets the conflict
        ObjectNode finalLive = live;
        assertThatThrownBy(() -> apply(finalLive, replicas(3), "my-tool", T1))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.code()).isEqualTo(409));
    }

    @Test
    void anObjectNobodyTrackedIsOwnedByBeforeFirstApply() {
        ObjectNode untracked = yaml(replicas(1));
        assertThatThrownBy(() -> apply(untracked, replicas(4), "kubectl", T1))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.getMessage()).isEqualTo(
                        "Apply failed with 1 conflict: conflict with \"before-first-apply\" using apps/v1: .spec.replicas"));
        ObjectNode forced = apply(untracked, replicas(4), "kubectl", true, T1);
        assertThat(managers(forced)).containsExactly("kubectl/Apply", "before-first-apply/Update");
    }

    @Test
    void applyingAnotherSelectorReplacesTheAtomicSelector() {
        ObjectNode v1 = apply(null, NGINX, "kubectl", T0);
        ObjectNode v2 = apply(v1, NGINX.replace("selector: {matchLabels: {app: nginx}}",
                "selector: {matchLabels: {run: nginx}}"), "kubectl", T1);
        assertSameJson(v2.at("/spec/selector"), yaml("{matchLabels: {run: nginx}}"));
    }

    @Test
    void finalizersAreASet() {
        String config = """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: nginx, finalizers: [example.com/a]}
                """;
        ObjectNode v1 = apply(null, config, "kubectl", T0);
        ObjectNode v2 = apply(v1, config.replace("example.com/a", "example.com/b"), "other", T1);
        assertThat(v2.at("/metadata/finalizers")).extracting(JsonNode::stringValue)
                .containsExactly("example.com/a", "example.com/b");
        assertThat(Json.string(entry(v2, "other", "Apply").get("fieldsV1")))
                .isEqualTo("{\"f:metadata\":{\"f:finalizers\":{\"v:\\\"example.com/b\\\"\":{}}}}");
    }

    @Test
    void aJsonBodyWorksToo() {
        ObjectNode out = apply(null, Json.string(yaml(NGINX)).replace(",", ",\t"), "kubectl", T0);
        assertThat(out.at("/spec/replicas").intValue()).isEqualTo(2);
    }

    @Test
    void theApiVersionMustBeTheResources() {
        assertThatThrownBy(() -> apply(null, NGINX.replace("apps/v1", "apps/v1beta1"), "kubectl", T0))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.code()).isEqualTo(400);
                    assertThat(e.getMessage()).isEqualTo("Incorrect version specified in apply patch. "
                            + "Specified patch version: apps/v1beta1, expected: apps/v1");
                });
    }

    @Test
    void managedFieldsCannotBeApplied() {
        assertThatThrownBy(() -> apply(null, NGINX.replace("  name: nginx\n", "  name: nginx\n  managedFields: []\n"),
                "kubectl", T0))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.code()).isEqualTo(400);
                    assertThat(e.getMessage()).isEqualTo("metadata.managedFields must be nil");
                });
    }

    @Test
    void duplicateKeysInTheConfigurationAreRejected() {
        String dup = NGINX + """
                      - name: nginx
                        image: "nginx:2"
                """;
        assertThatThrownBy(() -> apply(null, dup, "kubectl", T0))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.code()).isEqualTo(400);
                    assertThat(e.getMessage()).isEqualTo("failed to create typed patch object (/nginx; apps/v1, "
                            + "Kind=Deployment): .spec.template.spec.containers: duplicate entries for key [name=\"nginx\"]");
                });
    }

    @Test
    void anApplyThroughASubresourceIsAManagerOfItsOwn() {
        ObjectNode v1 = apply(null, NGINX, "kubectl", T0);
        ObjectNode v2 = Patcher.apply(PatchType.APPLY, v1, bytes("""
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: nginx}
                status: {replicas: 2}
                """), Deployment.class, new ApplyOptions("kube-controller-manager", false, "status", T1));
        JsonNode e = entry(v2, "kube-controller-manager", "Apply");
        assertThat(e.get("subresource").stringValue()).isEqualTo("status");
        assertThat(v2.at("/status/replicas").intValue()).isEqualTo(2);
    }
}
