package io.kubeha.apiserver.rules;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Endpoints;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.ControllerRevision;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.kubeha.apiserver.api.Json;
import org.junit.jupiter.api.Test;

import java.util.Base64;
import java.util.List;

import static io.kubeha.apiserver.rules.Fixtures.createErrors;
import static io.kubeha.apiserver.rules.Fixtures.created;
import static io.kubeha.apiserver.rules.Fixtures.updateErrors;
import static org.assertj.core.api.Assertions.assertThat;

class OtherKindsTest {
    static final String META = "metadata: {name: x, namespace: default}\n";

    @Test
    void namespaceGetsItsNameLabelFinalizerAndPhase() {
        Namespace ns = created("apiVersion: v1\nkind: Namespace\nmetadata: {name: team-a}\n", Namespace.class);
        assertThat(ns.getMetadata().getLabels()).containsEntry("kubernetes.io/metadata.name", "team-a");
        assertThat(ns.getSpec().getFinalizers()).containsExactly("kubernetes");
        assertThat(ns.getStatus().getPhase()).isEqualTo("Active");
        assertThat(Rules.forKind(Namespace.class).validateCreate(ns)).isEmpty();
        assertThat(Rules.forKind(Namespace.class).namespaced()).isFalse();
    }

    @Test
    void namespaceFinalizersOnlyChangeThroughFinalize() {
        Namespace old = created("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n", Namespace.class);
        Namespace now = Fixtures.copy(old);
        now.getSpec().setFinalizers(List.of());
        assertThat(Fixtures.updateErrors(old, now)).isEmpty();
        assertThat(now.getSpec().getFinalizers()).containsExactly("kubernetes");
        assertThat(createErrors("apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\nspec: {finalizers: [mine]}\n", Namespace.class))
                .containsExactly("spec.finalizers: Invalid value: \"mine\": name is neither a standard finalizer name nor is it fully qualified");
    }

    @Test
    void nodeTaintsAndPodCIDR() {
        String node = "apiVersion: v1\nkind: Node\nmetadata: {name: node1}\nspec: {podCIDRs: [127.34.1.0/24], taints: [{key: k, effect: NoSchedule}]}\n";
        assertThat(createErrors(node, Node.class)).isEmpty();
        assertThat(createErrors(node.replace("effect: NoSchedule", "effect: Never"), Node.class))
                .containsExactly("spec.taints[0].effect: Unsupported value: \"Never\": supported values: \"NoSchedule\", \"PreferNoSchedule\", \"NoExecute\"");
        assertThat(createErrors(node.replace("{key: k, effect: NoSchedule}", "{key: k}"), Node.class)).containsExactly("spec.taints[0].effect: Required value");
        assertThat(updateErrors(node, node.replace("127.34.1.0/24", "127.34.2.0/24"), Node.class))
                .containsExactly("spec.podCIDRs: Forbidden: node updates may not change podCIDR except from \"\" to valid");
    }

    @Test
    void podCidrAndPodCidrsAreOneFieldSetOnceFromEmpty() {
        String bare = "apiVersion: v1\nkind: Node\nmetadata: {name: node1}\n";
        Node one = created(bare + "spec: {podCIDR: 127.64.1.0/24}\n", Node.class);
        assertThat(one.getSpec().getPodCIDRs()).containsExactly("127.64.1.0/24");
        Node other = created(bare + "spec: {podCIDRs: [127.64.2.0/24]}\n", Node.class);
        assertThat(other.getSpec().getPodCIDR()).isEqualTo("127.64.2.0/24");
        assertThat(createErrors(bare + "spec: {podCIDR: 127.64.1.0/24, podCIDRs: [127.64.2.0/24]}\n", Node.class))
                .containsExactly("spec.podCIDR: Invalid value: \"127.64.1.0/24\": must match the first entry of spec.podCIDRs (127.64.2.0/24)");
        // from empty to a value (what the node IPAM controller's patch does), in either field
        assertThat(updateErrors(bare, bare + "spec: {podCIDR: 127.64.1.0/24, podCIDRs: [127.64.1.0/24]}\n", Node.class)).isEmpty();
        assertThat(updateErrors(bare, bare + "spec: {podCIDR: 127.64.1.0/24}\n", Node.class)).isEmpty();
        // never changed once set, through either field, nor removed
        String set = bare + "spec: {podCIDR: 127.64.1.0/24}\n";
        assertThat(updateErrors(set, set, Node.class)).isEmpty();
        assertThat(updateErrors(set, bare + "spec: {podCIDR: 127.64.3.0/24}\n", Node.class))
                .containsExactly("spec.podCIDRs: Forbidden: node updates may not change podCIDR except from \"\" to valid");
        assertThat(updateErrors(set, bare + "spec: {podCIDR: 127.64.3.0/24, podCIDRs: [127.64.1.0/24]}\n", Node.class))
                .contains("spec.podCIDR: Forbidden: node updates may not change podCIDR except from \"\" to valid");
        assertThat(updateErrors(set, bare, Node.class))
                .containsExactly("spec.podCIDRs: Forbidden: node updates may not change podCIDR except from \"\" to valid");
        // a node stored with podCIDR alone (before the two were mirrored) keeps it too
        Node legacy = Fixtures.yaml(set, Node.class);
        Node changed = Fixtures.copy(legacy);
        changed.getSpec().setPodCIDR("127.64.9.0/24");
        assertThat(Fixtures.strings(Rules.forKind(Node.class).validateUpdate(changed, legacy)))
                .containsExactly("spec.podCIDR: Forbidden: node updates may not change podCIDR except from \"\" to valid");
    }

    @Test
    void configMapKeysSizeAndImmutability() {
        String cm = "apiVersion: v1\nkind: ConfigMap\n" + META;
        assertThat(createErrors(cm + "data: {a.conf: x, KEY_1: y}\n", ConfigMap.class)).isEmpty();
        assertThat(createErrors(cm + "data: {'a/b': x}\n", ConfigMap.class)).containsExactly(
                "data[a/b]: Invalid value: \"a/b\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' "
                        + "(e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')");
        assertThat(createErrors(cm + "data: {k: " + "x".repeat(1024 * 1024 + 1) + "}\n", ConfigMap.class))
                .containsExactly(": Too long: may not be more than 1048576 bytes");
        assertThat(updateErrors(cm + "immutable: true\ndata: {k: a}\n", cm + "immutable: true\ndata: {k: b}\n", ConfigMap.class))
                .containsExactly("data: Forbidden: field is immutable when `immutable` is set");
    }

    @Test
    void secretsDefaultToOpaqueFoldStringDataAndKeepTheirType() {
        String s = "apiVersion: v1\nkind: Secret\n" + META;
        Secret secret = created(s + "stringData: {password: hunter2}\n", Secret.class);
        assertThat(secret.getType()).isEqualTo("Opaque");
        assertThat(secret.getStringData()).isNullOrEmpty();
        assertThat(new String(Base64.getDecoder().decode(secret.getData().get("password")))).isEqualTo("hunter2");
        assertThat(createErrors(s + "type: kubernetes.io/tls\ndata: {tls.crt: eA==}\n", Secret.class)).containsExactly("data[tls.key]: Required value");
        assertThat(updateErrors(s, s + "type: kubernetes.io/basic-auth\ndata: {username: eA==}\n", Secret.class))
                .containsExactly("type: Invalid value: \"kubernetes.io/basic-auth\": field is immutable");
        String big = Base64.getEncoder().encodeToString(new byte[1024 * 1024 + 1]);
        assertThat(createErrors(s + "data: {k: " + big + "}\n", Secret.class)).containsExactly("data: Too long: may not be more than 1048576 bytes");
    }

    @Test
    void serviceAccountsCheckMetadataOnly() {
        assertThat(createErrors("apiVersion: v1\nkind: ServiceAccount\n" + META, ServiceAccount.class)).isEmpty();
    }

    @Test
    void endpointsAddressesAndPorts() {
        String ep = "apiVersion: v1\nkind: Endpoints\n" + META;
        // loopback pod IPs are this cluster's normal case
        assertThat(createErrors(ep + "subsets: [{addresses: [{ip: 127.34.0.5}], ports: [{port: 80}]}]\n", Endpoints.class)).isEmpty();
        assertThat(created(ep + "subsets: [{addresses: [{ip: 10.0.0.1}], ports: [{port: 80}]}]\n", Endpoints.class)
                .getSubsets().get(0).getPorts().get(0).getProtocol()).isEqualTo("TCP");
        assertThat(createErrors(ep + "subsets: [{addresses: [{ip: nope}], ports: [{port: 80}]}]\n", Endpoints.class)).containsExactly(
                "subsets[0].addresses[0].ip: Invalid value: \"nope\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
                "subsets[0].addresses[0].ip: Invalid value: \"nope\": must be a valid IP address");
        assertThat(createErrors(ep + "subsets: [{ports: [{port: 80}]}]\n", Endpoints.class))
                .containsExactly("subsets[0]: Required value: must specify `addresses` or `notReadyAddresses`");
        assertThat(createErrors(ep + "subsets: [{addresses: [{ip: 169.254.1.1}], ports: [{port: 80}, {port: 81, name: b}]}]\n", Endpoints.class))
                .containsExactly("subsets[0].addresses[0].ip: Invalid value: \"169.254.1.1\": may not be in the link-local range (169.254.0.0/16, fe80::/10)",
                        "subsets[0].ports[0].name: Required value");
    }

    @Test
    void endpointSlices() {
        String es = "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n" + META;
        EndpointSlice ok = created(es + "addressType: IPv4\nendpoints: [{addresses: [127.34.0.7]}]\nports: [{port: 80}]\n", EndpointSlice.class);
        assertThat(ok.getPorts().get(0).getProtocol()).isEqualTo("TCP");
        assertThat(Rules.forKind(EndpointSlice.class).validateCreate(ok)).isEmpty();
        assertThat(createErrors(es + "endpoints: []\n", EndpointSlice.class)).containsExactly("addressType: Required value");
        assertThat(createErrors(es + "addressType: IPv4\nendpoints: [{addresses: []}]\n", EndpointSlice.class))
                .containsExactly("endpoints[0].addresses: Required value: must contain at least 1 address");
        assertThat(createErrors(es + "addressType: IPv4\nendpoints: [{addresses: ['::1']}]\n", EndpointSlice.class))
                .containsExactly("endpoints[0].addresses[0]: Invalid value: \"::1\": must be a valid IPv4 address");
        assertThat(updateErrors(es + "addressType: IPv4\n", es + "addressType: IPv6\n", EndpointSlice.class))
                .containsExactly("addressType: Invalid value: \"IPv6\": field is immutable");
    }

    @Test
    void leases() {
        String l = "apiVersion: coordination.k8s.io/v1\nkind: Lease\n" + META;
        assertThat(createErrors(l + "spec: {holderIdentity: a, leaseDurationSeconds: 15}\n", Lease.class)).isEmpty();
        assertThat(createErrors(l + "spec: {leaseDurationSeconds: 0}\n", Lease.class))
                .containsExactly("spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0");
    }

    @Test
    void controllerRevisions() {
        String r = "apiVersion: apps/v1\nkind: ControllerRevision\n" + META;
        assertThat(createErrors(r + "revision: 1\ndata: {spec: {}}\n", ControllerRevision.class)).isEmpty();
        assertThat(createErrors(r + "revision: -1\n", ControllerRevision.class))
                .containsExactly("data: Required value: data is mandatory", "revision: Invalid value: -1: must be greater than or equal to 0");
        assertThat(updateErrors(r + "revision: 1\ndata: {a: 1}\n", r + "revision: 1\ndata: {a: 2}\n", ControllerRevision.class))
                .containsExactly("data: Invalid value: runtime.RawExtension{...}: field is immutable");
    }

    @Test
    void events() {
        String e = "apiVersion: v1\nkind: Event\n" + META;
        assertThat(createErrors(e + "involvedObject: {kind: Pod, name: p, namespace: default}\nreason: Started\n", Event.class)).isEmpty();
        assertThat(createErrors(e + "involvedObject: {kind: Pod, name: p, namespace: other}\n", Event.class))
                .containsExactly("involvedObject.namespace: Invalid value: \"other\": does not match event.namespace");
        assertThat(createErrors(e + "eventTime: '2026-01-01T00:00:00.000000Z'\ninvolvedObject: {kind: Pod, name: p, namespace: default}\n", Event.class))
                .containsExactly("reportingComponent: Required value",
                        "reportingComponent: Invalid value: \"\": name part must be non-empty",
                        "reportingComponent: Invalid value: \"\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
                        "reportingInstance: Required value", "action: Required value", "reason: Required value");
    }

    @Test
    void kindsWithoutRulesGetMetadataChecks() {
        var r = Rules.forKind(GenericKubernetesResource.class, true);
        GenericKubernetesResource g = Fixtures.yaml("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: Bad_Name, namespace: d}\nspec: {size: 3}\n",
                GenericKubernetesResource.class);
        r.applyDefaults(g);
        assertThat(Fixtures.strings(r.validateCreate(g))).singleElement().asString().startsWith("metadata.name: Invalid value: \"Bad_Name\"");
        assertThat(Json.string(g)).contains("\"spec\":{\"size\":3}");
        assertThat(Rules.forKind(GenericKubernetesResource.class).namespaced()).isFalse();
    }

    @Test
    void unknownFieldsSurviveEveryKind() {
        String cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: d, futureMeta: 1}\ndata: {a: b}\nfutureTop: {x: y}\n";
        ConfigMap c = created(cm, ConfigMap.class);
        assertThat(Json.string(c)).contains("\"futureTop\":{\"x\":\"y\"}").contains("\"futureMeta\":1");
        String svc = "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: d}\nspec: {ports: [{port: 80, futurePortField: true}], futureSpec: 2}\n";
        var s = created(svc, io.fabric8.kubernetes.api.model.Service.class);
        assertThat(Json.string(s)).contains("\"futurePortField\":true").contains("\"futureSpec\":2");
    }
}
