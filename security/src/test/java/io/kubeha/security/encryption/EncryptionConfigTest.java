package io.kubeha.security.encryption;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class EncryptionConfigTest {
    // the keys of kube's "Encrypting Confidential Data at Rest" page: "secret is secure", "this is password"
    static final String KEY1 = "c2VjcmV0IGlzIHNlY3VyZQ==";
    static final String KEY2 = "dGhpcyBpcyBwYXNzd29yZA==";
    static final byte[] SECRET_KEY = bytes("/registry/secrets/default/db-password");
    static final byte[] PLAIN = bytes("{\"kind\":\"Secret\",\"apiVersion\":\"v1\",\"data\":{\"password\":\"aHVudGVyMg==\"}}");

    @TempDir
    Path dir;

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String text(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    Path write(String name, String content) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, content);
        return file;
    }

    static String header() {
        return "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\n";
    }

    /** A config with one entry for secrets, with the given providers (YAML list items, indented 6). */
    EncryptionConfig secrets(String providers) throws IOException {
        return EncryptionConfig.load(write("enc-" + System.nanoTime() + ".yaml", header() + """
                resources:
                  - resources: [secrets]
                    providers:
                """ + providers.indent(6)));
    }

    static String aesgcm(String... nameSecret) {
        StringBuilder sb = new StringBuilder("- aesgcm:\n    keys:\n");
        for (int i = 0; i < nameSecret.length; i += 2) {
            sb.append("      - name: ").append(nameSecret[i]).append("\n        secret: ").append(nameSecret[i + 1])
                    .append('\n');
        }
        return sb.toString();
    }

    static final String IDENTITY = "- identity: {}\n";

    @Test
    void loadsTheConfigOfKubesDocs() throws IOException {
        EncryptionConfig config = EncryptionConfig.load(write("encryption.yaml", """
                ---
                # as in kube's "Encrypting Confidential Data at Rest", aescbc swapped for aesgcm
                apiVersion: apiserver.config.k8s.io/v1
                kind: EncryptionConfiguration
                resources:
                  - resources:
                      - secrets
                      - configmaps
                      - pandas.awesome.bears.example
                    providers:
                      - aesgcm:
                          keys:
                            - name: key1
                              # See the following text for more details about the secret value
                              secret: c2VjcmV0IGlzIHNlY3VyZQ==
                            - name: key2
                              secret: dGhpcyBpcyBwYXNzd29yZA==
                      - identity: {} # this fallback allows reading unencrypted secrets
                  - resources:
                      - events
                    providers:
                      - identity: {} # do not encrypt Events even though *.* is specified below
                  - resources:
                      - '*.apps' # wildcard match requires Kubernetes 1.27 or later
                    providers:
                      - aesgcm:
                          keys:
                          - name: key2
                            secret: dGhpcyBpcyBwYXNzd29yZA==
                  - resources:
                      - '*.*' # wildcard match requires Kubernetes 1.27 or later
                    providers:
                      - identity: {}
                """));
        assertThat(text(config.forResource("", "secrets").toStorage(PLAIN, SECRET_KEY))).startsWith("k8s:enc:aesgcm:v1:key1:");
        assertThat(text(config.forResource("", "configmaps").toStorage(PLAIN, SECRET_KEY))).startsWith("k8s:enc:aesgcm:v1:key1:");
        assertThat(text(config.forResource("awesome.bears.example", "pandas").toStorage(PLAIN, SECRET_KEY)))
                .startsWith("k8s:enc:aesgcm:v1:key1:");
        assertThat(config.forResource("", "events").toStorage(PLAIN, SECRET_KEY)).isEqualTo(PLAIN);
        assertThat(text(config.forResource("apps", "deployments").toStorage(PLAIN, SECRET_KEY))).startsWith("k8s:enc:aesgcm:v1:key2:");
        assertThat(config.forResource("batch", "jobs").toStorage(PLAIN, SECRET_KEY)).isEqualTo(PLAIN);
        assertThat(config.forResource("", "pods").toStorage(PLAIN, SECRET_KEY)).isEqualTo(PLAIN);
        // configmaps and secrets share their entry: one reads the other's data (same keys)
        byte[] stored = config.forResource("", "configmaps").toStorage(PLAIN, SECRET_KEY);
        assertThat(config.forResource("", "secrets").fromStorage(stored, SECRET_KEY).plain()).isEqualTo(PLAIN);
    }

    @Test
    void loadsJson() throws IOException {
        EncryptionConfig config = EncryptionConfig.load(write("encryption.json", """
                {"apiVersion": "apiserver.config.k8s.io/v1", "kind": "EncryptionConfiguration",
                 "resources": [{"resources": ["secrets"],
                                "providers": [{"aesgcm": {"keys": [{"name": "key1", "secret": "%s"}]}}]}]}
                """.formatted(KEY1)));
        assertThat(text(config.forResource("", "secrets").toStorage(PLAIN, SECRET_KEY))).startsWith("k8s:enc:aesgcm:v1:key1:");
    }

    @Test
    void wildcardsMatchTheirGroups() throws IOException {
        EncryptionConfig config = EncryptionConfig.load(write("w.yaml", header() + """
                resources:
                  - resources: ['*.']
                    providers: [{aesgcm: {keys: [{name: core, secret: %s}]}}]
                  - resources: [deployments.apps]
                    providers: [{aesgcm: {keys: [{name: deploy, secret: %s}]}}]
                """.formatted(KEY1, KEY2)));
        assertThat(text(config.forResource("", "secrets").toStorage(PLAIN, SECRET_KEY))).startsWith("k8s:enc:aesgcm:v1:core:");
        assertThat(text(config.forResource(null, "pods").toStorage(PLAIN, SECRET_KEY))).startsWith("k8s:enc:aesgcm:v1:core:");
        assertThat(text(config.forResource("apps", "deployments").toStorage(PLAIN, SECRET_KEY))).startsWith("k8s:enc:aesgcm:v1:deploy:");
        assertThat(config.forResource("apps", "statefulsets").toStorage(PLAIN, SECRET_KEY)).isEqualTo(PLAIN);
    }

    @Test
    void aesgcmRoundTripsInKubesStorageForm() throws IOException {
        Transformer t = secrets(aesgcm("key1", KEY1)).forResource("", "secrets");
        byte[] stored = t.toStorage(PLAIN, SECRET_KEY);
        String prefix = "k8s:enc:aesgcm:v1:key1:";
        assertThat(text(stored)).startsWith(prefix);
        assertThat(stored).hasSize(prefix.length() + 12 + PLAIN.length + 16);
        assertThat(text(stored)).doesNotContain("aHVudGVyMg");
        assertThat(t.toStorage(PLAIN, SECRET_KEY)).as("a fresh random nonce each write").isNotEqualTo(stored);

        Transformer.Read read = t.fromStorage(stored, SECRET_KEY);
        assertThat(read.plain()).isEqualTo(PLAIN);
        assertThat(read.stale()).isFalse();
    }

    @Test
    void aesgcmIsKubesLayoutNonceThenCiphertextWithTheStorageKeyAsAad() throws Exception {
        Transformer t = secrets(aesgcm("key1", KEY1)).forResource("", "secrets");
        byte[] stored = t.toStorage(PLAIN, SECRET_KEY);
        int offset = "k8s:enc:aesgcm:v1:key1:".length();
        // decrypt independently, as kube's aes transformer would
        javax.crypto.Cipher gcm = javax.crypto.Cipher.getInstance("AES/GCM/NoPadding");
        gcm.init(javax.crypto.Cipher.DECRYPT_MODE,
                new javax.crypto.spec.SecretKeySpec(Base64.getDecoder().decode(KEY1), "AES"),
                new javax.crypto.spec.GCMParameterSpec(128, stored, offset, 12));
        gcm.updateAAD(SECRET_KEY);
        assertThat(gcm.doFinal(stored, offset + 12, stored.length - offset - 12)).isEqualTo(PLAIN);
    }

    @ParameterizedTest
    @ValueSource(ints = {16, 24, 32})
    void everyAesKeySizeRoundTrips(int size) throws IOException {
        byte[] key = new byte[size];
        Arrays.fill(key, (byte) size);
        Transformer t = secrets(aesgcm("k" + size, Base64.getEncoder().encodeToString(key))).forResource("", "secrets");
        assertThat(t.fromStorage(t.toStorage(PLAIN, SECRET_KEY), SECRET_KEY).plain()).isEqualTo(PLAIN);
    }

    @Test
    void identityRoundTripsUnchanged() throws IOException {
        Transformer t = secrets(IDENTITY).forResource("", "secrets");
        assertThat(t.toStorage(PLAIN, SECRET_KEY)).isEqualTo(PLAIN);
        Transformer.Read read = t.fromStorage(PLAIN, SECRET_KEY);
        assertThat(read.plain()).isEqualTo(PLAIN);
        assertThat(read.stale()).isFalse();
    }

    @Test
    void noFileStoresEverythingAsIs() {
        Transformer t = EncryptionConfig.identity().forResource("", "secrets");
        assertThat(t.toStorage(PLAIN, SECRET_KEY)).isEqualTo(PLAIN);
        assertThat(t.fromStorage(PLAIN, SECRET_KEY).plain()).isEqualTo(PLAIN);
        assertThat(t.fromStorage(PLAIN, SECRET_KEY).stale()).isFalse();
    }

    @Test
    void identityFirstStillReadsAesgcmDataAndSaysItIsStale() throws IOException {
        byte[] stored = secrets(aesgcm("key1", KEY1)).forResource("", "secrets").toStorage(PLAIN, SECRET_KEY);
        // decrypting everything: identity first, the old key kept to read what is still encrypted
        Transformer t = secrets(IDENTITY + aesgcm("key1", KEY1)).forResource("", "secrets");
        Transformer.Read read = t.fromStorage(stored, SECRET_KEY);
        assertThat(read.plain()).isEqualTo(PLAIN);
        assertThat(read.stale()).isTrue();
        assertThat(t.toStorage(PLAIN, SECRET_KEY)).isEqualTo(PLAIN);
        assertThat(t.fromStorage(PLAIN, SECRET_KEY).stale()).isFalse();
    }

    @Test
    void aesgcmFirstReadsOldPlainDataOnlyWhenIdentityIsListed() throws IOException {
        Transformer withIdentity = secrets(aesgcm("key1", KEY1) + IDENTITY).forResource("", "secrets");
        Transformer.Read read = withIdentity.fromStorage(PLAIN, SECRET_KEY);
        assertThat(read.plain()).isEqualTo(PLAIN);
        assertThat(read.stale()).as("a rewrite encrypts it").isTrue();

        Transformer withoutIdentity = secrets(aesgcm("key1", KEY1)).forResource("", "secrets");
        assertThatThrownBy(() -> withoutIdentity.fromStorage(PLAIN, SECRET_KEY))
                .isInstanceOf(TransformException.class)
                .hasMessageContaining("not encrypted")
                .hasMessageContaining("identity")
                .hasMessageContaining("/registry/secrets/default/db-password");
    }

    @Test
    void rotationNewKeyFirstReadsBothAndMarksTheOldKeysDataStale() throws IOException {
        byte[] old = secrets(aesgcm("key1", KEY1)).forResource("", "secrets").toStorage(PLAIN, SECRET_KEY);
        Transformer rotated = secrets(aesgcm("key2", KEY2, "key1", KEY1)).forResource("", "secrets");
        Transformer.Read oldRead = rotated.fromStorage(old, SECRET_KEY);
        assertThat(oldRead.plain()).isEqualTo(PLAIN);
        assertThat(oldRead.stale()).isTrue();

        byte[] rewritten = rotated.toStorage(oldRead.plain(), SECRET_KEY);
        assertThat(text(rewritten)).startsWith("k8s:enc:aesgcm:v1:key2:");
        Transformer.Read newRead = rotated.fromStorage(rewritten, SECRET_KEY);
        assertThat(newRead.plain()).isEqualTo(PLAIN);
        assertThat(newRead.stale()).isFalse();

        // the old key dropped once everything is rewritten: what was left behind is refused by name
        Transformer newOnly = secrets(aesgcm("key2", KEY2)).forResource("", "secrets");
        assertThat(newOnly.fromStorage(rewritten, SECRET_KEY).plain()).isEqualTo(PLAIN);
        assertThatThrownBy(() -> newOnly.fromStorage(old, SECRET_KEY))
                .isInstanceOf(TransformException.class)
                .hasMessageContaining("aesgcm key 'key1'")
                .hasMessageContaining("does not know");
    }

    @Test
    void aCiphertextMovedToAnotherKeyPathFails() throws IOException {
        Transformer t = secrets(aesgcm("key1", KEY1) + IDENTITY).forResource("", "secrets");
        byte[] stored = t.toStorage(PLAIN, SECRET_KEY);
        assertThatThrownBy(() -> t.fromStorage(stored, bytes("/registry/secrets/default/other")))
                .isInstanceOf(TransformException.class)
                .hasMessageContaining("aesgcm key 'key1'")
                .hasMessageContaining("fails authentication")
                .hasMessageContaining("/registry/secrets/default/other");
    }

    @Test
    void tamperedBytesFail() throws IOException {
        Transformer t = secrets(aesgcm("key1", KEY1) + IDENTITY).forResource("", "secrets");
        byte[] stored = t.toStorage(PLAIN, SECRET_KEY);
        int offset = "k8s:enc:aesgcm:v1:key1:".length();
        for (int at : new int[] {offset, offset + 12, stored.length - 1}) { // nonce, ciphertext, tag
            byte[] tampered = stored.clone();
            tampered[at] ^= 1;
            assertThatThrownBy(() -> t.fromStorage(tampered, SECRET_KEY))
                    .as("byte %d flipped", at)
                    .isInstanceOf(TransformException.class)
                    .hasMessageContaining("fails authentication");
        }
        assertThatThrownBy(() -> t.fromStorage(Arrays.copyOf(stored, offset + 20), SECRET_KEY))
                .isInstanceOf(TransformException.class)
                .hasMessageContaining("shorter than a nonce and tag");
    }

    @Test
    void aKeyOfTheSameNameWithAnotherSecretFails() throws IOException {
        byte[] stored = secrets(aesgcm("key1", KEY1)).forResource("", "secrets").toStorage(PLAIN, SECRET_KEY);
        Transformer other = secrets(aesgcm("key1", KEY2)).forResource("", "secrets");
        assertThatThrownBy(() -> other.fromStorage(stored, SECRET_KEY))
                .isInstanceOf(TransformException.class)
                .hasMessageContaining("fails authentication");
    }

    @Test
    void identityRefusesDataThatSaysItIsEncrypted() throws IOException {
        byte[] stored = secrets(aesgcm("key1", KEY1)).forResource("", "secrets").toStorage(PLAIN, SECRET_KEY);
        assertThatThrownBy(() -> secrets(IDENTITY).forResource("", "secrets").fromStorage(stored, SECRET_KEY))
                .isInstanceOf(TransformException.class)
                .hasMessageContaining("aesgcm key 'key1'")
                .hasMessageContaining("a key kubeha does not know");
        assertThatThrownBy(() -> EncryptionConfig.identity().forResource("", "secrets").fromStorage(stored, SECRET_KEY))
                .isInstanceOf(TransformException.class)
                .hasMessageContaining("aesgcm key 'key1'");
        byte[] kms = bytes("k8s:enc:kms:v2:vault:\0\1\2");
        assertThatThrownBy(() -> secrets(IDENTITY).forResource("", "secrets").fromStorage(kms, SECRET_KEY))
                .isInstanceOf(TransformException.class)
                .hasMessageContaining("provider kms");
    }

    static Stream<Arguments> mistakes() {
        String entry = "resources:\n  - resources: [secrets]\n    providers:\n";
        return Stream.of(
                Arguments.of("", "the file is empty"),
                Arguments.of("apiVersion: v1\nkind: EncryptionConfig\nresources: []\n",
                        "kind: the legacy 'apiVersion: v1, kind: EncryptionConfig' form is not supported"),
                Arguments.of("apiVersion: apiserver.config.k8s.io/v1beta1\nkind: EncryptionConfiguration\n",
                        "apiVersion: must be apiserver.config.k8s.io/v1, got 'apiserver.config.k8s.io/v1beta1'"),
                Arguments.of("apiVersion: apiserver.config.k8s.io/v1\n", "kind: is required"),
                Arguments.of(header(), "resources: at least one resources entry is required"),
                Arguments.of(header() + "resources: []\n", "resources: at least one resources entry is required"),
                Arguments.of(header() + "resource: []\n", "resource: unknown field"),
                Arguments.of(header() + "resources:\n  - resources: [secrets]\n",
                        "resources[0].providers: at least one provider is required"),
                Arguments.of(header() + "resources:\n  - resources: [secrets]\n    providers: []\n",
                        "resources[0].providers: at least one provider is required"),
                Arguments.of(header() + "resources:\n  - providers: [{identity: {}}]\n",
                        "resources[0].resources: at least one resource is required"),
                Arguments.of(header() + entry + "      - kms: {name: vault, endpoint: unix:///kms.sock}\n",
                        "resources[0].providers[0].kms: provider kms is not supported by kubeha; use aesgcm or identity"),
                Arguments.of(header() + entry + "      - aescbc: {keys: [{name: k, secret: " + KEY1 + "}]}\n",
                        "resources[0].providers[0].aescbc: provider aescbc is not supported by kubeha"),
                Arguments.of(header() + entry + "      - identity: {}\n      - secretbox: {keys: []}\n",
                        "resources[0].providers[1].secretbox: provider secretbox is not supported by kubeha"),
                Arguments.of(header() + entry + "      - rot13: {}\n",
                        "resources[0].providers[0].rot13: unknown provider 'rot13'"),
                Arguments.of(header() + entry + "      - {identity: {}, aesgcm: {keys: [{name: k, secret: " + KEY1 + "}]}}\n",
                        "resources[0].providers[0]: more than one provider specified in a single element"),
                Arguments.of(header() + entry + "      - aesgcm: {keys: []}\n",
                        "resources[0].providers[0].aesgcm.keys: at least one key is required"),
                Arguments.of(header() + entry + "      - aesgcm: {keys: [{name: key1, secret: 'not base64!'}]}\n",
                        "resources[0].providers[0].aesgcm.keys[0].secret: aesgcm key 'key1': the secret must be base64 encoded"),
                Arguments.of(header() + entry + "      - aesgcm: {keys: [{name: key1, secret: " + b64(10) + "}]}\n",
                        "resources[0].providers[0].aesgcm.keys[0].secret: aesgcm key 'key1' must be 16, 24 or 32 bytes, got 10"),
                Arguments.of(header() + entry + "      - aesgcm: {keys: [{name: key1}]}\n",
                        "resources[0].providers[0].aesgcm.keys[0].secret: secret is a mandatory field for a key"),
                Arguments.of(header() + entry + "      - aesgcm: {keys: [{secret: " + KEY1 + "}]}\n",
                        "resources[0].providers[0].aesgcm.keys[0].name: name is a mandatory field for a key"),
                Arguments.of(header() + entry + "      - aesgcm: {keys: [{name: 'a:b', secret: " + KEY1 + "}]}\n",
                        "resources[0].providers[0].aesgcm.keys[0].name: aesgcm key name 'a:b' must not contain ':'"),
                Arguments.of(header() + entry + "      - aesgcm: {keys: [{name: key1, secret: " + KEY1 + "}, {name: key1, secret: " + KEY2 + "}]}\n",
                        "resources[0].providers[0].aesgcm.keys[1].name: duplicate aesgcm key name 'key1' (also resources[0].providers[0].aesgcm.keys[0])"),
                Arguments.of(header() + entry + "      - aesgcm: {keys: [{name: key1, secret: " + KEY1 + ", sekret: x}]}\n",
                        "resources[0].providers[0].aesgcm.keys[0].sekret: unknown field"),
                Arguments.of(header() + entry + "      - identity: {encrypt: false}\n",
                        "resources[0].providers[0].identity: takes no settings"),
                Arguments.of(header() + "resources:\n  - resources: [secrets, configmaps, secrets]\n    providers: [{identity: {}}]\n",
                        "resources[0].resources[2]: resource 'secrets' is listed twice (also resources[0].resources[0])"),
                Arguments.of(header() + "resources:\n  - resources: [secrets]\n    providers: [{identity: {}}]\n"
                        + "  - resources: [configmaps, secrets]\n    providers: [{identity: {}}]\n",
                        "resources[1].resources[1]: resource 'secrets' is already listed in resources[0]"),
                Arguments.of(header() + "resources:\n  - resources: ['*.apps']\n    providers: [{identity: {}}]\n"
                        + "  - resources: [deployments.apps]\n    providers: [{identity: {}}]\n",
                        "resources[1].resources[0]: resource 'deployments.apps' is masked by the earlier '*.apps' of resources[0]"),
                Arguments.of(header() + "resources:\n  - resources: ['*.*']\n    providers: [{identity: {}}]\n"
                        + "  - resources: [secrets]\n    providers: [{identity: {}}]\n",
                        "resources[1].resources[0]: resource 'secrets' is masked by the earlier '*.*' of resources[0]"),
                Arguments.of(header() + "resources:\n  - resources: [secrets, '*.']\n    providers: [{identity: {}}]\n",
                        "resources[0].resources[1]: '*.' overlaps 'secrets' (resources[0].resources[0]) in the same list"),
                Arguments.of(header() + "resources:\n  - resources: ['*']\n    providers: [{identity: {}}]\n",
                        "resources[0].resources[0]: use '*.' to encrypt all the resources of the core API group"),
                Arguments.of(header() + "resources:\n  - resources: [Secrets]\n    providers: [{identity: {}}]\n",
                        "resources[0].resources[0]: resource name 'Secrets' should not contain capital letters"),
                Arguments.of(header() + "resources:\n  - resources: ['secrets.*']\n    providers: [{identity: {}}]\n",
                        "encrypting the same resource across groups is not supported"),
                Arguments.of(header() + "resources:\n  - resources: ['*.events.k8s.io']\n    providers: [{identity: {}}]\n",
                        "use 'events' instead"),
                Arguments.of(header() + "resources:\n  - resources: [deployments.extensions]\n    providers: [{identity: {}}]\n",
                        "the 'extensions' group has been removed"),
                Arguments.of(header() + "resources:\n  - resources: [serviceipallocations]\n    providers: [{identity: {}}]\n",
                        "'serviceipallocations' has no REST API and cannot be encrypted"),
                Arguments.of("resources: [\n", "not valid YAML or JSON"));
    }

    static String b64(int n) {
        return Base64.getEncoder().encodeToString(new byte[n]);
    }

    @ParameterizedTest
    @MethodSource("mistakes")
    void everyMistakeIsOneLineNamingTheFileAndField(String content, String message) throws IOException {
        Path file = write("bad.yaml", content);
        assertThatThrownBy(() -> EncryptionConfig.load(file))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(file + ": ")
                .hasMessageContaining(message)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void aMissingFileIsNamed() {
        Path file = dir.resolve("nope.yaml");
        assertThatThrownBy(() -> EncryptionConfig.load(file))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(file + ": cannot read");
    }

    @Test
    void theKeyNeverAppearsInMessages() throws IOException {
        Path file = write("short.yaml", header() + "resources:\n  - resources: [secrets]\n    providers:\n"
                + "      - aesgcm: {keys: [{name: key1, secret: " + b64(10) + "}]}\n");
        assertThatThrownBy(() -> EncryptionConfig.load(file)).message().doesNotContain(b64(10));
    }
}
