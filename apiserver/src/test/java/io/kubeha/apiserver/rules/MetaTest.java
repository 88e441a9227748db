package io.kubeha.apiserver.rules;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Service;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static io.kubeha.apiserver.rules.Fixtures.createErrors;
import static io.kubeha.apiserver.rules.Fixtures.updateErrors;
import static org.assertj.core.api.Assertions.assertThat;

class MetaTest {
    static final String SUBDOMAIN = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
            + "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
            + "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

    static String cm(String meta) {
        return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n" + meta.indent(2);
    }

    @Test
    void nameIsRequired() {
        assertThat(createErrors(cm("namespace: default"), ConfigMap.class))
                .containsExactly("metadata.name: Required value: name or generateName is required");
    }

    @Test
    void namespaceIsRequiredForNamespacedKinds() {
        assertThat(createErrors(cm("name: x"), ConfigMap.class)).containsExactly("metadata.namespace: Required value");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "ConfigMap|My_Config|metadata.name: Invalid value: \"My_Config\": " + SUBDOMAIN,
            "ConfigMap|a.b|",
            "Namespace|a.b|metadata.name: Invalid value: \"a.b\": must not contain dots",
            "Service|1abc|metadata.name: Invalid value: \"1abc\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
    })
    void nameFormatsPerKind(String kind, String name, String error) {
        var type = switch (kind) {
            case "ConfigMap" -> ConfigMap.class;
            case "Namespace" -> Namespace.class;
            case "Service" -> Service.class;
            default -> throw new IllegalArgumentException(kind);
        };
        boolean namespaced = !kind.equals("Namespace");
        String yaml = "apiVersion: v1\nkind: " + kind + "\nmetadata:\n  name: \"" + name + "\"\n" + (namespaced ? "  namespace: default\n" : "")
                + (kind.equals("Service") ? "spec:\n  ports: [{port: 80}]\n" : "");
        var errs = createErrors(yaml, (Class) type);
        if (error == null) assertThat(errs).isEmpty();
        else assertThat(errs).containsExactly(error);
    }

    @Test
    void pathSegmentNames() {
        assertThat(NameRule.PATH_SEGMENT.check("system:admin")).isEmpty();
        assertThat(NameRule.PATH_SEGMENT.check("a/b%c")).containsExactly("may not contain '/'", "may not contain '%'");
        assertThat(NameRule.PATH_SEGMENT.check("..")).containsExactly("may not be '..'");
    }

    @Test
    void clusterScopedKindsHaveNoNamespace() {
        String yaml = "apiVersion: v1\nkind: Node\nmetadata: {name: n1, namespace: default}\n";
        assertThat(createErrors(yaml, Node.class)).containsExactly("metadata.namespace: Forbidden: not allowed on this type");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "'app': 'x'|",
            "'app': '-x'|metadata.labels: Invalid value: \"-x\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
            "'a b': 'x'|metadata.labels: Invalid value: \"a b\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
            "'example.com/app': ''|",
    })
    void labels(String label, String error) {
        var errs = createErrors(cm("name: x\nnamespace: d\nlabels: {" + label + "}"), ConfigMap.class);
        if (error == null) assertThat(errs).isEmpty();
        else assertThat(errs).containsExactly(error);
    }

    @Test
    void annotationKeysIgnoreCaseAndTheirTotalSizeIsLimited() {
        assertThat(createErrors(cm("name: x\nnamespace: d\nannotations: {Example.COM/Key: v}"), ConfigMap.class)).isEmpty();
        assertThat(createErrors(cm("name: x\nnamespace: d\nannotations: {'a/b/c': v}"), ConfigMap.class)).singleElement()
                .asString().startsWith("metadata.annotations: Invalid value: \"a/b/c\": a valid label key must consist of");
        String big = "x".repeat(256 * 1024);
        assertThat(createErrors(cm("name: x\nnamespace: d\nannotations: {k: " + big + "}"), ConfigMap.class))
                .containsExactly("metadata.annotations: Too long: may not be more than 262144 bytes");
    }

    @Test
    void finalizers() {
        assertThat(createErrors(cm("name: x\nnamespace: d\nfinalizers: [kubernetes, example.com/f, foregroundDeletion]"), ConfigMap.class)).isEmpty();
        assertThat(createErrors(cm("name: x\nnamespace: d\nfinalizers: [custom]"), ConfigMap.class))
                .containsExactly("metadata.finalizers[0]: Invalid value: \"custom\": name is neither a standard finalizer name nor is it fully qualified");
        assertThat(createErrors(cm("name: x\nnamespace: d\nfinalizers: [orphan, foregroundDeletion]"), ConfigMap.class))
                .containsExactly("metadata.finalizers: Invalid value: []string{\"orphan\", \"foregroundDeletion\"}: finalizer orphan and foregroundDeletion cannot be both set");
    }

    @Test
    void ownerReferencesNeedApiVersionKindNameAndUid() {
        assertThat(createErrors(cm("name: x\nnamespace: d\nownerReferences: [{apiVersion: '', kind: '', name: '', uid: ''}]"), ConfigMap.class))
                .containsExactly(
                        "metadata.ownerReferences.apiVersion: Invalid value: \"\": version must not be empty",
                        "metadata.ownerReferences.kind: Invalid value: \"\": must not be empty",
                        "metadata.ownerReferences.name: Invalid value: \"\": must not be empty",
                        "metadata.ownerReferences.uid: Invalid value: \"\": must not be empty");
        assertThat(createErrors(cm("name: x\nnamespace: d\nownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: r, uid: u1}]"),
                ConfigMap.class)).isEmpty();
    }

    @Test
    void nameAndNamespaceAreImmutable() {
        assertThat(updateErrors(cm("name: x\nnamespace: d"), cm("name: y\nnamespace: d"), ConfigMap.class))
                .containsExactly("metadata.name: Invalid value: \"y\": field is immutable");
        assertThat(updateErrors(cm("name: x\nnamespace: d\nuid: u1"), cm("name: x\nnamespace: d\nuid: u2"), ConfigMap.class))
                .containsExactly("metadata.uid: Invalid value: \"u2\": field is immutable");
    }

    @Test
    void anUpdateReadBeforeDeletionStartedKeepsTheDeletionTimestamp() {
        var old = Fixtures.created(cm("name: x\nnamespace: d\nuid: u1\ndeletionTimestamp: '2026-01-01T00:00:00Z'\nfinalizers: [example.com/a]"), ConfigMap.class);
        var now = Fixtures.yaml(cm("name: x\nnamespace: d\nfinalizers: []"), ConfigMap.class);
        assertThat(Fixtures.updateErrors(old, now)).isEmpty();
        assertThat(now.getMetadata().getDeletionTimestamp()).isEqualTo("2026-01-01T00:00:00Z");
        assertThat(now.getMetadata().getUid()).isEqualTo("u1");
    }

    @Test
    void noNewFinalizersOnceDeleting() {
        String before = cm("name: x\nnamespace: d\ndeletionTimestamp: '2026-01-01T00:00:00Z'\nfinalizers: [example.com/a]");
        String after = cm("name: x\nnamespace: d\ndeletionTimestamp: '2026-01-01T00:00:00Z'\nfinalizers: [example.com/a, example.com/b]");
        assertThat(updateErrors(before, after, ConfigMap.class)).containsExactly(
                "metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{\"example.com/b\"}");
    }
}
