package io.kubeha.apiserver.protobuf;

import io.kubeha.apiserver.api.ApiException;
import io.kubeha.apiserver.api.Json;
import io.kubernetes.client.proto.Meta;
import io.kubernetes.client.proto.V1;
import io.kubernetes.client.proto.V1Apps;
import io.kubernetes.client.proto.V1Coordination;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ProtoJsonTest {
    static {
        // the test reads answers with client-java-proto's generated classes (the server parses with DynamicMessage);
        // their old parsing code is what protobuf-java warns about, once per message
        System.setProperty("com.google.protobuf.use_unsafe_pre22_gencode", "true");
    }

    static final String DEPLOYMENT = """
            {"apiVersion":"apps/v1","kind":"Deployment",
             "metadata":{"name":"web","namespace":"default","uid":"7c1d","resourceVersion":"42","generation":3,
               "creationTimestamp":"2026-01-02T03:04:05Z","labels":{"app":"web"},"annotations":{"a":"b"},
               "ownerReferences":[{"apiVersion":"v1","kind":"X","name":"o","uid":"1","controller":true,"blockOwnerDeletion":false}],
               "managedFields":[{"manager":"kubectl","operation":"Update","apiVersion":"apps/v1","time":"2026-01-02T03:04:05Z",
                 "fieldsType":"FieldsV1","fieldsV1":{"f:spec":{"f:replicas":{}}}}]},
             "spec":{"replicas":0,"selector":{"matchLabels":{"app":"web"},
                 "matchExpressions":[{"key":"tier","operator":"In","values":["a","b"]}]},
               "strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":"25%","maxUnavailable":1}},
               "revisionHistoryLimit":10,"progressDeadlineSeconds":600,
               "template":{"metadata":{"labels":{"app":"web"}},
                 "spec":{"automountServiceAccountToken":false,"terminationGracePeriodSeconds":0,
                   "containers":[{"name":"nginx","image":"nginx:1.27","args":["-g","daemon off;"],
                     "ports":[{"containerPort":80,"protocol":"TCP"}],
                     "env":[{"name":"A","value":"1"},{"name":"B","valueFrom":{"fieldRef":{"fieldPath":"metadata.name"}}}],
                     "resources":{"limits":{"cpu":"500m","memory":"128Mi"},"requests":{"cpu":"0.25","memory":"64Mi"}},
                     "readinessProbe":{"httpGet":{"path":"/","port":"http","scheme":"HTTP"},"periodSeconds":5},
                     "livenessProbe":{"tcpSocket":{"port":80}},
                     "securityContext":{"runAsUser":0,"allowPrivilegeEscalation":false},
                     "volumeMounts":[{"name":"data","mountPath":"/data"}]}],
                   "volumes":[{"name":"data","emptyDir":{}},{"name":"cfg","configMap":{"name":"c","defaultMode":420}}],
                   "tolerations":[{"key":"k","operator":"Exists","effect":"NoExecute","tolerationSeconds":0}]}}},
             "status":{"replicas":2,"conditions":[{"type":"Available","status":"True","lastUpdateTime":"2026-01-02T03:04:05Z"}]}}
            """;

    static final String SECRET = """
            {"apiVersion":"v1","kind":"Secret","metadata":{"name":"s","namespace":"default"},"type":"Opaque",
             "data":{"password":"c2VjcmV0","empty":""},"immutable":false}
            """;

    static final String LEASE = """
            {"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"kube-scheduler","namespace":"kube-system"},
             "spec":{"holderIdentity":"m1_1234","leaseDurationSeconds":15,"acquireTime":"2026-01-02T03:04:05.123456Z",
               "renewTime":"2026-01-02T03:04:20.000001Z","leaseTransitions":0}}
            """;

    static final String SERVICE = """
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"default"},
             "spec":{"type":"NodePort","selector":{"app":"web"},"ports":[{"name":"http","port":80,"targetPort":8080,"nodePort":30080,"protocol":"TCP"},
               {"name":"named","port":81,"targetPort":"http"}],"clusterIPs":["10.96.0.10"]}}
            """;

    static final String CONTROLLER_REVISION = """
            {"apiVersion":"apps/v1","kind":"ControllerRevision","metadata":{"name":"r","namespace":"default"},
             "data":{"spec":{"template":{"metadata":{"labels":{"a":"b"}}}}},"revision":2}
            """;

    static final String STATUS = """
            {"apiVersion":"v1","kind":"Status","metadata":{},"status":"Failure","message":"namespaces \\"x\\" already exists",
             "reason":"AlreadyExists","details":{"name":"x","kind":"namespaces"},"code":409}
            """;

    static ObjectNode json(String s) {
        return (ObjectNode) Json.MAPPER.readTree(s);
    }

    /** JSON to the enveloped protobuf and back. */
    static JsonNode roundTrip(ObjectNode in) {
        byte[] wire = Protobuf.encode(in);
        return Protobuf.decode(wire, in.get("apiVersion").asString(), in.get("kind").asString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"DEPLOYMENT", "SECRET", "LEASE", "SERVICE", "CONTROLLER_REVISION", "STATUS"})
    void jsonToProtoToJsonIsTheSame(String which) throws Exception {
        ObjectNode in = json((String) ProtoJsonTest.class.getDeclaredField(which).get(null));
        assertThat(roundTrip(in)).isEqualTo(in);
    }

    @Test
    void theBytesAreKubernetesOwnMessages() throws Exception {
        byte[] wire = Protobuf.encode(json(DEPLOYMENT));
        assertThat(new String(wire, 0, 4, java.nio.charset.StandardCharsets.ISO_8859_1)).isEqualTo("k8s\0");
        io.kubernetes.client.proto.Runtime.Unknown u = io.kubernetes.client.proto.Runtime.Unknown.parseFrom(
                java.util.Arrays.copyOfRange(wire, 4, wire.length));
        assertThat(u.getTypeMeta().getApiVersion()).isEqualTo("apps/v1");
        assertThat(u.getTypeMeta().getKind()).isEqualTo("Deployment");
        V1Apps.Deployment d = V1Apps.Deployment.parseFrom(u.getRaw());
        assertThat(d.getSpec().getReplicas()).isZero();
        assertThat(d.getSpec().hasReplicas()).isTrue();
        assertThat(d.getSpec().getStrategy().getRollingUpdate().getMaxSurge().getStrVal()).isEqualTo("25%");
        assertThat(d.getSpec().getStrategy().getRollingUpdate().getMaxUnavailable().getIntVal()).isEqualTo(1);
        V1.Container c = d.getSpec().getTemplate().getSpec().getContainers(0);
        assertThat(c.getResources().getLimitsMap().get("memory").getString()).isEqualTo("128Mi");
        assertThat(c.getReadinessProbe().getHandler().getHttpGet().getPort().getStrVal()).isEqualTo("http");
        assertThat(d.getSpec().getTemplate().getSpec().getVolumes(0).getVolumeSource().hasEmptyDir()).isTrue();
        assertThat(d.getMetadata().getCreationTimestamp().getSeconds()).isEqualTo(java.time.Instant.parse("2026-01-02T03:04:05Z").getEpochSecond());
        assertThat(d.getMetadata().getManagedFields(0).getFieldsV1().getRaw().toStringUtf8()).isEqualTo("{\"f:spec\":{\"f:replicas\":{}}}");

        byte[] secret = Protobuf.encode(json(SECRET));
        V1.Secret s = V1.Secret.parseFrom(io.kubernetes.client.proto.Runtime.Unknown.parseFrom(
                java.util.Arrays.copyOfRange(secret, 4, secret.length)).getRaw());
        assertThat(s.getDataMap().get("password").toStringUtf8()).isEqualTo("secret");

        byte[] lease = Protobuf.encode(json(LEASE));
        V1Coordination.Lease l = V1Coordination.Lease.parseFrom(io.kubernetes.client.proto.Runtime.Unknown.parseFrom(
                java.util.Arrays.copyOfRange(lease, 4, lease.length)).getRaw());
        assertThat(l.getSpec().getAcquireTime().getNanos()).isEqualTo(123_456_000);
    }

    /** What client-go sends: every non-pointer scalar written, zero or not. */
    @Test
    void goZeroScalarsAreLeftOutButPointerZerosStay() {
        V1.Namespace ns = V1.Namespace.newBuilder()
                .setMetadata(Meta.ObjectMeta.newBuilder().setName("x").setGenerateName("").setNamespace("").setUid("")
                        .setResourceVersion("").setGeneration(0).setCreationTimestamp(Meta.Time.newBuilder()))
                .setSpec(V1.NamespaceSpec.newBuilder())
                .setStatus(V1.NamespaceStatus.newBuilder().setPhase(""))
                .build();
        ObjectNode out = Protobuf.decode(envelope("v1", "Namespace", ns.toByteArray()), "v1", "Namespace");
        assertThat(out).isEqualTo(json("""
                {"apiVersion":"v1","kind":"Namespace","metadata":{"name":"x"},"spec":{},"status":{}}"""));

        V1.ServiceAccount sa = V1.ServiceAccount.newBuilder().setMetadata(Meta.ObjectMeta.newBuilder().setName("sa"))
                .setAutomountServiceAccountToken(false).build();
        assertThat(Protobuf.decode(envelope("v1", "ServiceAccount", sa.toByteArray()), "v1", "ServiceAccount").get("automountServiceAccountToken").asBoolean())
                .isFalse();
    }

    @Test
    void badBodiesAreBadRequests() {
        V1.ConfigMap cm = V1.ConfigMap.newBuilder().setMetadata(Meta.ObjectMeta.newBuilder().setName("c")).build();
        assertThatThrownBy(() -> Protobuf.decode(envelope("v1", "ConfigMap", cm.toByteArray()), "v1", "Namespace"))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.code()).isEqualTo(400);
                    assertThat(e.reason()).isEqualTo("BadRequest");
                    assertThat(e.getMessage()).startsWith("the object provided is unrecognized (must be of type Namespace): ");
                });
        assertThatThrownBy(() -> Protobuf.decode("{\"kind\":\"Namespace\"}".getBytes(), "v1", "Namespace"))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.code()).isEqualTo(400));
        byte[] garbage = {'k', '8', 's', 0, (byte) 0xff, (byte) 0xff, 0x01, 0x02};
        assertThatThrownBy(() -> Protobuf.decode(garbage, "v1", "Namespace"))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.code()).isEqualTo(400));
        byte[] badRaw = envelope("v1", "Namespace", new byte[] {0x0a, 0x7f, 0x01});
        assertThatThrownBy(() -> Protobuf.decode(badRaw, "v1", "Namespace"))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.code()).isEqualTo(400));
        assertThatThrownBy(() -> Protobuf.decode(envelope("apps/v1beta1", "Deployment", new byte[0]), "apps/v1", "Deployment"))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.code()).isEqualTo(400));
    }

    @Test
    void durationsAreGoText() {
        assertThat(GoDuration.format(0)).isEqualTo("0s");
        assertThat(GoDuration.format(90_000_000_000L)).isEqualTo("1m30s");
        assertThat(GoDuration.format(3_723_500_000_000L)).isEqualTo("1h2m3.5s");
        assertThat(GoDuration.format(300_000_000L)).isEqualTo("300ms");
        assertThat(GoDuration.format(1_500L)).isEqualTo("1.5µs");
        for (long n : List.of(0L, 1L, 1_500L, 300_000_000L, 90_000_000_000L, 3_723_500_000_000L, -5_000_000_000L)) {
            assertThat(GoDuration.parse(GoDuration.format(n))).isEqualTo(n);
        }
    }

    @Test
    void acceptHeadersPickAsKubeDoes() {
        assertThat(Negotiation.preferred("application/vnd.kubernetes.protobuf, */*").getFirst()).isEqualTo(Negotiation.Format.PROTOBUF);
        assertThat(Negotiation.preferred("application/vnd.kubernetes.protobuf,application/json")).containsExactly(
                Negotiation.Format.PROTOBUF, Negotiation.Format.JSON);
        assertThat(Negotiation.preferred("*/*, application/vnd.kubernetes.protobuf").getFirst()).isEqualTo(Negotiation.Format.PROTOBUF);
        assertThat(Negotiation.preferred("application/json, application/vnd.kubernetes.protobuf")).first().isEqualTo(Negotiation.Format.JSON);
        assertThat(Negotiation.preferred("application/vnd.kubernetes.protobuf;q=0.5, application/json")).first().isEqualTo(Negotiation.Format.JSON);
        assertThat(Negotiation.preferred("application/json;as=Table;v=v1;g=meta.k8s.io,application/json")).containsExactly(Negotiation.Format.JSON);
        assertThat(Negotiation.preferred("application/json;as=Table;v=v1;g=meta.k8s.io")).containsExactly(Negotiation.Format.JSON);
        assertThat(Negotiation.preferred(null)).containsExactly(Negotiation.Format.JSON);
        assertThat(Negotiation.preferred("text/html")).containsExactly(Negotiation.Format.JSON);
        assertThat(Negotiation.preferred("application/vnd.kubernetes.protobuf")).containsExactly(Negotiation.Format.PROTOBUF);
        assertThat(Protobuf.encodable(json("{\"apiVersion\":\"meta.k8s.io/v1\",\"kind\":\"Table\"}"))).isFalse();
    }

    static byte[] envelope(String apiVersion, String kind, byte[] raw) {
        byte[] u = io.kubernetes.client.proto.Runtime.Unknown.newBuilder()
                .setTypeMeta(io.kubernetes.client.proto.Runtime.TypeMeta.newBuilder().setApiVersion(apiVersion).setKind(kind))
                .setRaw(com.google.protobuf.ByteString.copyFrom(raw)).build().toByteArray();
        byte[] out = new byte[4 + u.length];
        System.arraycopy(Protobuf.MAGIC, 0, out, 0, 4);
        System.arraycopy(u, 0, out, 4, u.length);
        return out;
    }
}
