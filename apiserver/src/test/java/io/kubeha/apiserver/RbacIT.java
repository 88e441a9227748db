package io.kubeha.apiserver;

import io.kubeha.apiserver.api.Json;
import io.kubeha.testkit.Kubectl;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The rbac.authorization.k8s.io/v1 kinds with the real kubectl: its create generators (kubectl 1.27, which sends
 * JSON), apply, get, describe and watch, and kube's validation of rules, roleRefs and subjects over plain HTTP.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RbacIT {
    static final String GROUP = "/apis/rbac.authorization.k8s.io/v1";

    ApiServerFixture api;
    Kubectl oldest;
    Kubectl newest;
    Path tmp;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    void start() throws Exception {
        api = new ApiServerFixture();
        oldest = api.kubectl(Kubectl.OLDEST);
        newest = api.kubectl(Kubectl.DEFAULT);
        tmp = Files.createTempDirectory("rbac-it");
    }

    @AfterAll
    void stop() throws Exception {
        if (api != null) api.close();
    }

    Kubectl kubectl(String binary) {
        return api.kubectl(Path.of(binary));
    }

    record Answer(int code, JsonNode body) {}

    Answer call(String method, String path, String body) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(api.url + path)).timeout(Duration.ofSeconds(30));
        if (body == null) r.method(method, HttpRequest.BodyPublishers.noBody());
        else r.method(method, HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json");
        HttpResponse<String> resp = http.send(r.build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(resp.statusCode(), Json.MAPPER.readTree(resp.body()));
    }

    String namespace() throws Exception {
        String ns = "r-" + UUID.randomUUID().toString().substring(0, 8);
        assertThat(call("POST", "/api/v1/namespaces", "{\"metadata\":{\"name\":\"" + ns + "\"}}").code()).isEqualTo(201);
        return ns;
    }

    static List<String> causes(Answer a) {
        List<String> out = new ArrayList<>();
        for (JsonNode c : a.body().path("details").path("causes")) {
            out.add(c.path("field").asString() + " " + c.path("reason").asString() + " " + c.path("message").asString());
        }
        return out;
    }

    @Test
    void kubectlCreateGeneratorsMakeEachKind() throws Exception {
        String ns = namespace();
        assertThat(oldest.run("create", "clusterrole", "pod-reader-" + ns, "--verb=get,list", "--resource=pods").orFail().out())
                .contains("clusterrole.rbac.authorization.k8s.io/pod-reader-" + ns + " created");
        oldest.run("create", "role", "cm-editor", "-n", ns, "--verb=get,update", "--resource=configmaps",
                "--resource-name=settings").orFail();
        assertThat(oldest.run("create", "rolebinding", "viewers", "-n", ns, "--clusterrole=view",
                "--serviceaccount=" + ns + ":viewer", "--user=alice", "--group=devs").orFail().out())
                .contains("rolebinding.rbac.authorization.k8s.io/viewers created");
        oldest.run("create", "clusterrolebinding", "pod-readers-" + ns, "--clusterrole=pod-reader-" + ns,
                "--serviceaccount=" + ns + ":reader").orFail();

        JsonNode role = Json.MAPPER.readTree(newest.run("get", "clusterrole", "pod-reader-" + ns, "-o", "json").orFail().out());
        assertThat(role.path("rules").get(0).path("verbs").toString()).isEqualTo("[\"get\",\"list\"]");
        assertThat(role.path("rules").get(0).path("resources").toString()).isEqualTo("[\"pods\"]");
        assertThat(role.path("rules").get(0).path("apiGroups").toString()).isEqualTo("[\"\"]");
        JsonNode rb = Json.MAPPER.readTree(newest.run("get", "rolebinding", "viewers", "-n", ns, "-o", "json").orFail().out());
        assertThat(rb.path("roleRef").path("apiGroup").asString()).isEqualTo("rbac.authorization.k8s.io");
        assertThat(rb.path("subjects").toString()).contains("\"kind\":\"ServiceAccount\"", "\"kind\":\"User\"", "\"kind\":\"Group\"");

        // tables as kube prints them
        String roles = newest.run("get", "clusterroles").orFail().out();
        assertThat(roles.lines().findFirst().orElseThrow()).matches("NAME\\s+CREATED AT");
        assertThat(roles).containsPattern("pod-reader-" + ns + "\\s+\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ");
        assertThat(newest.run("get", "roles", "-n", ns).orFail().out()).contains("cm-editor");
        String bindings = newest.run("get", "rolebindings", "-n", ns).orFail().out();
        assertThat(bindings.lines().findFirst().orElseThrow()).matches("NAME\\s+ROLE\\s+AGE");
        assertThat(bindings).containsPattern("viewers\\s+ClusterRole/view\\s+\\d+s");
        String wide = newest.run("get", "rolebindings", "-n", ns, "-o", "wide").orFail().out();
        assertThat(wide.lines().findFirst().orElseThrow()).matches("NAME\\s+ROLE\\s+AGE\\s+USERS\\s+GROUPS\\s+SERVICEACCOUNTS");
        assertThat(wide).containsPattern("viewers\\s+ClusterRole/view\\s+\\S+\\s+alice\\s+devs\\s+" + ns + "/viewer");
        String crbs = oldest.run("get", "clusterrolebinding", "pod-readers-" + ns, "-o", "wide").orFail().out();
        assertThat(crbs).containsPattern("pod-readers-" + ns + "\\s+ClusterRole/pod-reader-" + ns + "\\s+\\S+\\s+" + ns + "/reader");

        String describe = newest.run("describe", "rolebinding", "viewers", "-n", ns).orFail().out();
        assertThat(describe).contains("Name:", "viewers", "Role:", "Kind:  ClusterRole", "Name:  view",
                "ServiceAccount", "viewer", "User", "alice", "Group", "devs");
        assertThat(newest.run("describe", "clusterrole", "pod-reader-" + ns).orFail().out()).contains("pods", "[get list]");
    }

    static String allFour(String ns) {
        return """
                apiVersion: rbac.authorization.k8s.io/v1
                kind: Role
                metadata: {name: pod-reader, namespace: %1$s}
                rules:
                - apiGroups: [""]
                  resources: [pods, pods/log]
                  verbs: [get, list, watch]
                ---
                apiVersion: rbac.authorization.k8s.io/v1
                kind: ClusterRole
                metadata: {name: %1$s-aggregate}
                aggregationRule:
                  clusterRoleSelectors:
                  - matchLabels: {rbac.example.com/aggregate-to-%1$s: "true"}
                ---
                apiVersion: rbac.authorization.k8s.io/v1
                kind: ClusterRole
                metadata:
                  name: %1$s-health
                  labels: {rbac.example.com/aggregate-to-%1$s: "true"}
                rules:
                - nonResourceURLs: [/healthz, /healthz/*]
                  verbs: [get]
                ---
                apiVersion: rbac.authorization.k8s.io/v1
                kind: RoleBinding
                metadata: {name: read-pods, namespace: %1$s}
                subjects:
                - {kind: User, name: jane, apiGroup: rbac.authorization.k8s.io}
                - {kind: ServiceAccount, name: default}
                roleRef: {kind: Role, name: pod-reader, apiGroup: rbac.authorization.k8s.io}
                ---
                apiVersion: rbac.authorization.k8s.io/v1
                kind: ClusterRoleBinding
                metadata: {name: %1$s-health}
                subjects:
                - {kind: Group, name: "system:authenticated", apiGroup: rbac.authorization.k8s.io}
                - {kind: ServiceAccount, name: default, namespace: %1$s}
                roleRef: {kind: ClusterRole, name: %1$s-health, apiGroup: rbac.authorization.k8s.io}
                """.formatted(ns);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/usr/bin/kubectl", "/usr/lib/google-cloud-sdk/bin/kubectl.1.27"})
    void applyOfAllFourKindsIsIdempotent(String binary) throws Exception {
        Kubectl k = kubectl(binary);
        String ns = namespace();
        Path f = tmp.resolve("rbac-" + ns + ".yaml");
        Files.writeString(f, allFour(ns));
        assertThat(k.run("apply", "-f", f.toString()).orFail().out()).contains(
                "role.rbac.authorization.k8s.io/pod-reader created",
                "clusterrole.rbac.authorization.k8s.io/" + ns + "-aggregate created",
                "clusterrole.rbac.authorization.k8s.io/" + ns + "-health created",
                "rolebinding.rbac.authorization.k8s.io/read-pods created",
                "clusterrolebinding.rbac.authorization.k8s.io/" + ns + "-health created");
        assertThat(k.run("apply", "-f", f.toString()).orFail().out()).contains(
                "role.rbac.authorization.k8s.io/pod-reader unchanged",
                "rolebinding.rbac.authorization.k8s.io/read-pods unchanged",
                "clusterrolebinding.rbac.authorization.k8s.io/" + ns + "-health unchanged");
        // a ServiceAccount subject has no apiGroup (a User's or Group's left out is defaulted, as the HTTP test shows;
        // kubectl would then see a difference on every apply, subjects being an atomic list, as with kube)
        JsonNode crb = Json.MAPPER.readTree(k.run("get", "clusterrolebinding", ns + "-health", "-o", "json").orFail().out());
        assertThat(crb.path("subjects").get(0).path("apiGroup").asString()).isEqualTo("rbac.authorization.k8s.io");
        assertThat(crb.path("subjects").get(1).has("apiGroup")).isFalse();
        // a changed rule is applied
        Files.writeString(f, allFour(ns).replace("verbs: [get, list, watch]", "verbs: [get]"));
        assertThat(k.run("apply", "-f", f.toString()).orFail().out()).contains("role.rbac.authorization.k8s.io/pod-reader configured");
        assertThat(k.run("get", "role", "pod-reader", "-n", ns, "-o", "jsonpath={.rules[0].verbs}").orFail().out()).isEqualTo("[\"get\"]");
        // a changed roleRef is not
        Files.writeString(f, allFour(ns).replace("roleRef: {kind: Role, name: pod-reader,", "roleRef: {kind: ClusterRole, name: view,"));
        Kubectl.Result refused = k.run("apply", "-f", f.toString());
        assertThat(refused.exit()).isNotZero();
        assertThat(refused.err()).contains("roleRef: Invalid value: rbac.RoleRef{APIGroup:\"rbac.authorization.k8s.io\", "
                + "Kind:\"ClusterRole\", Name:\"view\"}: cannot change roleRef");
        assertThat(k.run("delete", "-f", tmp.resolve("rbac-" + ns + ".yaml").toString()).exit()).isZero();
    }

    @Test
    void rulesAreValidatedAsKubeDoes() throws Exception {
        String ns = namespace();
        Answer noVerbs = call("POST", GROUP + "/namespaces/" + ns + "/roles", """
                {"metadata":{"name":"r"},"rules":[{"apiGroups":[""],"resources":["pods"]},
                 {"nonResourceURLs":["/healthz"],"verbs":["get"]},{"verbs":["get"]},
                 {"apiGroups":[""],"resources":["pods","services"],"resourceNames":["x"],"verbs":["get"]}]}""");
        assertThat(noVerbs.code()).isEqualTo(422);
        assertThat(noVerbs.body().path("reason").asString()).isEqualTo("Invalid");
        assertThat(noVerbs.body().path("details").path("kind").asString()).isEqualTo("Role");
        assertThat(noVerbs.body().path("details").path("group").asString()).isEqualTo("rbac.authorization.k8s.io");
        assertThat(causes(noVerbs)).containsExactly(
                "rules[0].verbs FieldValueRequired Required value: verbs must contain at least one value",
                "rules[1].nonResourceURLs FieldValueInvalid Invalid value: []string{\"/healthz\"}: namespaced rules cannot apply to non-resource URLs",
                "rules[2].apiGroups FieldValueRequired Required value: resource rules must supply at least one api group",
                "rules[2].resources FieldValueRequired Required value: resource rules must supply at least one resource",
                "rules[3].resourceNames FieldValueRequired Required value: resource names cannot apply to multiple resources");

        Answer mixed = call("POST", GROUP + "/clusterroles", """
                {"metadata":{"name":"mixed-%s"},"rules":[{"nonResourceURLs":["/metrics"],"resources":["pods"],"verbs":["get"]}],
                 "aggregationRule":{}}""".formatted(ns));
        assertThat(causes(mixed)).containsExactly(
                "rules[0].nonResourceURLs FieldValueInvalid Invalid value: []string{\"/metrics\"}: rules cannot apply to both regular resources and non-resource URLs",
                "aggregationRule.clusterRoleSelectors FieldValueRequired Required value: at least one clusterRoleSelector required if aggregationRule is non-nil");

        Answer badName = call("POST", GROUP + "/clusterroles", "{\"metadata\":{\"name\":\"a/b\"}}");
        assertThat(badName.code()).isEqualTo(422);
        assertThat(causes(badName)).containsExactly("metadata.name FieldValueInvalid Invalid value: \"a/b\": may not contain '/'");
        // names need only be path segments: colons and capitals are fine, as in system:node-proxier
        assertThat(call("POST", GROUP + "/clusterroles", "{\"metadata\":{\"name\":\"System:Node-" + ns + "\"}}").code()).isEqualTo(201);
    }

    @Test
    void bindingsAreValidatedAsKubeDoes() throws Exception {
        String ns = namespace();
        Answer crb = call("POST", GROUP + "/clusterrolebindings", """
                {"metadata":{"name":"b-%s"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"x"},
                 "subjects":[{"kind":"ServiceAccount","name":"sa"},{"kind":"User","name":"u","apiGroup":"example.com"},
                 {"kind":"Robot","name":"r"},{"kind":"ServiceAccount","name":"Bad_Name","namespace":"ns","apiGroup":"rbac.authorization.k8s.io"}]}"""
                .formatted(ns));
        assertThat(crb.code()).isEqualTo(422);
        assertThat(causes(crb)).containsExactly(
                "roleRef.kind FieldValueNotSupported Unsupported value: \"Role\": supported values: \"ClusterRole\"",
                "subjects[0].namespace FieldValueRequired Required value",
                "subjects[1].apiGroup FieldValueNotSupported Unsupported value: \"example.com\": supported values: \"rbac.authorization.k8s.io\"",
                "subjects[2].kind FieldValueNotSupported Unsupported value: \"Robot\": supported values: \"ServiceAccount\", \"User\", \"Group\"",
                "subjects[3].name FieldValueInvalid Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain must consist of lower case "
                        + "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "
                        + "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
                "subjects[3].apiGroup FieldValueNotSupported Unsupported value: \"rbac.authorization.k8s.io\": supported values: \"\"");

        Answer noRef = call("POST", GROUP + "/namespaces/" + ns + "/rolebindings",
                "{\"metadata\":{\"name\":\"b\"},\"roleRef\":{\"apiGroup\":\"example.com\"}}");
        assertThat(causes(noRef)).containsExactly(
                "roleRef.apiGroup FieldValueNotSupported Unsupported value: \"example.com\": supported values: \"rbac.authorization.k8s.io\"",
                "roleRef.kind FieldValueNotSupported Unsupported value: \"\": supported values: \"Role\", \"ClusterRole\"",
                "roleRef.name FieldValueRequired Required value");

        // a RoleBinding's ServiceAccount subject may leave its namespace out (it means the binding's), and the
        // roleRef's apiGroup is defaulted
        Answer ok = call("POST", GROUP + "/namespaces/" + ns + "/rolebindings", """
                {"metadata":{"name":"ok"},"roleRef":{"kind":"ClusterRole","name":"edit"},"subjects":[{"kind":"ServiceAccount","name":"sa"}]}""");
        assertThat(ok.code()).isEqualTo(201);
        assertThat(ok.body().path("roleRef").path("apiGroup").asString()).isEqualTo("rbac.authorization.k8s.io");

        // roleRef is immutable; subjects are not
        JsonNode stored = ok.body();
        ((tools.jackson.databind.node.ObjectNode) stored.path("roleRef")).put("name", "admin");
        Answer changed = call("PUT", GROUP + "/namespaces/" + ns + "/rolebindings/ok", stored.toString());
        assertThat(changed.code()).isEqualTo(422);
        assertThat(changed.body().path("message").asString()).isEqualTo("RoleBinding.rbac.authorization.k8s.io \"ok\" is invalid: "
                + "roleRef: Invalid value: rbac.RoleRef{APIGroup:\"rbac.authorization.k8s.io\", Kind:\"ClusterRole\", Name:\"admin\"}: "
                + "cannot change roleRef");
        ((tools.jackson.databind.node.ObjectNode) stored.path("roleRef")).put("name", "edit");
        ((tools.jackson.databind.node.ArrayNode) stored.path("subjects")).addObject().put("kind", "User").put("name", "bob");
        Answer more = call("PUT", GROUP + "/namespaces/" + ns + "/rolebindings/ok", stored.toString());
        assertThat(more.code()).isEqualTo(200);
        assertThat(more.body().path("subjects").get(1).path("apiGroup").asString()).isEqualTo("rbac.authorization.k8s.io");
    }

    @Test
    void watchAndDiscovery() throws Exception {
        String ns = namespace();
        Path out = tmp.resolve("watch-" + ns + ".txt");
        Process w = newest.start(out, "get", "clusterroles", "-w", "-o", "name");
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(out));
            Thread.sleep(500);
            oldest.run("create", "clusterrole", "watched-" + ns, "--verb=get", "--resource=nodes").orFail();
            await().atMost(Duration.ofSeconds(30)).until(() -> Files.readString(out).contains("clusterrole.rbac.authorization.k8s.io/watched-" + ns));
        } finally {
            io.kubeha.testkit.Processes.kill9(w.toHandle());
        }
        String resources = newest.run("api-resources", "--api-group=rbac.authorization.k8s.io").orFail().out();
        assertThat(resources).containsPattern("clusterrolebindings\\s+rbac.authorization.k8s.io/v1\\s+false\\s+ClusterRoleBinding");
        assertThat(resources).containsPattern("clusterroles\\s+rbac.authorization.k8s.io/v1\\s+false\\s+ClusterRole");
        assertThat(resources).containsPattern("rolebindings\\s+rbac.authorization.k8s.io/v1\\s+true\\s+RoleBinding");
        assertThat(resources).containsPattern("roles\\s+rbac.authorization.k8s.io/v1\\s+true\\s+Role");
        for (Kubectl k : List.of(newest, oldest)) {
            String explain = k.run("explain", "clusterrole.aggregationRule").orFail().out();
            assertThat(explain).contains("clusterRoleSelectors");
            assertThat(k.run("explain", "rolebinding.roleRef").orFail().out()).contains("apiGroup", "kind", "name");
        }
    }
}
