package io.kubeha.store.etcd;

import io.kubeha.security.pki.CertAndKey;
import io.kubeha.security.pki.Pki;
import io.kubeha.security.pki.PkiOptions;
import io.kubeha.store.EtcdTls;
import io.kubeha.store.KeyValue;
import io.kubeha.store.RecordingListener;
import io.kubeha.store.Store;
import io.kubeha.store.StoreException;
import io.kubeha.store.StoreOptions;
import io.kubeha.store.Stores;
import io.kubeha.store.Watch;
import io.kubeha.store.WatchEvent;
import io.kubeha.testkit.Ports;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The etcd store over TLS against one real etcd that asks for client certificates ({@code --client-cert-auth}),
 * as a kubeadm-made etcd does: with the CA and a client certificate it reads, writes and watches; without the
 * certificate, or trusting another CA, it fails within the request timeout saying what to check, never hangs;
 * an https endpoint without --etcd-cafile is refused when opened. No etcd binary fails the test (no skipping).
 */
class EtcdTlsIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(3);
    private static Path dir;
    private static Process etcd;
    private static Path log;
    private static String url;
    private static Path caFile;
    private static Path certFile;
    private static Path keyFile;

    @RegisterExtension
    final TestWatcher printLog = new TestWatcher() {
        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
            System.err.println("---- " + context.getDisplayName() + " failed; etcd log:\n" + logTail());
        }
    };

    @BeforeAll
    static void startEtcd() throws Exception {
        dir = Files.createTempDirectory("kubeha-etcd-tls-");
        InetAddress loopback = InetAddress.getByName("127.0.0.1");
        Pki pki = Pki.loadOrCreate(dir.resolve("pki"), PkiOptions.defaults().withSans(List.of("localhost"), List.of(loopback)));
        CertAndKey server = pki.issueServing("etcd", List.of("localhost"), List.of(loopback), Duration.ofDays(1));
        CertAndKey client = pki.issueClient("kube-apiserver-etcd-client", List.of(), Duration.ofDays(1));
        caFile = write("ca.crt", pki.caPem());
        Path serverCert = write("server.crt", server.certPem());
        Path serverKey = write("server.key", server.keyPem());
        certFile = write("client.crt", client.certPem());
        keyFile = write("client.key", client.keyPem()); // traditional EC PRIVATE KEY: converted, not given to Netty as is

        Path binary = Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .filter(s -> !s.isBlank()).map(s -> Path.of(s, "etcd")).filter(Files::isExecutable)
                .findFirst().orElse(Path.of("/usr/bin/etcd"));
        assertThat(binary).as("an etcd binary (apt-get install -y etcd-server)").isExecutable();
        List<Integer> ports = Ports.free(loopback, 2);
        url = "https://127.0.0.1:" + ports.get(0);
        String peer = "http://127.0.0.1:" + ports.get(1);
        log = dir.resolve("etcd.log");
        ProcessBuilder pb = new ProcessBuilder(binary.toString(),
                "--name", "tls",
                "--data-dir", dir.resolve("data").toString(),
                "--cert-file", serverCert.toString(),
                "--key-file", serverKey.toString(),
                "--trusted-ca-file", caFile.toString(),
                "--client-cert-auth",
                "--listen-client-urls", url,
                "--advertise-client-urls", url,
                "--listen-peer-urls", peer,
                "--initial-advertise-peer-urls", peer,
                "--initial-cluster", "tls=" + peer,
                "--logger=zap")
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        // ETCD_* variables are flags too; a developer's environment must not change this etcd
        pb.environment().keySet().removeIf(k -> k.startsWith("ETCD_"));
        etcd = pb.start();
        Runtime.getRuntime().addShutdownHook(new Thread(EtcdTlsIT::kill));
        // ready when a TLS client with the certificate gets an answer: the store under test, before any test
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        try (Store s = open(tls())) {
            while (true) {
                try {
                    s.currentRevision();
                    return;
                } catch (StoreException.Unavailable e) {
                    if (!etcd.isAlive() || System.nanoTime() > deadline) {
                        throw new IllegalStateException("etcd at " + url + " did not serve TLS clients in 30 s"
                                + (etcd.isAlive() ? "" : " (exited " + etcd.exitValue() + ")") + ":\n" + logTail(), e);
                    }
                    Thread.sleep(200);
                }
            }
        }
    }

    @AfterAll
    static void stopEtcd() throws IOException {
        kill();
        if (dir != null) {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** SIGKILL to the PID this test started, and wait for it: no etcd outlives the tests. */
    private static void kill() {
        if (etcd == null) return;
        ProcessHandle handle = etcd.toHandle();
        handle.destroyForcibly();
        try {
            if (!etcd.waitFor(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("etcd (pid " + handle.pid() + ") still alive 10 s after SIGKILL");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void withCaAndClientCertificateWritesReadsAndWatches() throws Exception {
        try (Store s = open(tls())) {
            assertThat(s.describe()).contains(url);
            long start = s.currentRevision();
            RecordingListener l = new RecordingListener();
            try (Watch w = s.watch("/tls/", start, l)) {
                KeyValue written = s.put("/tls/a", "over TLS".getBytes(StandardCharsets.UTF_8));
                assertThat(written.modRevision()).isGreaterThan(start);
                assertThat(s.get("/tls/a")).get().extracting(kv -> new String(kv.value(), StandardCharsets.UTF_8))
                        .isEqualTo("over TLS");
                WatchEvent e = l.nextChange(Duration.ofSeconds(10));
                assertThat(e).isInstanceOfSatisfying(WatchEvent.Put.class, p -> {
                    assertThat(p.kv().key()).isEqualTo("/tls/a");
                    assertThat(p.kv().modRevision()).isEqualTo(written.modRevision());
                });
            }
        }
    }

    @Test
    void withoutAClientCertificateFailsWithinTheTimeoutNamingTheFlags() {
        try (Store s = open(new EtcdTls(caFile, null, null))) {
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> s.put("/tls/b", new byte[] {1}))
                    .isInstanceOf(StoreException.Unavailable.class)
                    .hasMessageContaining(url)
                    .hasMessageContaining("add --etcd-certfile and --etcd-keyfile");
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(TIMEOUT.plusSeconds(3));
        }
    }

    @Test
    void trustingAnotherCaFailsWithinTheTimeout() throws Exception {
        Pki other = Pki.loadOrCreate(dir.resolve("other-pki"), PkiOptions.defaults());
        Path otherCa = write("other-ca.crt", other.caPem());
        try (Store s = open(new EtcdTls(otherCa, certFile, keyFile))) {
            long t0 = System.nanoTime();
            assertThatThrownBy(s::currentRevision)
                    .isInstanceOf(StoreException.Unavailable.class)
                    .hasMessageContaining("signed by the --etcd-cafile CA");
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(TIMEOUT.plusSeconds(3));
        }
    }

    @Test
    void anHttpsEndpointWithoutTheCaIsRefusedAtOpen() {
        assertThatThrownBy(() -> Stores.open("etcd:" + url, StoreOptions.DEFAULTS.withRequestTimeout(TIMEOUT)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("etcd endpoint " + url + " is https: add --etcd-cafile");
    }

    private static EtcdTls tls() {
        return new EtcdTls(caFile, certFile, keyFile);
    }

    private static Store open(EtcdTls tls) {
        return Stores.open("etcd:" + url, StoreOptions.DEFAULTS.withRequestTimeout(TIMEOUT).withEtcdTls(tls));
    }

    private static Path write(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content);
    }

    private static String logTail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException | RuntimeException e) {
            return "(no log: " + e + ")";
        }
    }
}
