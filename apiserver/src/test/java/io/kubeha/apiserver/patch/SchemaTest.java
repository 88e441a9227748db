package io.kubeha.apiserver.patch;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import com.fasterxml.jackson.annotation.JsonProperty;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The patch facts, as found through the fabric8 model. */
class SchemaTest {

    private static Schema.Member at(Class<?> model, String... path) {
        Shape shape = Schema.root(model);
        Schema.Member m = null;
        for (String p : path) {
            m = Schema.member(shape, p);
            shape = m.shape() instanceof Shape.ListOf l ? l.items() : m.shape();
        }
        return m;
    }

    @Test
    void containersMergeByNameDeepInsideADeployment() {
        Schema.Member containers = at(Deployment.class, "spec", "template", "spec", "containers");
        assertThat(containers.tag().strategy()).isEqualTo(Tag.Strategy.MERGE);
        assertThat(containers.tag().mergeKey()).isEqualTo("name");
        assertThat(containers.shape()).isEqualTo(new Shape.ListOf(new Shape.Struct(io.fabric8.kubernetes.api.model.Container.class)));
        assertThat(at(Deployment.class, "spec", "template", "spec", "containers", "env").tag().mergeKey()).isEqualTo("name");
        assertThat(at(Deployment.class, "spec", "strategy").tag().retainKeys()).isTrue();
    }

    @Test
    void portsAreKeyedWithTheirProtocolForServerSideApply() {
        Tag ports = at(Pod.class, "spec", "containers", "ports").tag();
        assertThat(ports.mergeKey()).isEqualTo("containerPort");
        assertThat(ports.listType()).isEqualTo(Tag.ListType.MAP);
        assertThat(ports.applyKeys()).extracting(Tag.ListKey::name).containsExactly("containerPort", "protocol");
        assertThat(at(Service.class, "spec", "ports").tag().applyKeys()).extracting(Tag.ListKey::name)
                .containsExactly("port", "protocol");
    }

    @Test
    void untaggedListsAreAtomic() {
        assertThat(at(Pod.class, "spec", "tolerations").tag()).isEqualTo(Tag.NONE);
        assertThat(at(Node.class, "spec", "taints").tag().listType()).isEqualTo(Tag.ListType.ATOMIC);
        assertThat(at(Pod.class, "spec", "containers", "args").tag().listType()).isEqualTo(Tag.ListType.ATOMIC);
    }

    @Test
    void conditionsOfStatusesMergeByType() {
        assertThat(at(Pod.class, "status", "conditions").tag().mergeKey()).isEqualTo("type");
        assertThat(at(Deployment.class, "status", "conditions").tag().mergeKey()).isEqualTo("type");
        assertThat(at(Node.class, "status", "conditions").tag().mergeKey()).isEqualTo("type");
        // the rule covers status types the table does not name, with the one exception Kubernetes has
        assertThat(at(WidgetStatus.class, "conditions").tag().mergeKey()).isEqualTo("type");
        assertThat(at(CertificateSigningRequestStatus.class, "conditions").tag()).isEqualTo(Tag.NONE);
    }

    static class Condition {
        @JsonProperty("type")
        String type;
    }

    static class WidgetStatus {
        @JsonProperty("conditions")
        List<Condition> conditions;
    }

    static class CertificateSigningRequestStatus {
        @JsonProperty("conditions")
        List<Condition> conditions;
    }

    @Test
    void shapesOfScalarsMapsAndAtomicStructs() {
        assertThat(at(ConfigMap.class, "data").shape()).isEqualTo(new Shape.MapOf(Shape.SCALAR));
        assertThat(at(Pod.class, "spec", "containers", "resources", "limits").shape()).isEqualTo(new Shape.MapOf(Shape.SCALAR));
        assertThat(at(Deployment.class, "spec", "strategy", "rollingUpdate", "maxSurge").shape()).isEqualTo(Shape.SCALAR);
        assertThat(Schema.atomic(at(Deployment.class, "spec", "selector").shape())).isTrue();
        assertThat(at(PodDisruptionBudget.class, "spec", "selector").tag().strategy()).isEqualTo(Tag.Strategy.REPLACE);
        assertThat(at(Pod.class, "spec", "noSuchField").shape()).isEqualTo(Shape.UNKNOWN);
        assertThat(Schema.root(null)).isEqualTo(Shape.UNKNOWN);
    }

    @Test
    void everyTabledFieldExistsInTheModelWhereTheModelHasTheType() {
        String[] packages = {"io.fabric8.kubernetes.api.model.", "io.fabric8.kubernetes.api.model.apps.",
                "io.fabric8.kubernetes.api.model.policy.v1."};
        List<String> missing = new ArrayList<>();
        int checked = 0;
        for (String key : Tags.tabled()) {
            String type = key.substring(0, key.indexOf('.'));
            String field = key.substring(key.indexOf('.') + 1);
            for (String p : packages) {
                try {
                    Class<?> c = Class.forName(p + type);
                    checked++;
                    if (!Schema.members(c).containsKey(field)) missing.add(key);
                } catch (ClassNotFoundException e) {
                    // a type of an API group this server does not serve (admissionregistration, storage, ...)
                }
            }
        }
        assertThat(missing).isEmpty();
        assertThat(checked).isGreaterThan(30);
    }
}
