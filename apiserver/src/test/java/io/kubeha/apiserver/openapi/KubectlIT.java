package io.kubeha.apiserver.openapi;

import io.kubeha.apiserver.registry.Resources;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real kubectl against {@link OpenApi}'s documents, served by {@link FakeApiServer}: explain (from OpenAPI
 * v3 and from v2's protobuf), apply with the default validation, and client-side validation against the v2
 * schema. {@code /usr/bin/kubectl} is Google Cloud SDK's dispatcher, which runs the kubectl matching the
 * server's version (1.33 here); 1.27 is the oldest kubectl kubeha supports. A missing kubectl fails the test.
 */
class KubectlIT {
    private static final String PODS_AND_DEPLOYMENT = """
            apiVersion: v1
            kind: Pod
            metadata:
              name: web
            spec:
              containers:
              - name: c
                image: IMAGE
                ports: [{containerPort: 80}]
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: web
            spec:
              selector: {matchLabels: {app: web}}
              strategy: {type: Recreate}
              template:
                metadata: {labels: {app: web}}
                spec:
                  containers: [{name: c, image: IMAGE}]
            """;

    /** kind: List is never validated by the server (kubectl says so), so kubectl checks it against /openapi/v2. */
    private static final String LIST = """
            apiVersion: v1
            kind: List
            items:
            - apiVersion: v1
              kind: Pod
              metadata: {name: q, labels: {a: b}}
              spec:
                containers:
                - name: c
                  image: busybox
                  EXTRA
                  ports: [{containerPort: 80, protocol: TCP}]
                  resources: {limits: {cpu: 100m, memory: 1Gi}}
                  livenessProbe: {httpGet: {port: 8080, path: /}}
            - apiVersion: apps/v1
              kind: Deployment
              metadata: {name: e}
              spec:
                replicas: 2
                selector: {matchLabels: {app: e}}
                strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 25%, maxUnavailable: 1}}
                template:
                  metadata: {labels: {app: e}}
                  spec:
                    containers: [{name: c, image: busybox}]
            """;

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"/usr/bin/kubectl", "/usr/lib/google-cloud-sdk/bin/kubectl.1.27"})
    void explainPodsSpecContainers(String kubectl) throws Exception {
        try (FakeApiServer server = new FakeApiServer(Resources.builtIn())) {
            Result r = run(kubectl, server, "explain", "pods.spec.containers");
            assertThat(r.exit()).as(r.output()).isZero();
            assertThat(r.output()).contains("KIND:", "Pod", "containers <[]Container>")
                    .containsPattern("\\bimage\\s+<string>").containsPattern("\\bports\\s+<\\[\\]ContainerPort>")
                    .containsPattern("\\bresources\\s+<ResourceRequirements>");
            assertThat(uris(server)).anyMatch(u -> u.startsWith("/openapi/v3/api/v1?hash="));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"/usr/bin/kubectl", "/usr/lib/google-cloud-sdk/bin/kubectl.1.27"})
    void explainDeploymentSpecStrategy(String kubectl) throws Exception {
        try (FakeApiServer server = new FakeApiServer(Resources.builtIn())) {
            Result r = run(kubectl, server, "explain", "deployment.spec.strategy");
            assertThat(r.exit()).as(r.output()).isZero();
            assertThat(r.output()).contains("Deployment", "strategy <DeploymentStrategy>")
                    .containsPattern("\\brollingUpdate\\s+<RollingUpdateDeployment>").containsPattern("\\btype\\s+<string>");
            assertThat(uris(server)).anyMatch(u -> u.startsWith("/openapi/v3/apis/apps/v1?hash="));
        }
    }

    /** The older explain reads /openapi/v2 in gnostic protobuf: proof that kubectl parses our encoding. */
    @ParameterizedTest
    @ValueSource(strings = {"/usr/bin/kubectl", "/usr/lib/google-cloud-sdk/bin/kubectl.1.27"})
    void explainFromOpenApiV2(String kubectl) throws Exception {
        try (FakeApiServer server = new FakeApiServer(Resources.builtIn())) {
            Result r = run(kubectl, server, "explain", "--output", "plaintext-openapiv2", "pods.spec.containers");
            assertThat(r.exit()).as(r.output()).isZero();
            assertThat(r.output()).contains("RESOURCE: containers <[]Object>").containsPattern("\\bimage\\s+<string>");
            assertThat(server.requests()).anyMatch(q -> q.uri().startsWith("/openapi/v2")
                    && OpenApi.acceptsV2Protobuf(q.accept()));
        }
    }

    /**
     * Default validation: kubectl finds fieldValidation on the kinds' PATCH operations, so it lets the server
     * validate (?fieldValidation=Strict) instead of failing to download or parse the schema; the second apply is
     * a strategic merge patch that merges containers by name, as the patch tags say.
     */
    @ParameterizedTest
    @ValueSource(strings = {"/usr/bin/kubectl", "/usr/lib/google-cloud-sdk/bin/kubectl.1.27"})
    void applyWithDefaultValidation(String kubectl) throws Exception {
        try (FakeApiServer server = new FakeApiServer(Resources.builtIn())) {
            Path first = write("first.yaml", PODS_AND_DEPLOYMENT.replace("IMAGE", "busybox"));
            Result created = run(kubectl, server, "apply", "-f", first.toString());
            assertThat(created.exit()).as(created.output()).isZero();
            assertThat(created.output()).contains("pod/web created", "deployment.apps/web created");
            assertThat(server.requests()).filteredOn(q -> q.method().equals("POST")).hasSize(2)
                    .allSatisfy(q -> assertThat(q.uri()).contains("fieldValidation=Strict"));

            Path second = write("second.yaml", PODS_AND_DEPLOYMENT.replace("IMAGE", "nginx"));
            Result configured = run(kubectl, server, "apply", "-f", second.toString());
            assertThat(configured.exit()).as(configured.output()).isZero();
            assertThat(configured.output()).contains("pod/web configured", "deployment.apps/web configured");
            assertThat(server.requests()).filteredOn(q -> q.method().equals("PATCH")).hasSize(2).allSatisfy(q -> {
                assertThat(q.contentType()).isEqualTo("application/strategic-merge-patch+json");
                assertThat(q.uri()).contains("fieldValidation=Strict");
                assertThat(q.body()).contains("\"$setElementOrder/containers\":[{\"name\":\"c\"}]")
                        .contains("\"containers\":[{\"image\":\"nginx\",\"name\":\"c\"}]");
            });
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"/usr/bin/kubectl", "/usr/lib/google-cloud-sdk/bin/kubectl.1.27"})
    void clientSideValidationUsesTheV2Schema(String kubectl) throws Exception {
        try (FakeApiServer server = new FakeApiServer(Resources.builtIn())) {
            Result valid = run(kubectl, server, "apply", "-f", write("list.yaml", LIST.replace("EXTRA", "stdin: false")).toString());
            assertThat(valid.exit()).as(valid.output()).isZero();
            assertThat(valid.output()).contains("pod/q created", "deployment.apps/e created");

            Result invalid = run(kubectl, server, "apply", "-f", write("bad.yaml", LIST.replace("EXTRA", "bogus: 1")).toString());
            assertThat(invalid.exit()).as(invalid.output()).isNotZero();
            assertThat(invalid.output()).contains("unknown field \"bogus\" in io.k8s.api.core.v1.Container");
        }
    }

    private record Result(int exit, String output) {}

    private Result run(String kubectl, FakeApiServer server, String... args) throws IOException, InterruptedException {
        assertThat(Path.of(kubectl)).as("kubectl at " + kubectl + " (install the Google Cloud SDK's kubectl components)")
                .isExecutable();
        Path kubeconfig = server.kubeconfig(dir.resolve("kubeconfig"));
        List<String> command = new ArrayList<>(List.of(kubectl, "--kubeconfig", kubeconfig.toString(),
                "--cache-dir", dir.resolve("cache").toString()));
        command.addAll(List.of(args));
        Path output = Files.createTempFile(dir, "kubectl", ".out");
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile());
        pb.environment().remove("KUBECONFIG");
        pb.environment().put("HOME", dir.toString()); // kubectl must not read or write the user's ~/.kube
        Process p = pb.start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError(String.join(" ", command) + " did not finish within 60 s:\n" + Files.readString(output));
        }
        return new Result(p.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
    }

    private Path write(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content);
    }

    private static List<String> uris(FakeApiServer server) {
        return server.requests().stream().map(FakeApiServer.Request::uri).toList();
    }
}
