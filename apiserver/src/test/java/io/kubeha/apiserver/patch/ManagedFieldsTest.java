package io.kubeha.apiserver.patch;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.kubeha.apiserver.api.Json;
import io.kubeha.apiserver.patch.Patcher.PatchType;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;

import static io.kubeha.apiserver.patch.Fixtures.T0;
import static io.kubeha.apiserver.patch.Fixtures.T1;
import static io.kubeha.apiserver.patch.Fixtures.T2;
import static io.kubeha.apiserver.patch.Fixtures.bytes;
import static io.kubeha.apiserver.patch.Fixtures.yaml;
import static org.assertj.core.api.Assertions.assertThat;

/** managedFields kept for writes other than apply (create, update, merge and strategic patches). */
class ManagedFieldsTest {
    private static final String NGINX = """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: nginx
              namespace: default
              uid: 6b2e2f8c
              resourceVersion: "12"
              labels: {app: nginx}
            spec:
              replicas: 2
              selector: {matchLabels: {app: nginx}}
              template:
                metadata: {labels: {app: nginx}}
                spec:
                  containers:
                  - {name: nginx, image: "nginx:1.27"}
            """;

    private static ObjectNode created() {
        return ManagedFields.recordUpdate(Deployment.class, null, yaml(NGINX), "kubectl-create", T0);
    }

    private static String fieldsOf(ObjectNode obj, String manager) {
        for (JsonNode e : obj.at("/metadata/managedFields")) {
            if (e.get("manager").stringValue().equals(manager)) return Json.string(e.get("fieldsV1"));
        }
        return null;
    }

    private static List<String> managers(ObjectNode obj) {
        List<String> out = new ArrayList<>();
        obj.at("/metadata/managedFields").forEach(e -> out.add(e.get("manager").stringValue()));
        return out;
    }

    @Test
    void aCreateOwnsEverythingItSet() {
        ObjectNode obj = created();
        JsonNode e = obj.at("/metadata/managedFields/0");
        assertThat(Json.string(e)).startsWith("""
                {"manager":"kubectl-create","operation":"Update","apiVersion":"apps/v1","time":"2025-01-01T10:00:00Z",\
                "fieldsType":"FieldsV1","fieldsV1":""");
        // As Kubernetes records a create: new maps are owned themselves ("."), identity and bookkeeping
        // metadata (name, namespace, uid, resourceVersion) are nobody's.
        assertThat(fieldsOf(obj, "kubectl-create")).isEqualTo("""
                {"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:replicas":{},"f:selector":{},\
                "f:template":{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:containers":{\
                "k:{\\"name\\":\\"nginx\\"}":{".":{},"f:image":{},"f:name":{}}}}}}}""");
    }

    @Test
    void anUpdateTakesWhatItChangesFromTheOtherManagers() {
        ObjectNode before = created();
        ObjectNode scaled = before.deepCopy();
        ((ObjectNode) scaled.get("spec")).put("replicas", 5);
        ObjectNode after = ManagedFields.recordUpdate(Deployment.class, before, scaled, "kubectl-scale", "scale", T1);

        assertThat(fieldsOf(after, "kubectl-create")).doesNotContain("f:replicas").contains("f:image");
        assertThat(fieldsOf(after, "kubectl-scale")).isEqualTo("{\"f:spec\":{\"f:replicas\":{}}}");
        JsonNode scale = after.at("/metadata/managedFields/1");
        assertThat(scale.get("subresource").stringValue()).isEqualTo("scale");
        assertThat(scale.get("time").stringValue()).isEqualTo("2025-01-01T11:00:00Z");
    }

    @Test
    void whatAnUpdateRemovesIsNobodysAnyMore() {
        ObjectNode before = created();
        ObjectNode edited = before.deepCopy();
        ((ObjectNode) edited.at("/metadata")).remove("labels");
        ObjectNode after = ManagedFields.recordUpdate(Deployment.class, before, edited, "kubectl-edit", T1);
        assertThat(fieldsOf(after, "kubectl-create")).isEqualTo("""
                {"f:spec":{"f:replicas":{},"f:selector":{},"f:template":{"f:metadata":{"f:labels":{".":{},"f:app":{}}},\
                "f:spec":{"f:containers":{"k:{\\"name\\":\\"nginx\\"}":{".":{},"f:image":{},"f:name":{}}}}}}}""");
        // kubectl-edit only removed something: it owns nothing, so it has no entry
        assertThat(managers(after)).containsExactly("kubectl-create");
    }

    @Test
    void anUpdateThatChangesNothingLeavesManagedFieldsAlone() {
        ObjectNode before = created();
        ObjectNode after = ManagedFields.recordUpdate(Deployment.class, before, before.deepCopy(), "kubectl-edit", T1);
        assertThat(after).isEqualTo(before);
    }

    @Test
    void aMergePatchFollowedByRecordUpdateOwnsThePatchedFields() {
        ObjectNode before = created();
        ObjectNode patched = Patcher.apply(PatchType.STRATEGIC, before,
                bytes("{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"nginx\",\"image\":\"nginx:1.28\"}]}}}}"),
                Deployment.class, null);
        ObjectNode after = ManagedFields.recordUpdate(Deployment.class, before, patched, "kubectl-patch", T1);
        assertThat(fieldsOf(after, "kubectl-patch")).isEqualTo("""
                {"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\\"name\\":\\"nginx\\"}":{"f:image":{}}}}}}}""");
        assertThat(managers(after)).containsExactly("kubectl-create", "kubectl-patch");
    }

    @Test
    void aClientCanClearManagedFieldsWithOneEmptyEntryButNotWithAnEmptyList() {
        ObjectNode before = created();
        ObjectNode emptyList = before.deepCopy();
        ((ObjectNode) emptyList.get("metadata")).putArray("managedFields");
        assertThat(ManagedFields.recordUpdate(Deployment.class, before, emptyList, "x", T1).at("/metadata/managedFields"))
                .isEqualTo(before.at("/metadata/managedFields"));

        ObjectNode reset = before.deepCopy();
        ((ObjectNode) reset.get("metadata")).putArray("managedFields").addObject();
        ObjectNode cleared = ManagedFields.recordUpdate(Deployment.class, before, reset, "x", T1);
        assertThat(cleared.at("/metadata").has("managedFields")).isFalse();

        // and, as in Kubernetes, updates do not start tracking an untracked object again (an apply does)
        ObjectNode edited = cleared.deepCopy();
        ((ObjectNode) edited.get("spec")).put("replicas", 7);
        assertThat(ManagedFields.recordUpdate(Deployment.class, cleared, edited, "kubectl-edit", T2)
                .at("/metadata").has("managedFields")).isFalse();
    }

    @Test
    void managedFieldsAClientSetsAreKept() {
        ObjectNode before = created();
        ObjectNode edited = before.deepCopy();
        ((ObjectNode) edited.at("/metadata/managedFields/0")).put("manager", "renamed");
        ObjectNode after = ManagedFields.recordUpdate(Deployment.class, before, edited, "kubectl-edit", T1);
        assertThat(managers(after)).containsExactly("renamed");
    }

    @Test
    void withoutAModelListsAreAtomicAndTopLevelFieldsAreStructs() {
        ObjectNode widget = yaml("""
                apiVersion: example.com/v1
                kind: Widget
                metadata: {name: w}
                spec: {size: 3, parts: [a, b], options: {fast: true}}
                """);
        ObjectNode obj = ManagedFields.recordUpdate(null, null, widget, "widget-controller", T0);
        assertThat(fieldsOf(obj, "widget-controller")).isEqualTo(
                "{\"f:spec\":{\"f:options\":{\".\":{},\"f:fast\":{}},\"f:parts\":{},\"f:size\":{}}}");
    }

    @Test
    void fieldsV1RoundTrips() {
        // managedFields written by a real kube-apiserver (kube-controller-manager on a ReplicaSet)
        String real = """
                {"f:metadata":{"f:annotations":{".":{},"f:deployment.kubernetes.io/desired-replicas":{}},\
                "f:labels":{".":{},"f:app":{},"f:pod-template-hash":{}},"f:ownerReferences":{".":{},\
                "k:{\\"uid\\":\\"5d6e1f53-8d4e-4d62-9d3e-5c1b2a7b9d11\\"}":{}}},"f:spec":{"f:replicas":{},\
                "f:selector":{},"f:template":{"f:spec":{"f:containers":{"k:{\\"name\\":\\"nginx\\"}":{".":{},\
                "f:image":{},"f:ports":{".":{},"k:{\\"containerPort\\":80,\\"protocol\\":\\"TCP\\"}":{".":{},\
                "f:containerPort":{},"f:protocol":{}}}}}}}}}""";
        assertThat(Json.string(FieldSets.encode(FieldSets.decode(Json.MAPPER.readTree(real))))).isEqualTo(real);
    }

    @Test
    void conflictPathsPrintAsKubernetesPrintsThem() {
        FieldPath p = FieldPath.ROOT.field("spec").field("template").field("spec").field("containers")
                .child(FieldPath.Key.of(yaml("{name: nginx}"))).field("ports")
                .child(FieldPath.Key.of(yaml("{protocol: TCP, containerPort: 80}"))).field("containerPort");
        assertThat(p).hasToString(
                ".spec.template.spec.containers[name=\"nginx\"].ports[containerPort=80,protocol=\"TCP\"].containerPort");
        assertThat(FieldPath.ROOT.field("metadata").field("finalizers")
                .child(FieldPath.Value.of(Json.MAPPER.readTree("\"a\"")))).hasToString(".metadata.finalizers[=\"a\"]");
    }
}
