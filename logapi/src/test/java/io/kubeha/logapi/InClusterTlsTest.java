package io.kubeha.logapi;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A pod's in-cluster configuration over TLS, as in Kubernetes: the API server's certificate checked against the
 * service account's ca.crt, the service account's token sent as a bearer token. kubeha's API server has no TLS
 * yet, so an HTTPS stand-in (a certificate made by the JDK's keytool) answers the event list and checks the token.
 */
class InClusterTlsTest {
    private static final String TOKEN = "the-pods-service-account-token";
    private static Path dir;
    private static HttpsServer apiServer;
    private static Path saDir;

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("logapi-tls");
        Path keystore = dir.resolve("server.p12");
        keytool("-genkeypair", "-alias", "api", "-keyalg", "EC", "-dname", "CN=kubernetes", "-ext", "SAN=ip:127.0.0.1",
                "-validity", "2", "-storetype", "PKCS12", "-keystore", keystore.toString(), "-storepass", "changeit");
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            ks.load(in, "changeit".toCharArray());
        }
        saDir = Files.createDirectories(dir.resolve("serviceaccount"));
        Files.writeString(saDir.resolve("ca.crt"), pem(ks.getCertificate("api")));
        Files.writeString(saDir.resolve("token"), TOKEN + "\n");

        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, "changeit".toCharArray());
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(kmf.getKeyManagers(), null, null);
        apiServer = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        apiServer.setHttpsConfigurator(new HttpsConfigurator(tls));
        apiServer.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        apiServer.createContext("/api/v1/namespaces/demo/events", ex -> {
            boolean authorized = ("Bearer " + TOKEN).equals(ex.getRequestHeaders().getFirst("Authorization"));
            byte[] body = (authorized
                    ? "{\"kind\":\"EventList\",\"apiVersion\":\"v1\",\"items\":[{\"metadata\":{\"name\":\"e1\",\"namespace\":\"demo\"},"
                      + "\"involvedObject\":{\"kind\":\"Pod\",\"name\":\"web-1\"},\"reason\":\"Started\",\"message\":\"Started container\","
                      + "\"type\":\"Normal\",\"lastTimestamp\":\"2026-01-01T00:00:00Z\"}]}"
                    : "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"message\":\"Unauthorized\",\"reason\":\"Unauthorized\",\"code\":401}")
                    .getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(authorized ? 200 : 401, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        apiServer.start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (apiServer != null) apiServer.stop(0);
        try (var files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private static void keytool(String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IllegalStateException("keytool failed: " + out);
    }

    private static String pem(Certificate c) throws Exception {
        return "-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(c.getEncoded())
                + "\n-----END CERTIFICATE-----\n";
    }

    private static LogApi logapi(Path serviceAccountDir) {
        LogApiConfig config = LogApiConfig.fromEnvironment(Map.of("KUBERNETES_SERVICE_HOST", "127.0.0.1",
                "KUBERNETES_SERVICE_PORT", String.valueOf(apiServer.getAddress().getPort()),
                "LOGAPI_SERVICEACCOUNT_DIR", serviceAccountDir.toString(), "POD_IP", "127.0.0.1"), List.of("--port=0"), "1.0");
        try {
            return new LogApi(config, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).start();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void readsOverTlsTrustingTheServiceAccountsCaWithItsToken() throws Exception {
        try (LogApi api = logapi(saDir)) {
            HttpResponse<String> r = Http.get("http://127.0.0.1:" + api.address().getPort() + "/api/log/events?namespace=demo");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(r.body()).contains("\"reason\":\"Started\"").contains("\"name\":\"web-1\"");
        }
    }

    @Test
    void aRefusedTokenIsA502ThatSaysSo() throws Exception {
        Path other = Files.createDirectories(dir.resolve("other-sa"));
        Files.copy(saDir.resolve("ca.crt"), other.resolve("ca.crt"));
        Files.writeString(other.resolve("token"), "someone-elses-token");
        try (LogApi api = logapi(other)) {
            HttpResponse<String> r = Http.get("http://127.0.0.1:" + api.address().getPort() + "/api/log/events?namespace=demo");
            assertThat(r.statusCode()).isEqualTo(502);
            assertThat(r.body()).contains("the API server refused logapi's credentials (401) for the events of namespace demo: Unauthorized");
        }
    }

    @Test
    void aServerItDoesNotTrustIsA502() throws Exception {
        // another CA: one of the JDK's public roots, which never signed the stand-in's certificate
        Path other = Files.createDirectories(dir.resolve("untrusting-sa"));
        KeyStore cacerts = KeyStore.getInstance(Path.of(System.getProperty("java.home"), "lib", "security", "cacerts").toFile(),
                "changeit".toCharArray());
        Files.writeString(other.resolve("ca.crt"), pem(cacerts.getCertificate(cacerts.aliases().nextElement())));
        try (LogApi api = logapi(other)) {
            HttpResponse<String> r = Http.get("http://127.0.0.1:" + api.address().getPort() + "/api/log/events?namespace=demo");
            assertThat(r.statusCode()).isEqualTo(502);
            assertThat(r.body()).contains("the API server at https://127.0.0.1:" + apiServer.getAddress().getPort() + " is unreachable: ");
        }
    }
}
