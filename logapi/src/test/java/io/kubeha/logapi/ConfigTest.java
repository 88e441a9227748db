package io.kubeha.logapi;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The environment a pod gives the service, and the clear refusals of configurations it cannot use. */
class ConfigTest {
    private final Path dir = tempDir();

    private static Path tempDir() {
        try {
            return Files.createTempDirectory("logapi-config");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @AfterEach
    void clean() throws Exception {
        try (var files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private static LogApiConfig config(Map<String, String> env, String... args) {
        return LogApiConfig.fromEnvironment(env, List.of(args), "1.0");
    }

    @Test
    void podEnvironmentDecidesAddressPortAndName() {
        LogApiConfig c = config(Map.of("POD_IP", "127.34.0.5", "POD_NAME", "logapi-abc", "HOSTNAME", "other", "PORT", "9000"));
        assertThat(c.bindHost()).isEqualTo("127.34.0.5");
        assertThat(c.port()).isEqualTo(9000);
        assertThat(c.podName()).isEqualTo("logapi-abc");
        assertThat(c.cluster()).isEmpty();

        LogApiConfig d = config(Map.of("HOSTNAME", "logapi-xyz"), "--port", "7000");
        assertThat(d.bindHost()).isEqualTo("0.0.0.0");
        assertThat(d.port()).isEqualTo(7000);
        assertThat(d.podName()).isEqualTo("logapi-xyz");
        assertThat(config(Map.of("HOSTNAME", "h")).port()).isEqualTo(8080);
    }

    @Test
    void badFlagsAndNumbersAreRefusedWithTheReason() {
        assertThatThrownBy(() -> config(Map.of(), "--verbose")).hasMessage("unknown argument: --verbose");
        assertThatThrownBy(() -> config(Map.of(), "--port", "x")).hasMessage("--port is not a port number: x");
        assertThatThrownBy(() -> config(Map.of("PORT", "70000"))).hasMessage("PORT must be between 0 and 65535: 70000");
        assertThatThrownBy(() -> config(Map.of("LOGAPI_DRAIN_SECONDS", "-1")))
                .hasMessage("LOGAPI_DRAIN_SECONDS must be a whole number of seconds, 0 or more: -1");
        assertThatThrownBy(() -> config(Map.of("KUBERNETES_SERVICE_HOST", "10.0.0.1", "KUBERNETES_SERVICE_PORT", "https")))
                .hasMessage("KUBERNETES_SERVICE_PORT is not a port number: https");
    }

    @Test
    void inClusterIsHttpWithoutACaAndHttpsWithOne() throws Exception {
        Map<String, String> env = Map.of("KUBERNETES_SERVICE_HOST", "10.0.0.1", "KUBERNETES_SERVICE_PORT", "443",
                "LOGAPI_SERVICEACCOUNT_DIR", dir.toString());
        ClusterAccess plain = config(env).cluster().orElseThrow();
        assertThat(plain.server().toString()).isEqualTo("http://10.0.0.1:443");
        assertThat(plain.bearerToken()).isNull();
        assertThat(plain.tls()).isNull();

        Files.writeString(dir.resolve("ca.crt"), "not a certificate");
        assertThatThrownBy(() -> config(env)).hasMessageStartingWith(dir.resolve("ca.crt") + " is not a PEM CA certificate");
    }

    @Test
    void kubeconfigWinsOverInClusterAndResolvesTokenFiles() throws Exception {
        Files.writeString(dir.resolve("token"), "from-file\n");
        Path kc = Files.writeString(dir.resolve("config"), """
                apiVersion: v1
                kind: Config
                current-context: b
                contexts:
                - {name: a, context: {cluster: one, user: u}}
                - {name: b, context: {cluster: two, user: u}}
                clusters:
                - {name: one, cluster: {server: "http://127.0.0.1:1"}}
                - {name: two, cluster: {server: "http://127.0.0.2:6443/"}}
                users:
                - {name: u, user: {tokenFile: token}}
                """);
        ClusterAccess a = config(Map.of("KUBECONFIG", kc.toString(), "KUBERNETES_SERVICE_HOST", "10.0.0.1")).cluster().orElseThrow();
        assertThat(a.server().toString()).isEqualTo("http://127.0.0.2:6443");
        assertThat(a.bearerToken()).isEqualTo("from-file");
    }

    @Test
    void kubeconfigsItCannotUseAreRefusedWithTheReason() throws Exception {
        assertThatThrownBy(() -> config(Map.of("KUBECONFIG", dir.resolve("missing").toString())))
                .hasMessage("KUBECONFIG names no readable kubeconfig file: " + dir.resolve("missing"));
        Path noContext = Files.writeString(dir.resolve("a"), "apiVersion: v1\nkind: Config\nclusters: []\n");
        assertThatThrownBy(() -> config(Map.of("KUBECONFIG", noContext.toString())))
                .hasMessageContaining("has no current-context");
        Path certs = Files.writeString(dir.resolve("b"), """
                current-context: x
                contexts: [{name: x, context: {cluster: c, user: admin}}]
                clusters: [{name: c, cluster: {server: "https://127.0.0.1:6443", insecure-skip-tls-verify: true}}]
                users: [{name: admin, user: {client-certificate-data: AAAA, client-key-data: AAAA}}]
                """);
        assertThatThrownBy(() -> config(Map.of("KUBECONFIG", certs.toString())))
                .hasMessage("the kubeconfig's user admin authenticates with client-certificate-data, which logapi does not support: give it a token or tokenFile");
        Path broken = Files.writeString(dir.resolve("c"), "current-context: [oops\n");
        assertThatThrownBy(() -> config(Map.of("KUBECONFIG", broken.toString())))
                .hasMessageStartingWith("KUBECONFIG file " + broken + " is not valid YAML");
        Path noServer = Files.writeString(dir.resolve("d"), """
                current-context: x
                contexts: [{name: x, context: {cluster: c}}]
                clusters: [{name: c, cluster: {server: "ftp://example"}}]
                """);
        assertThatThrownBy(() -> config(Map.of("KUBECONFIG", noServer.toString())))
                .hasMessage("the kubeconfig's server is not an http(s) URL: ftp://example");
    }
}
