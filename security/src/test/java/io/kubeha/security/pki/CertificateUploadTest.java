package io.kubeha.security.pki;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** kubeadm's upload-certs: the shared keys round-trip under the certificate key, and under no other. */
class CertificateUploadTest {
    @TempDir
    Path dir;

    @Test
    void theSharedKeysOpenOnlyWithTheirCertificateKey() throws Exception {
        Path first = dir.resolve("m1");
        Pki.loadOrCreate(first, PkiOptions.defaults());
        String key = CertificateUpload.newKey();
        assertThat(key).matches("[0-9a-f]{64}");
        Map<String, String> data = CertificateUpload.encrypt(first, key);
        assertThat(data).containsOnlyKeys("ca.crt", "ca.key", "sa.key", "sa.pub");
        // what the Secret holds is not the key in another form
        assertThat(new String(java.util.Base64.getDecoder().decode(data.get("ca.key")))).doesNotContain("PRIVATE KEY");

        Path joined = dir.resolve("m2");
        CertificateUpload.decrypt(data, key, joined);
        for (String f : CertificateUpload.FILES) assertThat(Files.readString(joined.resolve(f))).isEqualTo(Files.readString(first.resolve(f)));
        assertThat(Files.getPosixFilePermissions(joined.resolve("ca.key"))).hasToString("[OWNER_READ, OWNER_WRITE]");
        // the joined master's PKI is the same cluster: same CA, a serving certificate of its own
        assertThat(Pki.caHash(Pki.loadOrCreate(joined, PkiOptions.defaults()).caCert()))
                .isEqualTo(Pki.caHash(Pki.loadOrCreate(first, PkiOptions.defaults()).caCert()));

        Path wrong = dir.resolve("m3");
        assertThatThrownBy(() -> CertificateUpload.decrypt(data, CertificateUpload.newKey(), wrong))
                .hasMessageContaining("the certificate key does not open the uploaded certificates");
        assertThat(wrong).doesNotExist();
        assertThatThrownBy(() -> CertificateUpload.decrypt(data, "abc", wrong)).hasMessageContaining("64 hex digits");
        Map<String, String> swapped = new LinkedHashMap<>(data);
        swapped.put("sa.key", data.get("ca.key"));
        assertThatThrownBy(() -> CertificateUpload.decrypt(swapped, key, wrong)).hasMessageContaining("does not open");
    }
}
