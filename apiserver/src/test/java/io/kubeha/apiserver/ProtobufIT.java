package io.kubeha.apiserver;

import io.kubeha.testkit.Kubectl;
import io.kubernetes.client.proto.Meta;
import io.kubernetes.client.proto.Runtime;
import io.kubernetes.client.proto.V1;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.DataInputStream;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Protobuf with the real clients: kubectl 1.33's create commands (client-go 1.32+ sends protobuf bodies), kubectl 1.27
 * (JSON) doing the same, and raw HTTP asking for protobuf answers, read with the generated Kubernetes messages.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProtobufIT {
    static {
        // the answers are read with client-java-proto's generated classes, whose old parsing code protobuf-java warns about
        System.setProperty("com.google.protobuf.use_unsafe_pre22_gencode", "true");
    }

    ApiServerFixture api;
    final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    void start() throws Exception {
        api = new ApiServerFixture();
    }

    @AfterAll
    void stop() throws Exception {
        if (api != null) api.close();
    }

    /** The create commands of the tutorials, in a namespace of their own, each checked by a get -o yaml. */
    void creates(Kubectl k, String ns) {
        assertThat(k.run("create", "namespace", ns).orFail().out()).contains("namespace/" + ns + " created");
        assertThat(k.run("get", "namespace", ns, "-o", "yaml").orFail().out()).contains("name: " + ns, "phase: Active");

        k.run("create", "configmap", "cfg", "-n", ns, "--from-literal=greeting=hello", "--from-literal=n=1").orFail();
        assertThat(k.run("get", "configmap", "cfg", "-n", ns, "-o", "yaml").orFail().out()).contains("greeting: hello", "\"n\": \"1\"");

        k.run("create", "secret", "generic", "pw", "-n", ns, "--from-literal=password=s3cr3t").orFail();
        assertThat(k.run("get", "secret", "pw", "-n", ns, "-o", "jsonpath={.data.password}").orFail().out())
                .isEqualTo(java.util.Base64.getEncoder().encodeToString("s3cr3t".getBytes(StandardCharsets.UTF_8)));

        k.run("create", "deployment", "web", "-n", ns, "--image=nginx:1.27", "--replicas=2", "--port=80").orFail();
        String deployment = k.run("get", "deployment", "web", "-n", ns, "-o", "yaml").orFail().out();
        assertThat(deployment).contains("image: nginx:1.27", "replicas: 2", "containerPort: 80", "app: web", "maxSurge: 25%");

        k.run("create", "service", "nodeport", "web", "-n", ns, "--tcp=80:8080").orFail();
        String service = k.run("get", "service", "web", "-n", ns, "-o", "yaml").orFail().out();
        assertThat(service).contains("type: NodePort", "port: 80", "targetPort: 8080", "nodePort:");

        k.run("create", "serviceaccount", "robot", "-n", ns).orFail();
        assertThat(k.run("get", "serviceaccount", "robot", "-n", ns, "-o", "yaml").orFail().out()).contains("name: robot");

        k.run("create", "role", "reader", "-n", ns, "--verb=get,list", "--resource=pods,configmaps").orFail();
        assertThat(k.run("get", "role", "reader", "-n", ns, "-o", "yaml").orFail().out()).contains("- get", "- list", "- pods", "- configmaps");

        k.run("create", "rolebinding", "reader", "-n", ns, "--role=reader", "--serviceaccount=" + ns + ":robot").orFail();
        assertThat(k.run("get", "rolebinding", "reader", "-n", ns, "-o", "yaml").orFail().out())
                .contains("kind: Role", "name: reader", "kind: ServiceAccount", "name: robot");

        // this plain-HTTP server signs no tokens: the TokenRequest body decoded and reached the token code
        assertThat(k.run("create", "token", "robot", "-n", ns).err()).contains("this server issues no tokens");

        k.run("create", "clusterrole", ns + "-viewer", "--verb=get", "--resource=nodes").orFail();
        k.run("create", "clusterrolebinding", ns + "-viewer", "--clusterrole=" + ns + "-viewer", "--user=alice").orFail();
        assertThat(k.run("get", "clusterrolebinding", ns + "-viewer", "-o", "yaml").orFail().out()).contains("name: alice");

        // a replace (PUT) and a delete with options go through the same bodies
        k.run("label", "configmap", "cfg", "-n", ns, "tier=front").orFail();
        k.run("delete", "configmap", "cfg", "-n", ns).orFail();
        k.run("delete", "deployment", "web", "-n", ns, "--grace-period=0").orFail();
    }

    @Test
    void kubectl133CreatesWithProtobufBodies() {
        Kubectl k = api.kubectl(Kubectl.DEFAULT);
        creates(k, "pb-new");
        // and the bodies were protobuf indeed
        Kubectl.Result traced = k.run("create", "configmap", "traced", "-n", "pb-new", "--from-literal=x=y", "-v=8").orFail();
        assertThat(traced.err()).contains("Content-Type: application/vnd.kubernetes.protobuf");
    }

    @Test
    void kubectl127StillCreatesWithJson() {
        creates(api.kubectl(Kubectl.OLDEST), "pb-old");
    }

    HttpResponse<byte[]> get(String path, String accept) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(api.url + path)).header("Accept", accept).build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    static Runtime.Unknown envelope(byte[] body) throws Exception {
        assertThat(Arrays.copyOf(body, 4)).isEqualTo(new byte[] {'k', '8', 's', 0});
        return Runtime.Unknown.parseFrom(Arrays.copyOfRange(body, 4, body.length));
    }

    @Test
    void answersInProtobufWhenAsked() throws Exception {
        Kubectl k = api.kubectl(Kubectl.DEFAULT);
        k.run("create", "namespace", "pb-read").orFail();
        k.run("create", "configmap", "c", "-n", "pb-read", "--from-literal=a=b").orFail();

        HttpResponse<byte[]> one = get("/api/v1/namespaces/pb-read/configmaps/c", "application/vnd.kubernetes.protobuf, */*");
        assertThat(one.statusCode()).isEqualTo(200);
        assertThat(one.headers().firstValue("Content-Type")).hasValue("application/vnd.kubernetes.protobuf");
        Runtime.Unknown u = envelope(one.body());
        assertThat(u.getTypeMeta().getKind()).isEqualTo("ConfigMap");
        V1.ConfigMap cm = V1.ConfigMap.parseFrom(u.getRaw());
        assertThat(cm.getDataMap()).containsEntry("a", "b");
        assertThat(cm.getMetadata().getUid()).isNotEmpty();
        assertThat(cm.getMetadata().getCreationTimestamp().getSeconds()).isPositive();

        HttpResponse<byte[]> list = get("/api/v1/namespaces/pb-read/configmaps", "application/vnd.kubernetes.protobuf");
        Runtime.Unknown lu = envelope(list.body());
        assertThat(lu.getTypeMeta().getKind()).isEqualTo("ConfigMapList");
        V1.ConfigMapList items = V1.ConfigMapList.parseFrom(lu.getRaw());
        assertThat(items.getItemsList()).extracting(c -> c.getMetadata().getName()).contains("c");
        assertThat(items.getMetadata().getResourceVersion()).isNotEmpty();

        // JSON stays the default and what a JSON-first Accept gets
        assertThat(get("/api/v1/namespaces/pb-read/configmaps/c", "application/json, */*").headers().firstValue("Content-Type"))
                .hasValue("application/json");
        assertThat(new String(get("/api/v1/namespaces/pb-read/configmaps/c", "*/*").body(), StandardCharsets.UTF_8)).startsWith("{");

        // errors are a protobuf Status
        HttpResponse<byte[]> missing = get("/api/v1/namespaces/pb-read/configmaps/nope", "application/vnd.kubernetes.protobuf");
        assertThat(missing.statusCode()).isEqualTo(404);
        Runtime.Unknown su = envelope(missing.body());
        assertThat(su.getTypeMeta().getKind()).isEqualTo("Status");
        assertThat(Meta.Status.parseFrom(su.getRaw()).getReason()).isEqualTo("NotFound");

        // a Table has no protobuf form: JSON when the client takes it, else 406
        HttpResponse<byte[]> table = get("/api/v1/namespaces/pb-read/configmaps",
                "application/json;as=Table;v=v1;g=meta.k8s.io,application/json");
        assertThat(new String(table.body(), StandardCharsets.UTF_8)).contains("\"kind\":\"Table\"");
    }

    @Test
    void watchesInProtobufFrames() throws Exception {
        Kubectl k = api.kubectl(Kubectl.DEFAULT);
        k.run("create", "namespace", "pb-watch").orFail();
        k.run("create", "configmap", "first", "-n", "pb-watch", "--from-literal=a=b").orFail();
        HttpResponse<InputStream> w = http.send(HttpRequest.newBuilder(URI.create(api.url
                        + "/api/v1/namespaces/pb-watch/configmaps?watch=true&timeoutSeconds=10"))
                .header("Accept", "application/vnd.kubernetes.protobuf, */*").build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(w.headers().firstValue("Content-Type")).hasValue("application/vnd.kubernetes.protobuf;stream=watch");
        try (DataInputStream in = new DataInputStream(w.body())) {
            Meta.WatchEvent first = frame(in);
            assertThat(first.getType()).isEqualTo("ADDED");
            V1.ConfigMap cm = V1.ConfigMap.parseFrom(envelope(first.getObject().getRaw().toByteArray()).getRaw());
            assertThat(cm.getMetadata().getName()).isEqualTo("first");

            k.run("create", "configmap", "second", "-n", "pb-watch", "--from-literal=c=d").orFail();
            Meta.WatchEvent second = frame(in);
            assertThat(second.getType()).isEqualTo("ADDED");
            assertThat(V1.ConfigMap.parseFrom(envelope(second.getObject().getRaw().toByteArray()).getRaw()).getDataMap())
                    .containsEntry("c", "d");
        }
    }

    static Meta.WatchEvent frame(DataInputStream in) throws Exception {
        int length = in.readInt();
        byte[] b = in.readNBytes(length);
        return Meta.WatchEvent.parseFrom(b);
    }

    @Test
    void badProtobufBodiesAreBadRequests() throws Exception {
        api.kubectl(Kubectl.DEFAULT).run("create", "namespace", "pb-bad").orFail();
        byte[] notProto = "k8s\0\u00ff\u00ff garbage".getBytes(StandardCharsets.ISO_8859_1);
        assertBad(post("/api/v1/namespaces/pb-bad/configmaps", notProto), "must be of type ConfigMap");
        assertBad(post("/api/v1/namespaces/pb-bad/configmaps", "{}".getBytes(StandardCharsets.UTF_8)), "must be of type ConfigMap");
        V1.Namespace ns = V1.Namespace.newBuilder().setMetadata(Meta.ObjectMeta.newBuilder().setName("zz")).build();
        byte[] u = Runtime.Unknown.newBuilder().setTypeMeta(Runtime.TypeMeta.newBuilder().setApiVersion("v1").setKind("Namespace"))
                .setRaw(ns.toByteString()).build().toByteArray();
        byte[] wrongKind = new byte[4 + u.length];
        System.arraycopy(new byte[] {'k', '8', 's', 0}, 0, wrongKind, 0, 4);
        System.arraycopy(u, 0, wrongKind, 4, u.length);
        assertBad(post("/api/v1/namespaces/pb-bad/configmaps", wrongKind), "the object provided is unrecognized (must be of type ConfigMap)");
        // the same envelope where it belongs works
        assertThat(post("/api/v1/namespaces", wrongKind).statusCode()).isEqualTo(201);
        // an unknown content type stays a 415
        assertThat(http.send(HttpRequest.newBuilder(URI.create(api.url + "/api/v1/namespaces")).header("Content-Type", "application/x-what")
                .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(415);
    }

    HttpResponse<String> post(String path, byte[] body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(api.url + path)).header("Content-Type", "application/vnd.kubernetes.protobuf")
                .timeout(Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static void assertBad(HttpResponse<String> r, String message) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        assertThat(r.body()).contains("\"reason\":\"BadRequest\"", message);
    }
}
