package io.kubeha.apiserver;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.kubeha.security.pki.CertAndKey;
import io.kubeha.security.pki.Kubeconfigs;
import io.kubeha.security.pki.Pki;
import io.kubeha.security.pki.PkiOptions;
import io.kubeha.store.Store;
import io.kubeha.store.StoreOptions;
import io.kubeha.store.embedded.EmbeddedStore;
import io.kubeha.testkit.Kubectl;
import io.kubeha.testkit.Ports;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * A secured API server (HTTPS only, x509 and token authentication, RBAC with kube's bootstrap policy) as users meet it:
 * the real kubectl 1.33 and 1.27 with the admin kubeconfig unchanged, a fabric8 informer, the official Python client,
 * a ServiceAccount bound to view, anonymous callers, bad credentials.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SecurityIT {
    private Path dir;
    private Store store;
    private ApiServer server;
    private Pki pki;
    private String url;
    private Path admin;
    private Kubectl kubectl;
    private Kubectl oldKubectl;
    /** kubectl 1.33 for the review APIs (auth whoami, can-i): since 1.32 it sends their bodies in protobuf */
    private Kubectl authKubectl;

    @BeforeAll
    void start() throws IOException {
        dir = Files.createTempDirectory("kubeha-security-it");
        store = EmbeddedStore.open(dir.resolve("store"), StoreOptions.DEFAULTS.withFsync(false));
        pki = Pki.loadOrCreate(dir.resolve("pki"), PkiOptions.defaults().withSans(List.of("localhost"), List.of(InetAddress.getLoopbackAddress())));
        char[] pw = "test".toCharArray();
        ApiServerConfig config = ApiServerConfig.of(new InetSocketAddress("127.0.0.1", Ports.free(InetAddress.getLoopbackAddress())))
                .withSecurity(ApiSecurity.of(new ServingTls(pki.servingKeyStore(pw), pw, List.of(pki.caCert())), pki.serviceAccountKeys())
                        .withAudit(io.kubeha.security.audit.AuditLog.open(dir.resolve("audit.log"), io.kubeha.security.audit.AuditPolicy.metadataForAll(),
                                0, 0)));
        server = new ApiServer(store, config).start();
        url = server.url();
        assertThat(url).startsWith("https://127.0.0.1:");
        admin = kubeconfig("admin", pki.issueClient("kubernetes-admin", List.of("system:masters"), Duration.ofDays(1)));
        kubectl = new Kubectl(Kubectl.DEFAULT, admin);
        oldKubectl = new Kubectl(Kubectl.OLDEST, admin);
        authKubectl = new Kubectl(Kubectl.DEFAULT, admin);
    }

    @AfterAll
    void stop() throws IOException {
        if (server != null) server.close();
        if (store != null) store.close();
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private Path kubeconfig(String name, CertAndKey cert) {
        return Kubeconfigs.write(dir.resolve(name + ".kubeconfig"), Kubeconfigs.withCertificate("kubeha", url, pki.caPem(), name, cert));
    }

    @Test
    void kubectlWorksWithTheAdminKubeconfigAsIsAndKnowsWhoItIs() {
        assertThat(kubectl.run("get", "namespaces").orFail().out()).contains("default", "kube-system");
        assertThat(oldKubectl.run("get", "namespaces").orFail().out()).contains("kube-public");
        assertThat(authKubectl.run("auth", "whoami", "-o", "jsonpath={.status.userInfo.username} {.status.userInfo.groups}").orFail().out())
                .isEqualTo("kubernetes-admin [\"system:masters\",\"system:authenticated\"]");
        assertThat(authKubectl.run("auth", "can-i", "delete", "nodes").out().strip()).isEqualTo("yes");
        assertThat(kubectl.run("get", "clusterrole", "view", "-o", "name").orFail().out().strip()).isEqualTo("clusterrole.rbac.authorization.k8s.io/view");
    }

    @Test
    void aServiceAccountBoundToViewReadsButCannotDelete() throws Exception {
        oldKubectl.run("create", "namespace", "sa-test").orFail();
        oldKubectl.run("-n", "sa-test", "create", "serviceaccount", "viewer").orFail();
        oldKubectl.run("-n", "sa-test", "create", "rolebinding", "viewer-view", "--clusterrole=view", "--serviceaccount=sa-test:viewer").orFail();
        kubectl.run("""
                {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c1", "namespace": "sa-test"}}
                """, Duration.ofSeconds(30), "apply", "-f", "-").orFail();
        String token = oldKubectl.run("-n", "sa-test", "create", "token", "viewer").orFail().out().strip();
        // kubectl 1.33 sends its TokenRequest in protobuf
        assertThat(kubectl.run("-n", "sa-test", "create", "token", "viewer").orFail().out().strip()).startsWith("ey");
        assertThat(token).contains(".");
        Path viewerConfig = Kubeconfigs.write(dir.resolve("viewer.kubeconfig"), Kubeconfigs.withToken("kubeha", url, pki.caPem(), "viewer", token));
        Kubectl viewer = new Kubectl(Kubectl.DEFAULT, viewerConfig);
        assertThat(viewer.run("-n", "sa-test", "get", "configmaps", "-o", "name").orFail().out()).contains("configmap/c1");
        Kubectl.Result delete = viewer.run("-n", "sa-test", "delete", "configmap", "c1");
        assertThat(delete.exit()).isNotZero();
        assertThat(delete.err()).contains("configmaps \"c1\" is forbidden: User \"system:serviceaccount:sa-test:viewer\" cannot delete resource "
                + "\"configmaps\" in API group \"\" in the namespace \"sa-test\"");
        assertThat(kubectl.run("-n", "sa-test", "get", "configmap", "c1", "-o", "name").orFail().out()).contains("c1");
        // the refusal is in the audit log, with who asked and what kube-apiserver decided
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(Files.readAllLines(dir.resolve("audit.log"))).anySatisfy(line -> {
            var event = io.kubeha.apiserver.api.Json.MAPPER.readTree(line);
            assertThat(event.path("kind").asString()).isEqualTo("Event");
            assertThat(event.path("verb").asString()).isEqualTo("delete");
            assertThat(event.path("user").path("username").asString()).isEqualTo("system:serviceaccount:sa-test:viewer");
            assertThat(event.path("objectRef").path("name").asString()).isEqualTo("c1");
            assertThat(event.path("responseStatus").path("code").asInt()).isEqualTo(403);
            assertThat(event.path("annotations").path("authorization.k8s.io/decision").asString()).isEqualTo("forbid");
        }));
        assertThat(viewer.run("-n", "sa-test", "get", "secrets").err()).contains("forbidden");
        assertThat(authKubectl.run("auth", "can-i", "delete", "configmaps", "-n", "sa-test", "--as=system:serviceaccount:sa-test:viewer").out().strip())
                .isEqualTo("no");
        assertThat(authKubectl.run("auth", "can-i", "list", "configmaps", "-n", "sa-test", "--as=system:serviceaccount:sa-test:viewer").out().strip())
                .isEqualTo("yes");
        assertThat(new Kubectl(Kubectl.DEFAULT, viewerConfig).run("auth", "whoami", "-o", "jsonpath={.status.userInfo.username}").orFail().out())
                .isEqualTo("system:serviceaccount:sa-test:viewer");

        // the token holds only while its ServiceAccount lives
        kubectl.run("-n", "sa-test", "delete", "serviceaccount", "viewer").orFail();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(viewer.run("-n", "sa-test", "get", "configmaps").err()).contains("Unauthorized"));
    }

    @Test
    void anonymousCallersSeeOnlyThePublicEndpointsAndBadCredentialsAre401() throws Exception {
        HttpClient http = HttpClient.newBuilder().sslContext(trusting(pki)).build();
        for (String path : List.of("/healthz", "/livez", "/readyz", "/version", "/version/")) {
            assertThat(http.send(HttpRequest.newBuilder(URI.create(url + path)).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
                    .as(path).isEqualTo(200);
        }
        HttpResponse<String> pods = http.send(HttpRequest.newBuilder(URI.create(url + "/api/v1/pods")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(pods.statusCode()).isEqualTo(403);
        assertThat(pods.body()).contains("\"reason\":\"Forbidden\"", "User \\\"system:anonymous\\\" cannot list resource \\\"pods\\\"");
        HttpResponse<String> bad = http.send(HttpRequest.newBuilder(URI.create(url + "/api/v1/pods")).header("Authorization", "Bearer nonsense")
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(bad.statusCode()).isEqualTo(401);
        assertThat(bad.body()).contains("\"reason\":\"Unauthorized\"");
        HttpResponse<String> badBootstrap = http.send(HttpRequest.newBuilder(URI.create(url + "/api/v1/pods"))
                .header("Authorization", "Bearer abcdef.0123456789abcdef").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(badBootstrap.statusCode()).isEqualTo(401);
        // HTTP/2 is what kubectl negotiates
        HttpResponse<String> h2 = HttpClient.newBuilder().sslContext(trusting(pki)).version(HttpClient.Version.HTTP_2).build()
                .send(HttpRequest.newBuilder(URI.create(url + "/version")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(h2.version()).isEqualTo(HttpClient.Version.HTTP_2);
    }

    @Test
    void aClientCertificateFromAnotherCaIsRefusedAtTheHandshake() throws Exception {
        Pki other = Pki.loadOrCreate(dir.resolve("other-pki"), PkiOptions.defaults());
        Path stranger = kubeconfig("stranger", other.issueClient("kubernetes-admin", List.of("system:masters"), Duration.ofDays(1)));
        Kubectl.Result r = new Kubectl(Kubectl.DEFAULT, stranger).run("get", "pods");
        assertThat(r.exit()).isNotZero();
        assertThat(r.err()).containsAnyOf("certificate", "tls", "handshake");
        assertThatThrownBy(() -> HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url + "/version")).build(),
                HttpResponse.BodyHandlers.ofString())).isInstanceOf(SSLHandshakeException.class);
    }

    @Test
    void aUserWithoutBindingsIsForbiddenAndImpersonationNeedsItsVerb() {
        Path bob = kubeconfig("bob", pki.issueClient("bob", List.of("dev"), Duration.ofDays(1)));
        Kubectl asBob = new Kubectl(Kubectl.DEFAULT, bob);
        assertThat(asBob.run("get", "pods").err()).contains("pods is forbidden: User \"bob\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\"");
        assertThat(asBob.run("get", "pods", "--as", "kubernetes-admin", "--as-group", "system:masters").err())
                .contains("cannot impersonate resource \"users\"");
        assertThat(kubectl.run("get", "pods", "--as", "bob").err()).contains("User \"bob\" cannot list resource \"pods\"");
        assertThat(authKubectl.run("auth", "can-i", "--list", "--as", "bob").orFail().out()).contains("selfsubjectaccessreviews.authorization.k8s.io");
    }

    @Test
    void aCertificateSigningRequestNamesWhoReallyAskedForIt() throws Exception {
        String pem = io.kubeha.security.pki.Csrs.create(io.kubeha.security.pki.Csrs.newEcKey(), "system:node:n9", List.of("system:nodes"),
                List.of(), List.of());
        String csr = ("{\"apiVersion\": \"certificates.k8s.io/v1\", \"kind\": \"CertificateSigningRequest\", \"metadata\": {\"name\": \"forged\"},"
                + " \"spec\": {\"request\": \"%s\", \"signerName\": \"kubernetes.io/kube-apiserver-client-kubelet\", \"usages\": [\"client auth\"],"
                + " \"username\": \"system:node:n9\", \"groups\": [\"system:nodes\"]}}").formatted(java.util.Base64.getEncoder().encodeToString(pem.getBytes()));
        kubectl.run(csr, Duration.ofSeconds(30), "apply", "-f", "-").orFail();
        assertThat(kubectl.run("get", "csr", "forged", "-o", "jsonpath={.spec.username} {.spec.groups}").orFail().out())
                .isEqualTo("kubernetes-admin [\"system:masters\",\"system:authenticated\"]");
    }

    @Test
    void aFabric8InformerFollowsChangesOverTls() throws Exception {
        Config config = Config.fromKubeconfig(Files.readString(admin));
        config.setOnlyHttpWatches(true);
        try (KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build()) {
            Set<String> seen = ConcurrentHashMap.newKeySet();
            SharedIndexInformer<ConfigMap> informer = client.configMaps().inNamespace("default").inform(new ResourceEventHandler<>() {
                @Override
                public void onAdd(ConfigMap obj) {
                    seen.add(obj.getMetadata().getName());
                }

                @Override
                public void onUpdate(ConfigMap oldObj, ConfigMap newObj) {
                }

                @Override
                public void onDelete(ConfigMap obj, boolean deletedFinalStateUnknown) {
                }
            });
            try {
                informer.run();
                client.configMaps().inNamespace("default").resource(new ConfigMapBuilder().withNewMetadata().withName("informed").endMetadata()
                        .addToData("k", "v").build()).create();
                await().atMost(Duration.ofSeconds(15)).until(() -> seen.contains("informed"));
            } finally {
                informer.close();
            }
        }
    }

    @Test
    void theJavaScriptClientsInformerWorksWithTheAdminKubeconfig() throws Exception {
        // @kubernetes/client-node 1.x refuses plain HTTP without skipTLSVerify: the case that made TLS needed
        Path js = dir.resolve("js");
        Files.createDirectories(js);
        Process install = new ProcessBuilder("npm", "install", "--silent", "--no-audit", "--no-fund", "@kubernetes/client-node@1")
                .directory(js.toFile()).redirectErrorStream(true).start();
        String installed = new String(install.getInputStream().readAllBytes());
        assertThat(install.waitFor(300, TimeUnit.SECONDS)).as("npm install").isTrue();
        assertThat(install.exitValue()).as("npm install @kubernetes/client-node: " + installed).isZero();
        Files.writeString(js.resolve("informer.mjs"), """
                import * as k8s from '@kubernetes/client-node';
                const kc = new k8s.KubeConfig();
                kc.loadFromFile(process.argv[2]);
                const core = kc.makeApiClient(k8s.CoreV1Api);
                const informer = k8s.makeInformer(kc, '/api/v1/namespaces/default/configmaps',
                    () => core.listNamespacedConfigMap({namespace: 'default'}));
                informer.on('add', (cm) => {
                    if (cm.metadata.name === 'from-js') { console.log('informed ' + cm.metadata.name); process.exit(0); }
                });
                informer.on('error', (e) => { console.error('informer error', e); process.exit(3); });
                await informer.start();
                await core.createNamespacedConfigMap({namespace: 'default', body: {metadata: {name: 'from-js'}, data: {k: 'v'}}});
                setTimeout(() => { console.error('no event within 20 s'); process.exit(4); }, 20000);
                """);
        Process node = new ProcessBuilder("node", "informer.mjs", admin.toString()).directory(js.toFile()).redirectErrorStream(true).start();
        String out = new String(node.getInputStream().readAllBytes());
        assertThat(node.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(node.exitValue()).as(out).isZero();
        assertThat(out).contains("informed from-js");
    }

    @Test
    void theOfficialPythonClientWorksWithTheAdminKubeconfig() throws Exception {
        Path python = Path.of("/usr/bin/python3");
        assertThat(python).as("the Python client test needs Debian's python3-kubernetes (test.sh installs it)").exists();
        String script = """
                from kubernetes import client, config
                config.load_kube_config(config_file="%s")
                print(client.VersionApi().get_code().git_version)
                print(",".join(sorted(n.metadata.name for n in client.CoreV1Api().list_namespace().items)))
                """.formatted(admin);
        Process p = new ProcessBuilder(python.toString(), "-c", script).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).contains("v1.33", "default", "kube-node-lease", "kube-public", "kube-system");
    }

    private static SSLContext trusting(Pki pki) throws Exception {
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(Pki.trustStore(pki.caCert()));
        SSLContext c = SSLContext.getInstance("TLS");
        c.init(null, tmf.getTrustManagers(), null);
        return c;
    }
}
