package io.kubeha.cli;

import io.kubeha.security.pki.CertAndKey;
import io.kubeha.security.pki.Pem;
import io.kubeha.security.pki.Pki;
import io.kubeha.security.pki.PkiOptions;
import io.kubeha.security.pki.ReloadingKeyManager;
import io.kubeha.testkit.ChildJvm;
import io.kubeha.testkit.Kubectl;
import io.kubeha.testkit.Ports;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The agent's own port over TLS, end to end with real processes and the real kubectl: an agent that joined with a
 * token serves HTTPS with a certificate from a kubelet-serving CSR; {@code kubectl logs} works through the API
 * server, which presents its kubelet client certificate; a client without a certificate gets 401, one the API server
 * does not allow 403, one with a certificate from another CA no handshake; an endpoint with a self-signed
 * certificate registered as a node's agent makes {@code kubectl logs} fail with a clear message (not a 500); and with
 * renewal made due early, the agent gets new client and serving certificates (new serials) and keeps working. An
 * agent with the admin kubeconfig (not a node) approves its own serving CSR, and after a restart serves the
 * certificate it kept.
 */
class AgentTlsIT {
    @TempDir
    Path dir;

    @Test
    void theAgentPortServesTlsIsVerifiedAndRenewsItsCertificates() throws Exception {
        int port = Ports.free(InetAddress.getLoopbackAddress());
        Path data = dir.resolve("server");
        List<ChildJvm> started = new ArrayList<>();
        com.sun.net.httpserver.HttpsServer fake = null;
        try (ChildJvm server = ChildJvm.start(Main.class, dir.resolve("server.log"), "server", "--disable-agent", "--data-dir", data.toString(),
                "--bind", "127.0.0.1:" + port)) {
            Path admin = data.resolve("admin.kubeconfig");
            await().atMost(Duration.ofSeconds(90)).ignoreExceptions().until(() -> Files.exists(admin)
                    && new Kubectl(Kubectl.DEFAULT, admin).run("get", "--raw", "/readyz").out().equals("ok"));
            Kubectl kubectl = new Kubectl(Kubectl.DEFAULT, admin);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(kubectl.run("get", "configmap", "-n", "kube-public",
                    "cluster-info").exit()).isZero());
            String token = token(admin);

            // an agent joins, renewing its certificates every few seconds: they live 10 minutes, renewed 585 s before their end
            String nodeIp = "127.10.104.7";
            int agentPort = Ports.free(InetAddress.getLoopbackAddress());
            Path agentData = dir.resolve("agent");
            ChildJvm agent = ChildJvm.start(Main.class, dir.resolve("agent.log"), "agent", "--server", "https://127.0.0.1:" + port,
                    "--token", token, "--node-name", "tlsnode", "--node-ip", nodeIp, "--pod-cidr", "127.65.104.0/24",
                    "--port", Integer.toString(agentPort), "--data-dir", agentData.toString(), "--image-store", dir.resolve("images").toString(),
                    "--certificate-validity", "10m", "--certificate-renew-before", "585s");
            started.add(agent);
            await().atMost(Duration.ofSeconds(120)).untilAsserted(() -> {
                assertThat(agent.isAlive()).as(log("agent.log")).isTrue();
                assertThat(kubectl.run("get", "node", "tlsnode", "-o", "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}").out())
                        .isEqualTo("True");
            });
            kubectl.run("""
                    {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "talker", "namespace": "default"},
                     "spec": {"nodeName": "tlsnode", "containers": [{"name": "main", "image": "busybox",
                       "command": ["sh", "-c", "echo hello over tls; i=0; while true; do echo tick $i; i=$((i+1)); sleep 1; done"]}]}}
                    """, Duration.ofSeconds(30), "apply", "-f", "-").orFail();

            // kubectl logs through the API server, which reaches the agent over TLS
            await().atMost(Duration.ofSeconds(90)).untilAsserted(() ->
                    assertThat(kubectl.run("logs", "talker").orFail().out()).as(log("agent.log")).contains("hello over tls"));

            // the agent's serving certificate: the cluster CA's, for the node, kept 0600 in its data folder
            X509Certificate ca = Pem.certs(Files.readString(data.resolve("pki/ca.crt"))).getFirst();
            X509Certificate serving = servingCertificate(ca, nodeIp, agentPort);
            assertThat(serving.getSubjectX500Principal().getName()).contains("CN=system:node:tlsnode", "O=system:nodes");
            assertThat(serving.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1");
            Path kept = agentData.resolve("pki/kubelet-server-current.pem");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(kept))).isEqualTo("rw-------");
            assertThat(kubectl.run("get", "csr").orFail().out()).contains("kubernetes.io/kubelet-serving", "system:node:tlsnode");

            // straight to the agent's port: /healthz for anyone; logs need a certificate the API server allows
            String logsPath = "https://" + nodeIp + ":" + agentPort + "/containerLogs/default/talker/main";
            HttpClient noCert = HttpClient.newBuilder().sslContext(new ReloadingKeyManager(null).sslContext(List.of(ca))).build();
            assertThat(get(noCert, "https://" + nodeIp + ":" + agentPort + "/healthz")).isEqualTo("200 ok");
            assertThat(get(noCert, logsPath)).isEqualTo("401 Unauthorized");
            // a certificate of the cluster CA for a user with no rights: 403 with the kubelet's words
            Path copy = Files.createDirectories(dir.resolve("ca-copy"));
            Files.copy(data.resolve("pki/ca.crt"), copy.resolve("ca.crt"));
            Files.copy(data.resolve("pki/ca.key"), copy.resolve("ca.key"));
            Pki clusterCa = Pki.loadOrCreate(copy, PkiOptions.defaults());
            HttpClient nobody = HttpClient.newBuilder().sslContext(new ReloadingKeyManager(clusterCa.issueClient("nobody", List.of(),
                    Duration.ofHours(1))).sslContext(List.of(ca))).build();
            assertThat(get(nobody, logsPath)).isEqualTo("403 Forbidden (user=nobody, verb=get, resource=nodes, subresource=proxy)");
            // a certificate from another CA: no handshake at all
            Pki other = Pki.loadOrCreate(dir.resolve("other-pki"), PkiOptions.defaults());
            HttpClient foreign = HttpClient.newBuilder().sslContext(new ReloadingKeyManager(other.issueClient("kubernetes-admin",
                    List.of("system:masters"), Duration.ofHours(1))).sslContext(List.of(ca))).build();
            assertThatThrownBy(() -> get(foreign, logsPath)).isInstanceOf(IOException.class);

            // a fake agent with a self-signed certificate, registered as a node's endpoint: kubectl logs says it is not trusted
            int fakePort = Ports.free(InetAddress.getLoopbackAddress());
            fake = selfSigned(other, fakePort);
            kubectl.run("""
                    {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "fake"}}
                    """, Duration.ofSeconds(30), "apply", "-f", "-").orFail();
            kubectl.run("patch", "node", "fake", "--subresource=status", "--type=merge", "-p",
                    "{\"status\":{\"addresses\":[{\"type\":\"InternalIP\",\"address\":\"127.0.0.1\"}],"
                            + "\"daemonEndpoints\":{\"kubeletEndpoint\":{\"Port\":" + fakePort + "}}}}").orFail();
            kubectl.run("""
                    {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "on-fake", "namespace": "default"},
                     "spec": {"nodeName": "fake", "containers": [{"name": "main", "image": "busybox", "command": ["sleep", "600"]}]}}
                    """, Duration.ofSeconds(30), "apply", "-f", "-").orFail();
            Kubectl.Result refused = kubectl.run("logs", "on-fake");
            assertThat(refused.exit()).isNotZero();
            assertThat(refused.err()).contains("the node agent of fake at 127.0.0.1:" + fakePort + " is not trusted",
                    "not signed by the cluster CA").doesNotContain("InternalError")
                    // a 500 as a word: the random port in the message may hold the digits (55007 did)
                    .doesNotContainPattern("\\b500\\b");

            // renewal: both certificates get new serials, and the node keeps working with them
            BigInteger firstServing = serving.getSerialNumber();
            BigInteger firstClient = TlsBootstrap.read(agentData.resolve("kubelet.kubeconfig")).client().cert().getSerialNumber();
            await().atMost(Duration.ofSeconds(120)).untilAsserted(() -> {
                assertThat(servingCertificate(ca, nodeIp, agentPort).getSerialNumber()).as(log("agent.log")).isNotEqualTo(firstServing);
                assertThat(TlsBootstrap.read(agentData.resolve("kubelet.kubeconfig")).client().cert().getSerialNumber()).isNotEqualTo(firstClient);
            });
            // the renewed client certificate was asked for by the node itself, and approved (selfnodeclient)
            assertThat(kubectl.run("get", "csr", "-o", "jsonpath={range .items[*]}{.spec.signerName} {.spec.username} "
                    + "{.status.conditions[0].type}{\"\\n\"}{end}").orFail().out())
                    .contains("kubernetes.io/kube-apiserver-client-kubelet system:node:tlsnode Approved");
            Instant renewed = Instant.now();
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(Instant.parse(kubectl.run("get", "lease", "-n",
                    "kube-node-lease", "tlsnode", "-o", "jsonpath={.spec.renewTime}").orFail().out())).isAfter(renewed));
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                    assertThat(kubectl.run("logs", "talker", "--tail=1").orFail().out()).contains("tick"));
            assertThat(agent.isAlive()).isTrue();
            assertThat(log("agent.log")).doesNotContain("\tat ");

            // an agent with the admin kubeconfig is not a node: nothing approves its serving CSR but itself, which it may
            String adminIp = "127.10.104.8";
            int adminPort = Ports.free(InetAddress.getLoopbackAddress());
            ChildJvm adminAgent = ChildJvm.start(Main.class, dir.resolve("admin-agent.log"), "agent", "--kubeconfig", admin.toString(),
                    "--node-name", "adminnode", "--node-ip", adminIp, "--pod-cidr", "127.65.105.0/24", "--port", Integer.toString(adminPort),
                    "--data-dir", dir.resolve("admin-agent").toString(), "--image-store", dir.resolve("images").toString());
            started.add(adminAgent);
            kubectl.run("""
                    {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "talker2", "namespace": "default"},
                     "spec": {"nodeName": "adminnode", "containers": [{"name": "main", "image": "busybox",
                       "command": ["sh", "-c", "echo hello from the admin agent; exec sleep 600"]}]}}
                    """, Duration.ofSeconds(30), "apply", "-f", "-").orFail();
            await().atMost(Duration.ofSeconds(120)).untilAsserted(() ->
                    assertThat(kubectl.run("logs", "talker2").orFail().out()).as(log("admin-agent.log")).contains("hello from the admin agent"));
            assertThat(servingCertificate(ca, adminIp, adminPort).getSubjectX500Principal().getName()).contains("CN=system:node:adminnode");
            assertThat(kubectl.run("get", "csr", "-o", "jsonpath={range .items[*]}{.spec.signerName} {.spec.username} "
                    + "{.status.conditions[0].reason}{\"\\n\"}{end}").orFail().out())
                    .contains("kubernetes.io/kubelet-serving kubernetes-admin SelfApproved");

            // a restarted agent serves the certificate it kept (still valid), asking for none
            BigInteger kept1 = servingCertificate(ca, adminIp, adminPort).getSerialNumber();
            adminAgent.close();
            ChildJvm again = ChildJvm.start(Main.class, dir.resolve("admin-agent-2.log"), "agent", "--kubeconfig", admin.toString(),
                    "--node-name", "adminnode", "--node-ip", adminIp, "--pod-cidr", "127.65.105.0/24", "--port", Integer.toString(adminPort),
                    "--data-dir", dir.resolve("admin-agent").toString(), "--image-store", dir.resolve("images").toString());
            started.add(again);
            await().atMost(Duration.ofSeconds(90)).ignoreExceptions().untilAsserted(() ->
                    assertThat(servingCertificate(ca, adminIp, adminPort).getSerialNumber()).isEqualTo(kept1));
            assertThat(kubectl.run("logs", "talker2").orFail().out()).contains("hello from the admin agent");
        } finally {
            if (fake != null) fake.stop(0);
            for (ChildJvm c : started) c.close();
            // the agents' pods are processes of their own sessions: they outlive a killed agent
            io.kubeha.testkit.Processes.killPodProcessesRecordedUnder(dir);
        }
    }

    /** The certificate the agent's port presents, checked against the cluster CA. */
    private static X509Certificate servingCertificate(X509Certificate ca, String ip, int port) throws Exception {
        SSLContext ctx = new ReloadingKeyManager(null).sslContext(List.of(ca));
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(ip, port)) {
            s.startHandshake();
            return (X509Certificate) s.getSession().getPeerCertificates()[0];
        }
    }

    private static String get(HttpClient client, String url) throws Exception {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());
        return r.statusCode() + " " + r.body().strip();
    }

    /** An HTTPS endpoint that presents another CA's own, self-signed certificate. */
    private static com.sun.net.httpserver.HttpsServer selfSigned(Pki other, int port) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        char[] pw = "pw".toCharArray();
        ks.setKeyEntry("fake", other.caKey(), pw, new java.security.cert.Certificate[] {other.caCert()});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, pw);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        var s = com.sun.net.httpserver.HttpsServer.create(new java.net.InetSocketAddress("127.0.0.1", port), 8);
        s.setHttpsConfigurator(new com.sun.net.httpserver.HttpsConfigurator(ctx));
        s.createContext("/", ex -> {
            byte[] b = "stolen logs\n".getBytes();
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        s.start();
        return s;
    }

    private String log(String name) throws IOException {
        Path f = dir.resolve(name);
        return Files.exists(f) ? Files.readString(f) : "";
    }

    private String token(Path admin) throws Exception {
        try (ChildJvm c = ChildJvm.start(Main.class, dir.resolve("token.log"), "token", "create", "--kubeconfig", admin.toString())) {
            return String.join("\n", c.remainingLines(Duration.ofSeconds(60))).strip();
        }
    }
}
