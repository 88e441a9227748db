package io.kubeha.security.encryption;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * The providers of one {@code resources} entry, flattened as kube does: every aesgcm key is its own prefixed reader
 * ({@code k8s:enc:aesgcm:v1:<name>:}), in the order the file lists them, and identity reads anything without the
 * {@code k8s:enc:} prefix. The first reader also writes.
 *
 * <p>Nonces: each write draws a fresh random 96-bit nonce from {@link SecureRandom}, as kube's aesgcm transformer
 * does. Random nonces are safe only while a key encrypts few values: NIST SP 800-38D caps a key at 2^32 random-nonce
 * encryptions, and kube's documentation for the aesgcm provider asks for the key to be rotated every 200,000 writes
 * (and recommends it only where key rotation is automated) so that the chance of two writes sharing a nonce, which
 * would leak the XOR of the two plaintexts and allow forging tags, stays negligible. Rotate by putting a new key first
 * in the provider's {@code keys}, keeping the old one second, restarting, and rewriting every object of the resource;
 * {@link Transformer.Read#stale()} says which ones still need it.
 */
final class ProviderChain implements Transformer {
    static final byte[] ENCRYPTED_PREFIX = "k8s:enc:".getBytes(StandardCharsets.US_ASCII);
    static final String AESGCM_PREFIX = "k8s:enc:aesgcm:v1:";
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** One prefixed reader: an aesgcm key, or identity (key null). */
    record Reader(String keyName, SecretKey key, byte[] prefix) {
        static Reader aesgcm(String keyName, SecretKey key) {
            return new Reader(keyName, key, (AESGCM_PREFIX + keyName + ":").getBytes(StandardCharsets.UTF_8));
        }

        static Reader identity() {
            return new Reader(null, null, new byte[0]);
        }

        boolean isIdentity() {
            return key == null;
        }

        @Override
        public String toString() {
            return isIdentity() ? "identity" : "aesgcm key '" + keyName + "'";
        }
    }

    private final String what;
    private final List<Reader> readers;

    /**
     * @param what the resources this chain is for, for messages ("secrets", "resources[0]")
     */
    ProviderChain(String what, List<Reader> readers) {
        if (readers.isEmpty()) {
            throw new IllegalArgumentException("no providers for " + what);
        }
        this.what = what;
        this.readers = List.copyOf(readers);
    }

    static ProviderChain identityOnly(String what) {
        return new ProviderChain(what, List.of(Reader.identity()));
    }

    @Override
    public byte[] toStorage(byte[] plain, byte[] storageKey) {
        Reader writer = readers.get(0);
        if (writer.isIdentity()) {
            return plain;
        }
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        try {
            Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
            gcm.init(Cipher.ENCRYPT_MODE, writer.key(), new GCMParameterSpec(TAG_BITS, nonce));
            gcm.updateAAD(storageKey);
            byte[] prefix = writer.prefix();
            byte[] out = new byte[prefix.length + NONCE_BYTES + gcm.getOutputSize(plain.length)];
            System.arraycopy(prefix, 0, out, 0, prefix.length);
            System.arraycopy(nonce, 0, out, prefix.length, NONCE_BYTES);
            int n = gcm.doFinal(plain, 0, plain.length, out, prefix.length + NONCE_BYTES);
            return n == out.length - prefix.length - NONCE_BYTES
                    ? out : Arrays.copyOf(out, prefix.length + NONCE_BYTES + n);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM encryption with " + writer + " failed: " + e, e);
        }
    }

    @Override
    public Read fromStorage(byte[] stored, byte[] storageKey) {
        List<String> failures = new ArrayList<>();
        boolean encrypted = startsWith(stored, ENCRYPTED_PREFIX);
        for (int i = 0; i < readers.size(); i++) {
            Reader reader = readers.get(i);
            if (reader.isIdentity()) {
                // kube's identity provider refuses data that says it is encrypted, and the next provider is tried
                if (!encrypted) {
                    return new Read(stored, i != 0);
                }
                continue;
            }
            if (!startsWith(stored, reader.prefix())) {
                continue;
            }
            try {
                return new Read(decrypt(reader, stored, storageKey), i != 0);
            } catch (TransformException e) {
                failures.add(e.getMessage());
            }
        }
        String at = " (storage key " + new String(storageKey, StandardCharsets.UTF_8) + ")";
        if (!failures.isEmpty()) {
            throw new TransformException(String.join("; ", failures) + at);
        }
        if (encrypted) {
            throw new TransformException("the stored value is encrypted with " + describePrefix(stored)
                    + ", a key kubeha does not know: the encryption config for " + what + " does not list it" + at);
        }
        throw new TransformException("the stored value is not encrypted and the encryption config for " + what
                + " does not list the identity provider, so it cannot be read; add '- identity: {}' after the keys"
                + " to read it" + at);
    }

    private static byte[] decrypt(Reader reader, byte[] stored, byte[] storageKey) {
        int offset = reader.prefix().length;
        int length = stored.length - offset;
        if (length < NONCE_BYTES + TAG_BITS / 8) {
            throw new TransformException("the value stored with " + reader + " is " + length
                    + " bytes, shorter than a nonce and tag");
        }
        try {
            Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
            gcm.init(Cipher.DECRYPT_MODE, reader.key(), new GCMParameterSpec(TAG_BITS, stored, offset, NONCE_BYTES));
            gcm.updateAAD(storageKey);
            return gcm.doFinal(stored, offset + NONCE_BYTES, length - NONCE_BYTES);
        } catch (AEADBadTagException e) {
            throw new TransformException("the value stored with " + reader + " fails authentication: it was changed,"
                    + " encrypted for another storage key, or encrypted with another key of the same name");
        } catch (GeneralSecurityException e) {
            throw new TransformException("AES-GCM decryption with " + reader + " failed: " + e, e);
        }
    }

    /** "aesgcm key 'key9'" for k8s:enc:aesgcm:v1:key9:..., else the provider named in the prefix. */
    private static String describePrefix(byte[] stored) {
        int end = Math.min(stored.length, 300);
        String head = new String(stored, 0, end, StandardCharsets.ISO_8859_1);
        String[] parts = head.split(":", 6);
        // k8s : enc : provider : version : name : ...
        if (parts.length >= 5 && parts[2].equals("aesgcm")) {
            return "aesgcm key '" + parts[4] + "'";
        }
        if (parts.length >= 3 && !parts[2].isEmpty()) {
            return "provider " + parts[2] + (parts.length >= 5 ? " (key or plugin '" + parts[4] + "')" : "");
        }
        return "an unknown provider";
    }

    private static boolean startsWith(byte[] data, byte[] prefix) {
        return data.length >= prefix.length && Arrays.equals(data, 0, prefix.length, prefix, 0, prefix.length);
    }

    @Override
    public String toString() {
        return what + ": " + readers;
    }
}
