package io.kubeha.e2e;

import io.fabric8.kubernetes.api.model.Pod;
import io.kubeha.testkit.ChildJvm;
import io.kubeha.testkit.Kubectl;
import io.kubeha.testkit.Ports;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Pods get their ServiceAccount as in Kubernetes, with real processes (kubeha server over TLS, a node agent, a pod
 * that is a shell loop with curl): the projected volume at /var/run/secrets/kubernetes.io/serviceaccount (a bound
 * token, ca.crt from kube-root-ca.crt, the namespace), which reaches the API server over https through the
 * {@code kubernetes} Service as {@code system:serviceaccount:NS:NAME}, with RBAC deciding what it may do;
 * {@code automountServiceAccountToken: false} honoured; a pod naming a missing ServiceAccount refused; and a legacy
 * token Secret filled in by the controller-manager, valid while it and its ServiceAccount exist.
 */
class ServiceAccountTokensIT {
    private static final Duration WAIT = Duration.ofSeconds(120);
    private static final String NODE_IP = "127.10.111.21";
    /** kubectl 1.32+ sends protobuf for its create generators, which kubeha decodes only from the compatibility issue on. */
    private static final Path KUBECTL_131 = Path.of("/usr/lib/google-cloud-sdk/bin/kubectl.1.31");

    @TempDir
    Path dir;

    static final String READER_YAML = """
            apiVersion: v1
            kind: Pod
            metadata: {name: reader}
            spec:
              containers:
              - name: reader
                image: tools:1.0
                command:
                - /bin/sh
                - -c
                - |
                  D=/var/run/secrets/kubernetes.io/serviceaccount
                  while true; do
                    code=$(/usr/bin/curl -s -o body -w '%{http_code}' --cacert $D/ca.crt -H "Authorization: Bearer $(cat $D/token)" \\
                      https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT/api/v1/namespaces/default/pods)
                    echo "ns=$(cat $D/namespace) code=$code $(head -c 300 body | tr -d '\\n')"
                    sleep 1
                  done
            """;

    static final String NO_TOKEN_YAML = """
            apiVersion: v1
            kind: Pod
            metadata: {name: tokenless}
            spec:
              automountServiceAccountToken: false
              containers:
              - name: c
                image: tools:1.0
                command: [/bin/sh, -c, 'ls /var/run/secrets/kubernetes.io/serviceaccount/token 2>&1 || true; exec sleep 600']
            """;

    @Test
    void podsReachTheApiWithTheirServiceAccountsTokenAndRbacDecides() throws Exception {
        try (ProcessCluster c = ProcessCluster.start(dir)) {
            Path data = Files.createDirectories(dir.resolve("node1"));
            ChildJvm agent = c.component("node1", "agent", "--node-name", "node1", "--node-ip", NODE_IP, "--pod-cidr", "127.66.21.0/24",
                    "--port", Integer.toString(Ports.free(InetAddress.getByName(NODE_IP))), "--data-dir", data.resolve("data").toString(),
                    "--image-store", data.resolve("images").toString(), "--container-restart-backoff", "1s");
            await().atMost(WAIT).untilAsserted(() -> {
                assertThat(agent.isAlive()).as(c.log("node1")).isTrue();
                assertThat(c.kubectl.run("get", "node", "node1", "-o", "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}").out())
                        .isEqualTo("True");
            });
            // every namespace has the CA to check the API server with
            String ca = Files.readString(c.dir.resolve("server-data").resolve("pki").resolve("ca.crt"));
            await().atMost(WAIT).untilAsserted(() -> assertThat(c.kubectl.run("get", "configmap", "kube-root-ca.crt", "-o",
                    "jsonpath={.data.ca\\.crt}").orFail().out().strip()).isEqualTo(ca.strip()));

            c.kubectl.run(READER_YAML, WAIT, "apply", "-f", "-").orFail();
            Pod reader = c.client.pods().inNamespace("default").withName("reader").get();
            assertThat(reader.getSpec().getServiceAccountName()).isEqualTo("default");
            assertThat(reader.getSpec().getVolumes()).anySatisfy(v -> {
                assertThat(v.getName()).startsWith("kube-api-access-");
                assertThat(v.getProjected().getSources()).hasSize(3);
            });
            assertThat(reader.getSpec().getContainers().getFirst().getVolumeMounts())
                    .anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/var/run/secrets/kubernetes.io/serviceaccount"));

            // the default ServiceAccount may not list pods: RBAC's own refusal, for that user
            await().atMost(WAIT).untilAsserted(() -> assertThat(c.kubectl.run("logs", "reader", "--tail", "3").out())
                    .as("pod log; agent: %s", c.log("node1")).contains("ns=default code=403")
                    .contains("pods is forbidden: User \\\"system:serviceaccount:default:default\\\" cannot list resource \\\"pods\\\""
                            + " in API group \\\"\\\" in the namespace \\\"default\\\""));
            // bound to view, the same token lists them
            new Kubectl(KUBECTL_131, c.kubeconfig).run("create", "rolebinding", "default-view", "--clusterrole", "view", "--serviceaccount", "default:default").orFail();
            await().atMost(WAIT).untilAsserted(() -> assertThat(c.kubectl.run("logs", "reader", "--tail", "1").out())
                    .contains("ns=default code=200").contains("\"kind\":\"PodList\""));

            // automountServiceAccountToken: false gets no token
            c.kubectl.run(NO_TOKEN_YAML, WAIT, "apply", "-f", "-").orFail();
            await().atMost(WAIT).untilAsserted(() -> assertThat(c.kubectl.run("logs", "tokenless").out()).contains("No such file"));
            assertThat(c.client.pods().inNamespace("default").withName("tokenless").get().getSpec().getVolumes()).isNullOrEmpty();

            // a ServiceAccount that does not exist: refused at admission, with kube-apiserver's message
            Kubectl.Result missing = c.kubectl.run("run", "ghost", "--image", "tools:1.0", "--overrides",
                    "{\"spec\": {\"serviceAccountName\": \"nobody\"}}", "--command", "--", "sleep", "60");
            assertThat(missing.exit()).isNotZero();
            assertThat(missing.err()).contains("pods \"ghost\" is forbidden: error looking up service account default/nobody:"
                    + " serviceaccount \"nobody\" not found");
        }
    }

    @Test
    void aLegacyTokenSecretIsFilledInAndDiesWithItsServiceAccount() throws Exception {
        try (ProcessCluster c = ProcessCluster.start(dir)) {
            Kubectl kubectl131 = new Kubectl(KUBECTL_131, c.kubeconfig);
            kubectl131.run("create", "serviceaccount", "robot").orFail();
            kubectl131.run("create", "rolebinding", "robot-view", "--clusterrole", "view", "--serviceaccount", "default:robot").orFail();
            c.kubectl.run("""
                    apiVersion: v1
                    kind: Secret
                    metadata:
                      name: robot-token
                      annotations: {kubernetes.io/service-account.name: robot}
                    type: kubernetes.io/service-account-token
                    """, WAIT, "apply", "-f", "-").orFail();
            String[] token = new String[1];
            await().atMost(WAIT).untilAsserted(() -> {
                String data = c.kubectl.run("get", "secret", "robot-token", "-o", "jsonpath={.data.token}").orFail().out();
                assertThat(data).isNotEmpty();
                token[0] = new String(Base64.getDecoder().decode(data), StandardCharsets.UTF_8);
            });
            assertThat(new String(Base64.getDecoder().decode(c.kubectl.run("get", "secret", "robot-token", "-o",
                    "jsonpath={.data.namespace}").orFail().out()), StandardCharsets.UTF_8)).isEqualTo("default");
            String uid = c.kubectl.run("get", "serviceaccount", "robot", "-o", "jsonpath={.metadata.uid}").orFail().out();
            assertThat(c.kubectl.run("get", "secret", "robot-token", "-o",
                    "jsonpath={.metadata.annotations.kubernetes\\.io/service-account\\.uid}").orFail().out()).isEqualTo(uid);

            // the token is the ServiceAccount: it may view, and not delete
            Kubectl asRobot = new Kubectl(Kubectl.DEFAULT, tokenKubeconfig(c, token[0]));
            assertThat(asRobot.run("get", "pods").exit()).isZero();
            Kubectl.Result delete = asRobot.run("delete", "serviceaccount", "default");
            assertThat(delete.err()).contains("User \"system:serviceaccount:default:robot\" cannot delete resource \"serviceaccounts\"");

            // the ServiceAccount goes: its token Secret goes with it, and the token is worth nothing (401)
            c.kubectl.run("delete", "serviceaccount", "robot").orFail();
            await().atMost(WAIT).untilAsserted(() -> assertThat(c.kubectl.run("get", "secret", "robot-token").err()).contains("NotFound"));
            Kubectl.Result after = asRobot.run("get", "pods");
            assertThat(after.exit()).isNotZero();
            assertThat(after.err()).contains("Unauthorized");
        }
    }

    /** A kubeconfig with the cluster's CA and only a bearer token (no client certificate to win over it). */
    private Path tokenKubeconfig(ProcessCluster c, String token) throws java.io.IOException {
        Path ca = c.dir.resolve("server-data").resolve("pki").resolve("ca.crt");
        return Files.writeString(dir.resolve("token.kubeconfig"), """
                apiVersion: v1
                kind: Config
                clusters: [{name: kubeha, cluster: {server: "%s", certificate-authority: "%s"}}]
                users: [{name: robot, user: {token: "%s"}}]
                contexts: [{name: robot, context: {cluster: kubeha, user: robot}}]
                current-context: robot
                """.formatted(c.url, ca, token));
    }
}
