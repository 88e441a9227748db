package io.kubeha.apiserver;

import io.kubeha.testkit.Kubectl;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The seed's kubectl commands, verbatim, with the real kubectl against one API server. Subclassed once per
 * kubectl version (the newest and the oldest this project supports).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class KubectlIT {
    static final String NODES = """
            apiVersion: v1
            kind: List
            items:
            - {apiVersion: v1, kind: Node, metadata: {name: 10-10-102-91.master}}
            - {apiVersion: v1, kind: Node, metadata: {name: 10-10-102-92.master}}
            - {apiVersion: v1, kind: Node, metadata: {name: 10-10-102-93.master}}
            - {apiVersion: v1, kind: Node, metadata: {name: 10-10-103-96.node}}
            - {apiVersion: v1, kind: Node, metadata: {name: 10-10-103-97.node}}
            """;

    static final String LOGAPI = """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: logapi
              labels: {app: logapi}
            spec:
              replicas: 6
              selector:
                matchLabels: {app: logapi}
              template:
                metadata:
                  labels: {app: logapi}
                spec:
                  nodeSelector:
                    kubeadm.alpha.kubernetes.io/role: node
                  containers:
                  - name: logapi
                    image: logapi:1.0
                    ports:
                    - containerPort: 8080
                    readinessProbe:
                      httpGet: {path: /api/log/greeting, port: 8080}
            ---
            apiVersion: v1
            kind: Service
            metadata:
              name: logapi
            spec:
              type: NodePort
              selector: {app: logapi}
              ports:
              - port: 8080
                targetPort: 8080
                nodePort: 31070
            """;

    /** The seed's logapi with whatever NodePort is free: one server hands 31070 out once. */
    static String anyNodePort() {
        return LOGAPI.replace("    nodePort: 31070\n", "");
    }

    ApiServerFixture api;
    Kubectl kubectl;
    Path tmp;

    abstract Path binary();

    @BeforeAll
    void start() throws Exception {
        api = new ApiServerFixture();
        kubectl = api.kubectl(binary());
        tmp = Files.createTempDirectory("kubectl-it");
    }

    @AfterAll
    void stop() throws Exception {
        if (api != null) api.close();
    }

    /** A namespace of this test's own, so tests do not see each other's objects. */
    String namespace() {
        String ns = "t-" + UUID.randomUUID().toString().substring(0, 8);
        kubectl.run("create", "namespace", ns, "--dry-run=client", "-o", "yaml");
        kubectl.run("""
                {"apiVersion":"v1","kind":"Namespace","metadata":{"name":"%s"}}""".formatted(ns), Duration.ofSeconds(30),
                "apply", "-f", "-").orFail();
        return ns;
    }

    Path file(String name, String content) throws Exception {
        Path f = tmp.resolve(name);
        Files.writeString(f, content);
        return f;
    }

    @Test
    void seedNodesAreListedAndLabelled() throws Exception {
        kubectl.run("apply", "-f", file("nodes.yaml", NODES).toString()).orFail();
        assertThat(kubectl.run("get", "nodes").orFail().out())
                .contains("10-10-102-91.master", "10-10-102-92.master", "10-10-102-93.master", "10-10-103-96.node", "10-10-103-97.node");
        for (String m : new String[] {"10-10-102-91.master", "10-10-102-92.master", "10-10-102-93.master"}) {
            assertThat(kubectl.run("label", "node", m, "kubeadm.alpha.kubernetes.io/role=master").orFail().out()).contains("labeled");
        }
        for (String n : new String[] {"10-10-103-96.node", "10-10-103-97.node"}) {
            kubectl.run("label", "node", n, "kubeadm.alpha.kubernetes.io/role=node").orFail();
        }
        assertThat(kubectl.run("get", "nodes", "-l", "kubeadm.alpha.kubernetes.io/role=master", "-o", "name").orFail().out().lines())
                .containsExactly("node/10-10-102-91.master", "node/10-10-102-92.master", "node/10-10-102-93.master");
        Kubectl.Result describe = kubectl.run("describe", "node", "10-10-103-96.node").orFail();
        assertThat(describe.out()).contains("Name:", "10-10-103-96.node", "kubeadm.alpha.kubernetes.io/role=node");
    }

    @Test
    void logapiIsAppliedScaledListedAndDeleted() throws Exception {
        String ns = namespace();
        Path f = file("logapi.yaml", LOGAPI);
        Kubectl.Result first = kubectl.run("apply", "-n", ns, "-f", f.toString()).orFail();
        assertThat(first.out()).contains("deployment.apps/logapi created", "service/logapi created");
        Kubectl.Result second = kubectl.run("apply", "-n", ns, "-f", f.toString()).orFail();
        assertThat(second.out()).contains("deployment.apps/logapi unchanged", "service/logapi unchanged");

        assertThat(kubectl.run("scale", "-n", ns, "deployment", "logapi", "--replicas=12").orFail().out()).contains("scaled");
        assertThat(kubectl.run("get", "-n", ns, "deployment", "logapi", "-o", "jsonpath={.spec.replicas}").orFail().out()).isEqualTo("12");
        String yaml = kubectl.run("get", "-n", ns, "deployment", "logapi", "-o", "yaml").orFail().out();
        assertThat(yaml).contains("kind: Deployment", "name: logapi", "replicas: 12", "generation: 2", "uid:", "resourceVersion:");

        assertThat(kubectl.run("get", "all", "-A").orFail().out()).contains("deployment.apps/logapi", "service/logapi");
        assertThat(kubectl.run("get", "pods", "-o", "wide", "-n", ns).exit()).isZero();

        Kubectl.Result deleted = kubectl.run("delete", "-n", ns, "-f", f.toString()).orFail();
        assertThat(deleted.out()).contains("deployment.apps \"logapi\" deleted", "service \"logapi\" deleted");
        assertThat(kubectl.run("get", "-n", ns, "deployment", "logapi").err()).contains("NotFound");
    }

    @Test
    void patchesOfEachKind() throws Exception {
        String ns = namespace();
        kubectl.run("apply", "-n", ns, "-f", file("logapi-p.yaml", anyNodePort()).toString()).orFail();
        kubectl.run("patch", "-n", ns, "deployment", "logapi", "--type", "merge", "-p", "{\"metadata\":{\"labels\":{\"tier\":\"web\"}}}").orFail();
        kubectl.run("patch", "-n", ns, "deployment", "logapi", "--type", "json",
                "-p", "[{\"op\":\"replace\",\"path\":\"/spec/replicas\",\"value\":4}]").orFail();
        assertThat(kubectl.run("get", "-n", ns, "deployment", "logapi", "-o", "jsonpath={.metadata.labels.tier} {.spec.replicas}")
                .orFail().out()).isEqualTo("web 4");
        // strategic merge (kubectl patch's default): containers merge by name, so the image changes and nothing else
        kubectl.run("patch", "-n", ns, "deployment", "logapi", "-p",
                "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"logapi\",\"image\":\"logapi:2.0\"}]}}}}").orFail();
        assertThat(kubectl.run("get", "-n", ns, "deployment", "logapi", "-o",
                "jsonpath={.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].ports[0].containerPort}")
                .orFail().out()).isEqualTo("logapi:2.0 8080");
        kubectl.run("patch", "-n", ns, "service", "logapi", "--type", "merge", "-p", "{\"metadata\":{\"annotations\":{\"a\":\"b\"}}}").orFail();
        kubectl.run("patch", "-n", ns, "configmap", "kube-root-ca.crt", "-p", "{}").exit();
        kubectl.run("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"cm\"},\"data\":{\"k\":\"v\"}}",
                Duration.ofSeconds(30), "apply", "-n", ns, "-f", "-").orFail();
        kubectl.run("patch", "-n", ns, "configmap", "cm", "-p", "{\"data\":{\"k\":null,\"k2\":\"v2\"}}").orFail();
        assertThat(kubectl.run("get", "-n", ns, "configmap", "cm", "-o", "jsonpath={.data}").orFail().out()).isEqualTo("{\"k2\":\"v2\"}");
    }

    @Test
    void serverSideApply() throws Exception {
        String ns = namespace();
        Path f = file("ssa-" + ns + ".yaml", anyNodePort());
        Kubectl.Result first = kubectl.run("apply", "--server-side", "-n", ns, "-f", f.toString()).orFail();
        assertThat(first.out()).contains("deployment.apps/logapi serverside-applied", "service/logapi serverside-applied");
        Files.writeString(f, anyNodePort().replace("replicas: 6", "replicas: 7"));
        kubectl.run("apply", "--server-side", "-n", ns, "-f", f.toString()).orFail();
        assertThat(kubectl.run("get", "-n", ns, "deployment", "logapi", "-o", "jsonpath={.spec.replicas}").orFail().out()).isEqualTo("7");
        String managed = kubectl.run("get", "-n", ns, "deployment", "logapi", "-o", "yaml", "--show-managed-fields").orFail().out();
        assertThat(managed).contains("manager: kubectl", "operation: Apply");
        // another manager changes a field kubectl owns: the next apply conflicts unless forced
        kubectl.run("scale", "-n", ns, "deployment", "logapi", "--replicas=2").orFail();
        Files.writeString(f, anyNodePort().replace("replicas: 6", "replicas: 8"));
        Kubectl.Result conflict = kubectl.run("apply", "--server-side", "-n", ns, "-f", f.toString());
        assertThat(conflict.exit()).isNotZero();
        assertThat(conflict.err()).contains("conflict", ".spec.replicas");
        kubectl.run("apply", "--server-side", "--force-conflicts", "-n", ns, "-f", f.toString()).orFail();
        assertThat(kubectl.run("get", "-n", ns, "deployment", "logapi", "-o", "jsonpath={.spec.replicas}").orFail().out()).isEqualTo("8");
    }

    @Test
    void watchSeesAChange() throws Exception {
        String ns = namespace();
        kubectl.run("apply", "-n", ns, "-f", file("logapi-w.yaml", anyNodePort()).toString()).orFail();
        Path out = tmp.resolve("watch-" + ns + ".txt");
        Process w = kubectl.start(out, "get", "-n", ns, "deployments", "-w", "-o", "jsonpath={.spec.replicas}{\"\\n\"}");
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> Files.readString(out).contains("6"));
            kubectl.run("scale", "-n", ns, "deployment", "logapi", "--replicas=9").orFail();
            await().atMost(Duration.ofSeconds(30)).until(() -> Files.readString(out).contains("9"));
        } finally {
            io.kubeha.testkit.Processes.kill9(w.toHandle());
        }
    }

    @Test
    void clientMistakesGetClearErrors() throws Exception {
        String ns = namespace();
        Kubectl.Result badName = kubectl.run("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"Bad_Name\"}}",
                Duration.ofSeconds(30), "apply", "-n", ns, "--validate=false", "-f", "-");
        assertThat(badName.exit()).isNotZero();
        assertThat(badName.err()).contains("is invalid", "metadata.name", "RFC 1123");

        assertThat(kubectl.run("get", "-n", ns, "configmap", "missing").err()).contains("NotFound", "configmaps \"missing\" not found");

        kubectl.run("apply", "-n", ns, "-f", file("cm-" + ns + ".yaml",
                "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\"},\"data\":{\"a\":\"1\"}}").toString()).orFail();
        String stale = kubectl.run("get", "-n", ns, "configmap", "c", "-o", "json").orFail().out();
        kubectl.run("patch", "-n", ns, "configmap", "c", "--type", "merge", "-p", "{\"data\":{\"a\":\"2\"}}").orFail();
        Kubectl.Result conflict = kubectl.run(stale, Duration.ofSeconds(30), "replace", "-n", ns, "-f", "-");
        assertThat(conflict.exit()).isNotZero();
        assertThat(conflict.err()).contains("the object has been modified");
    }

    static final class Newest extends KubectlIT {
        @Override
        Path binary() {
            return Kubectl.DEFAULT;
        }
    }

    static final class Oldest extends KubectlIT {
        @Override
        Path binary() {
            return Kubectl.OLDEST;
        }
    }
}
