package io.kubeha.security.pki;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PkiTest {
    private static final PkiOptions OPTIONS = PkiOptions.defaults().withSans(List.of("localhost", "kubernetes.default.svc"),
            List.of(InetAddress.getLoopbackAddress()));

    @Test
    void makesEveryFileOnceWithPrivateKeysAndReusesThem(@TempDir Path dir) throws Exception {
        Pki first = Pki.loadOrCreate(dir, OPTIONS);
        for (String key : List.of("ca.key", "apiserver.key", "sa.key", "apiserver-kubelet-client.key")) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(key)))).as(key).isEqualTo("rw-------");
        }
        Pki again = Pki.loadOrCreate(dir, OPTIONS);
        assertThat(again.caCert()).isEqualTo(first.caCert());
        assertThat(again.serving().cert().getSerialNumber()).isEqualTo(first.serving().cert().getSerialNumber());
        assertThat(again.serviceAccountKeys().getPublic()).isEqualTo(first.serviceAccountKeys().getPublic());

        Pki wider = Pki.loadOrCreate(dir, OPTIONS.withSans(List.of("vip.example"), List.of(InetAddress.getByName("127.10.102.21"))));
        assertThat(wider.caCert()).isEqualTo(first.caCert());
        assertThat(wider.serving().cert().getSerialNumber()).isNotEqualTo(first.serving().cert().getSerialNumber());
        assertThat(sans(wider.serving().cert())).contains("vip.example", "127.10.102.21", "localhost", "127.0.0.1");
        wider.serving().cert().verify(first.caCert().getPublicKey());
    }

    @Test
    void aKeyThatIsNotTheCasIsRefusedNamingTheFile(@TempDir Path dir) throws Exception {
        Pki.loadOrCreate(dir, OPTIONS);
        Files.writeString(dir.resolve("ca.key"), Pem.key(Csrs.newEcKey().getPrivate()));
        assertThatThrownBy(() -> Pki.loadOrCreate(dir, OPTIONS)).isInstanceOf(PkiException.class).hasMessageContaining("ca.key");
    }

    @Test
    void clientCertificatesNameUserAndGroups(@TempDir Path dir) throws Exception {
        Pki pki = Pki.loadOrCreate(dir, OPTIONS);
        CertAndKey c = pki.issueClient("kubernetes-admin", List.of("system:masters", "ops"), Duration.ofDays(1));
        c.cert().verify(pki.caCert().getPublicKey());
        assertThat(c.cert().getSubjectX500Principal().getName()).isEqualTo("CN=kubernetes-admin,O=ops,O=system:masters");
        assertThat(c.cert().getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2");
        assertThat(c.keyPem()).startsWith("-----BEGIN EC PRIVATE KEY-----");
        assertThat(((java.security.interfaces.ECPrivateKey) Pem.privateKey(c.keyPem())).getS()).isEqualTo(((java.security.interfaces.ECPrivateKey) c.key()).getS());
    }

    @Test
    void signsCsrsAsAskedAndRefusesTamperedOnes(@TempDir Path dir) throws Exception {
        Pki pki = Pki.loadOrCreate(dir, OPTIONS);
        var key = Csrs.newEcKey();
        String csr = Csrs.create(key, "system:node:n1", List.of("system:nodes"), List.of("n1"), List.of(InetAddress.getByName("127.10.103.96")));
        Csrs.CsrInfo info = Csrs.parse(csr);
        assertThat(info.commonName()).isEqualTo("system:node:n1");
        assertThat(info.organizations()).containsExactly("system:nodes");
        assertThat(info.ips()).containsExactly("127.10.103.96");
        X509Certificate client = pki.signCsr(csr, List.of("digital signature", "client auth"), Duration.ofDays(1));
        client.verify(pki.caCert().getPublicKey());
        assertThat(client.getPublicKey()).isEqualTo(key.getPublic());
        assertThat(client.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2");
        assertThat(client.getSubjectAlternativeNames()).isNull();
        X509Certificate serving = pki.signCsr(csr, List.of("server auth"), Duration.ofDays(1));
        assertThat(sans(serving)).contains("n1", "127.10.103.96");

        String body = csr.lines().filter(l -> !l.startsWith("-----")).reduce("", String::concat);
        byte[] der = java.util.Base64.getDecoder().decode(body);
        der[der.length - 10] ^= 1; // inside the signature
        String tampered = "-----BEGIN CERTIFICATE REQUEST-----\n" + java.util.Base64.getMimeEncoder().encodeToString(der) + "\n-----END CERTIFICATE REQUEST-----\n";
        assertThatThrownBy(() -> pki.signCsr(tampered, List.of("client auth"), Duration.ofDays(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("signature");
        assertThatThrownBy(() -> Csrs.parse(pki.caPem())).hasMessageContaining("CERTIFICATE REQUEST");
    }

    @Test
    void caHashIsTheSha256OfTheSubjectPublicKeyInfo(@TempDir Path dir) throws Exception {
        Pki pki = Pki.loadOrCreate(dir, OPTIONS);
        String hex = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(pki.caCert().getPublicKey().getEncoded()));
        assertThat(Pki.caHash(pki.caCert())).isEqualTo("sha256:" + hex);
    }

    @Test
    void servesTlsThatVerifiesByIpAndAcceptsItsClientCertificates(@TempDir Path dir) throws Exception {
        Pki pki = Pki.loadOrCreate(dir, OPTIONS);
        char[] pw = "pw".toCharArray();
        SSLContext server = context(pki.servingKeyStore(pw), pw, Pki.trustStore(pki.caCert()));
        try (SSLServerSocket ss = (SSLServerSocket) server.getServerSocketFactory().createServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            ss.setNeedClientAuth(true);
            CompletableFuture<String> peer = CompletableFuture.supplyAsync(() -> {
                try (SSLSocket s = (SSLSocket) ss.accept()) {
                    s.startHandshake();
                    String name = ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSubjectX500Principal().getName();
                    s.getOutputStream().write(1);
                    return name;
                } catch (Exception e) {
                    return "failed: " + e;
                }
            });
            CertAndKey me = pki.issueClient("alice", List.of("dev"), Duration.ofHours(1));
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("me", me.key(), pw, new java.security.cert.Certificate[] {me.cert()});
            SSLContext client = context(ks, pw, Pki.trustStore(pki.caCert()));
            try (SSLSocket s = (SSLSocket) client.getSocketFactory().createSocket("127.0.0.1", ss.getLocalPort())) {
                SSLParameters p = s.getSSLParameters();
                p.setEndpointIdentificationAlgorithm("HTTPS");
                s.setSSLParameters(p);
                s.startHandshake();
                assertThat(s.getInputStream().read()).isEqualTo(1);
            }
            assertThat(peer.get(10, TimeUnit.SECONDS)).isEqualTo("CN=alice,O=dev");
        }
        // a client that trusts another CA refuses the server
        Pki other = Pki.loadOrCreate(dir.resolve("other"), OPTIONS);
        try (SSLServerSocket ss = (SSLServerSocket) server.getServerSocketFactory().createServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            CompletableFuture.runAsync(() -> {
                try (var s = ss.accept()) {
                    ((SSLSocket) s).startHandshake();
                } catch (Exception ignored) {
                    // the client hangs up
                }
            });
            SSLContext stranger = context(null, pw, Pki.trustStore(other.caCert()));
            try (SSLSocket s = (SSLSocket) stranger.getSocketFactory().createSocket("127.0.0.1", ss.getLocalPort())) {
                assertThatThrownBy(s::startHandshake).isInstanceOf(SSLHandshakeException.class);
            }
        }
    }

    @Test
    void kubectlReadsTheKubeconfig(@TempDir Path dir) throws Exception {
        Pki pki = Pki.loadOrCreate(dir, OPTIONS);
        CertAndKey admin = pki.issueClient("kubernetes-admin", List.of("system:masters"), Duration.ofDays(1));
        Path file = Kubeconfigs.write(dir.resolve("admin.kubeconfig"),
                Kubeconfigs.withCertificate("kubeha", "https://127.0.0.1:6443", pki.caPem(), "kubernetes-admin", admin));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        Process p = new ProcessBuilder("/usr/bin/kubectl", "--kubeconfig", file.toString(), "config", "view", "--raw", "-o",
                "jsonpath={.users[0].user.client-certificate-data}").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(new String(java.util.Base64.getDecoder().decode(out.strip()))).isEqualTo(admin.certPem());
    }

    private static SSLContext context(KeyStore keys, char[] pw, KeyStore trust) throws Exception {
        SSLContext c = SSLContext.getInstance("TLS");
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        if (keys != null) kmf.init(keys, pw);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        c.init(keys == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return c;
    }

    private static List<String> sans(X509Certificate c) throws Exception {
        return c.getSubjectAlternativeNames().stream().map(l -> String.valueOf(l.get(1))).toList();
    }
}
