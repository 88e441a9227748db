package io.kubeha.apiserver.rules;

import io.fabric8.kubernetes.api.model.Service;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static io.kubeha.apiserver.rules.Fixtures.createErrors;
import static io.kubeha.apiserver.rules.Fixtures.created;
import static io.kubeha.apiserver.rules.Fixtures.updateErrors;
import static org.assertj.core.api.Assertions.assertThat;

class ServiceRulesTest {
    static String svc(String spec) {
        return "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: default}\nspec:\n" + spec.indent(2);
    }

    /** A Service as the API server stores it: defaulted, prepared, with a ClusterIP allocated. */
    static Service allocated(String spec) {
        Service s = created(svc(spec), Service.class);
        if (s.getSpec().getClusterIP() == null && !"ExternalName".equals(s.getSpec().getType())) {
            s.getSpec().setClusterIP("10.96.0.10");
            s.getSpec().setClusterIPs(new java.util.ArrayList<>(List.of("10.96.0.10")));
        }
        return s;
    }

    @Test
    void defaults() {
        Service s = created(svc("selector: {app: web}\nports: [{port: 80}]"), Service.class);
        var spec = s.getSpec();
        assertThat(spec.getType()).isEqualTo("ClusterIP");
        assertThat(spec.getSessionAffinity()).isEqualTo("None");
        assertThat(spec.getPorts().get(0).getProtocol()).isEqualTo("TCP");
        assertThat(spec.getPorts().get(0).getTargetPort().getIntVal()).isEqualTo(80);
        assertThat(spec.getIpFamilies()).containsExactly("IPv4");
        assertThat(spec.getIpFamilyPolicy()).isEqualTo("SingleStack");
        assertThat(spec.getInternalTrafficPolicy()).isEqualTo("Cluster");
        assertThat(spec.getExternalTrafficPolicy()).isNull();
        Service np = created(svc("type: NodePort\nports: [{port: 80, targetPort: http}]"), Service.class);
        assertThat(np.getSpec().getExternalTrafficPolicy()).isEqualTo("Cluster");
        assertThat(np.getSpec().getPorts().get(0).getTargetPort().getStrVal()).isEqualTo("http");
        Service lb = created(svc("type: LoadBalancer\nports: [{port: 80}]"), Service.class);
        assertThat(lb.getSpec().getAllocateLoadBalancerNodePorts()).isTrue();
    }

    @Test
    void headlessWithoutSelectorIsDualStackAsInKube() {
        Service s = created(svc("clusterIP: None\nports: [{port: 80}]"), Service.class);
        assertThat(s.getSpec().getClusterIPs()).containsExactly("None");
        assertThat(s.getSpec().getIpFamilyPolicy()).isEqualTo("RequireDualStack");
        assertThat(s.getSpec().getIpFamilies()).containsExactly("IPv4", "IPv6");
        assertThat(Rules.forKind(Service.class).validateCreate(s)).isEmpty();
    }

    @Test
    void validServices() {
        assertThat(Fixtures.strings(Rules.forKind(Service.class).validateCreate(allocated("selector: {app: web}\nports: [{port: 80}]")))).isEmpty();
        assertThat(createErrors(svc("type: ExternalName\nexternalName: example.com."), Service.class)).isEmpty();
        assertThat(createErrors(svc("clusterIP: None\nselector: {app: web}"), Service.class)).isEmpty();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "selector: {app: web}|spec.ports: Required value",
            "ports: [{port: 70000, targetPort: 80}]|spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive",
            "ports: [{port: 80, protocol: HTTP}]|spec.ports[0].protocol: Unsupported value: \"HTTP\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
            "ports: [{port: 80}, {port: 81, name: b}]|spec.ports[0].name: Required value",
            "ports: [{port: 80, name: a}, {port: 81, name: a}]|spec.ports[1].name: Duplicate value: \"a\"",
            "ports: [{port: 80, name: A}]|spec.ports[0].name: Invalid value: \"A\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
            "ports: [{port: 80, nodePort: 30080}]|spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'",
            "type: Magic\\nports: [{port: 80}]|spec.type: Unsupported value: \"Magic\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\"",
            "type: NodePort\\nclusterIP: None\\nports: [{port: 80}]|spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for NodePort services",
            "type: ExternalName|spec.externalName: Required value",
            "clusterIP: 10.0.0.300\\nports: [{port: 80}]|spec.clusterIPs[0]: Invalid value: \"10.0.0.300\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
            "selector: {'a b': x}\\nports: [{port: 80}]|spec.selector: Invalid value: \"a b\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
            "sessionAffinity: Sticky\\nports: [{port: 80}]|spec.sessionAffinity: Unsupported value: \"Sticky\": supported values: \"ClientIP\", \"None\"",
            "ports: [{port: 80, targetPort: 70000}]|spec.ports[0].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive",
            "ports: [{port: 80, name: a}, {port: 80, name: b}]|spec.ports[1]: Duplicate value: core.ServicePort{Name:\"\", Protocol:\"TCP\", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}, NodePort:0}",
            "externalTrafficPolicy: Local\\nports: [{port: 80}]|spec.externalTrafficPolicy: Invalid value: \"Local\": may only be set for externally-accessible services",
    })
    void oneErrorEach(String spec, String error) {
        assertThat(createErrors(svc(spec.replace("\\n", "\n")), Service.class)).containsExactly(error);
    }

    @Test
    void clusterIPCannotChange() {
        Service old = allocated("selector: {app: web}\nports: [{port: 80}]");
        Service now = Fixtures.copy(old);
        now.getSpec().setClusterIP("10.96.0.11");
        now.getSpec().setClusterIPs(List.of("10.96.0.11"));
        assertThat(Fixtures.updateErrors(old, now))
                .containsExactly("spec.clusterIPs[0]: Invalid value: []string{\"10.96.0.11\"}: may not change once set");
    }

    @Test
    void anUpdateWithoutTheAllocatedValuesKeepsThem() {
        Service old = allocated("type: NodePort\nselector: {app: web}\nports: [{port: 80}]");
        old.getSpec().getPorts().get(0).setNodePort(30080);
        Service now = Fixtures.yaml(svc("type: NodePort\nselector: {app: web, v: '2'}\nports: [{port: 80}]"), Service.class);
        assertThat(Fixtures.updateErrors(old, now)).isEmpty();
        assertThat(now.getSpec().getClusterIP()).isEqualTo("10.96.0.10");
        assertThat(now.getSpec().getClusterIPs()).containsExactly("10.96.0.10");
        assertThat(now.getSpec().getPorts().get(0).getNodePort()).isEqualTo(30080);
    }

    @Test
    void turningIntoExternalNameReleasesTheClusterIP() {
        Service old = allocated("selector: {app: web}\nports: [{port: 80}]");
        Service now = Fixtures.copy(old);
        now.getSpec().setType("ExternalName");
        now.getSpec().setExternalName("example.com");
        assertThat(Fixtures.updateErrors(old, now)).isEmpty();
        assertThat(now.getSpec().getClusterIP()).isNull();
        assertThat(now.getSpec().getIpFamilies()).isNullOrEmpty();
    }

    @Test
    void nodePortToClusterIPDropsTheNodePorts() {
        Service old = allocated("type: NodePort\nports: [{port: 80}]");
        old.getSpec().getPorts().get(0).setNodePort(30080);
        Service now = Fixtures.copy(old);
        now.getSpec().setType("ClusterIP");
        assertThat(Fixtures.updateErrors(old, now)).isEmpty();
        assertThat(now.getSpec().getPorts().get(0).getNodePort()).isNull();
        assertThat(now.getSpec().getExternalTrafficPolicy()).isNull();
    }

    @Test
    void updateValidatesTheNewObjectToo() {
        // port 0 leaves targetPort defaulted to 0 as well: kube reports both
        assertThat(updateErrors(svc("clusterIP: None\nselector: {a: b}"), svc("clusterIP: None\nselector: {a: b}\nports: [{port: 0}]"), Service.class))
                .containsExactly("spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
                        "spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive");
    }
}
