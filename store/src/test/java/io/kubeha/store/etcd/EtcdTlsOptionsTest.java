package io.kubeha.store.etcd;

import io.kubeha.security.pki.CertAndKey;
import io.kubeha.security.pki.Pki;
import io.kubeha.security.pki.PkiOptions;
import io.kubeha.store.EtcdTls;
import io.kubeha.store.StoreOptions;
import io.kubeha.store.Stores;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.Base64;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The checks on --etcd-cafile/--etcd-certfile/--etcd-keyfile and the endpoints, before anything is dialled. */
class EtcdTlsOptionsTest {
    private static final List<URI> HTTPS = List.of(URI.create("https://127.0.0.1:2379"));

    @TempDir
    static Path dir;
    private static Path ca;
    private static Path cert;
    private static Path traditionalKey;
    private static Path pkcs8Key;

    @BeforeAll
    static void pki() throws IOException {
        Pki pki = Pki.loadOrCreate(dir.resolve("pki"), PkiOptions.defaults());
        CertAndKey client = pki.issueClient("etcd-client", List.of(), Duration.ofDays(1));
        ca = Files.writeString(dir.resolve("ca.crt"), pki.caPem());
        cert = Files.writeString(dir.resolve("client.crt"), client.certPem());
        traditionalKey = Files.writeString(dir.resolve("client.key"), client.keyPem());
        pkcs8Key = Files.writeString(dir.resolve("client-pkcs8.key"), pkcs8(client.key().getEncoded()));
    }

    private static String pkcs8(byte[] der) {
        return "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
                + "\n-----END PRIVATE KEY-----\n";
    }

    @Test
    void aCertificateNeedsItsKeyAndTheReverse() {
        assertThatThrownBy(() -> EtcdTls.of(ca, cert, null))
                .hasMessage("--etcd-certfile " + cert + " needs its key: add --etcd-keyfile");
        assertThatThrownBy(() -> EtcdTls.of(ca, null, traditionalKey))
                .hasMessage("--etcd-keyfile " + traditionalKey + " needs its certificate: add --etcd-certfile");
        assertThat(EtcdTls.of(null, null, null)).isNull();
    }

    @Test
    void httpsWithoutTheCaSaysWhichFlagToAdd() {
        assertThatThrownBy(() -> Stores.open("etcd:https://127.0.0.1:2379", StoreOptions.DEFAULTS))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("etcd endpoint https://127.0.0.1:2379 is https: add --etcd-cafile");
        // a client certificate alone does not say whom to trust either
        assertThatThrownBy(() -> EtcdTlsContext.forEndpoints(HTTPS, EtcdTls.of(null, cert, traditionalKey)))
                .hasMessageContaining("add --etcd-cafile");
    }

    @Test
    void httpAndHttpsEndpointsDoNotMix() {
        assertThatThrownBy(() -> Stores.open("etcd:http://127.0.0.1:2379,https://127.0.0.2:2379",
                StoreOptions.DEFAULTS.withEtcdTls(EtcdTls.of(ca, null, null))))
                .hasMessageStartingWith("etcd endpoints mix http:// (http://127.0.0.1:2379) and https:// (https://127.0.0.2:2379)")
                .hasMessageNotContaining("\n");
    }

    @Test
    void tlsFlagsWithPlainHttpEndpointsAreRefused() {
        assertThatThrownBy(() -> EtcdTlsContext.forEndpoints(List.of(URI.create("http://127.0.0.1:2379")), EtcdTls.of(ca, null, null)))
                .hasMessageContaining("are for https:// endpoints")
                .hasMessageContaining("use https:// endpoints, or drop those flags");
        assertThat(EtcdTlsContext.forEndpoints(List.of(URI.create("http://127.0.0.1:2379")), null)).isNull();
    }

    @Test
    void aMissingFileIsNamedWithItsFlag() {
        Path missing = dir.resolve("nope.pem");
        assertThatThrownBy(() -> EtcdTlsContext.forEndpoints(HTTPS, EtcdTls.of(missing, null, null)))
                .hasMessage("--etcd-cafile: " + missing + " does not exist");
        assertThatThrownBy(() -> EtcdTlsContext.forEndpoints(HTTPS, EtcdTls.of(ca, missing, traditionalKey)))
                .hasMessage("--etcd-certfile: " + missing + " does not exist");
        assertThatThrownBy(() -> EtcdTlsContext.forEndpoints(HTTPS, EtcdTls.of(ca, cert, missing)))
                .hasMessage("--etcd-keyfile: " + missing + " does not exist");
    }

    @Test
    void filesThatAreNotPemSayWhich() throws IOException {
        Path garbage = Files.writeString(dir.resolve("garbage.pem"), "not a certificate\n");
        assertThatThrownBy(() -> EtcdTlsContext.forEndpoints(HTTPS, EtcdTls.of(garbage, null, null)))
                .hasMessageStartingWith("--etcd-cafile " + garbage + ": ");
        assertThatThrownBy(() -> EtcdTlsContext.forEndpoints(HTTPS, EtcdTls.of(ca, cert, garbage)))
                .hasMessageStartingWith("--etcd-keyfile " + garbage + ": ");
    }

    @Test
    void keysAreReadAsPkcs8OrTraditional() throws IOException {
        assertThat(Files.readString(traditionalKey)).contains("BEGIN EC PRIVATE KEY");
        assertThat(EtcdTlsContext.forEndpoints(HTTPS, EtcdTls.of(ca, cert, traditionalKey))).isNotNull();
        assertThat(EtcdTlsContext.forEndpoints(HTTPS, EtcdTls.of(ca, cert, pkcs8Key))).isNotNull();
        assertThat(EtcdTlsContext.forEndpoints(HTTPS, EtcdTls.of(ca, null, null))).isNotNull();
    }

    @Test
    void aKeyOfAnotherCertificateIsRefused() throws Exception {
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(2048);
        Path rsaKey = Files.writeString(dir.resolve("rsa.key"), pkcs8(rsa.generateKeyPair().getPrivate().getEncoded()));
        assertThatThrownBy(() -> EtcdTlsContext.forEndpoints(HTTPS, EtcdTls.of(ca, cert, rsaKey)))
                .hasMessageContaining("is a RSA key but --etcd-certfile " + cert + " holds a EC one");
    }
}
