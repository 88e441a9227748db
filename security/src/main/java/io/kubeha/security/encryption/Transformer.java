package io.kubeha.security.encryption;

/**
 * Turns an object's bytes into the bytes stored for it and back, for one resource, as the {@code resources} entry of
 * the encryption config that matches it says. Thread-safe.
 */
public interface Transformer {

    /**
     * The bytes to store: the first provider's form. aesgcm: {@code "k8s:enc:aesgcm:v1:" + keyName + ":"}, a
     * 12-byte random nonce, then the AES-GCM ciphertext and 16-byte tag, with {@code storageKey} (e.g.
     * {@code "/registry/secrets/ns/name"}) as the additional authenticated data. identity: {@code plain} unchanged.
     */
    byte[] toStorage(byte[] plain, byte[] storageKey);

    /**
     * Reads any form a provider of the entry can read: the prefix names the provider and key; data with no
     * {@code k8s:enc:} prefix is read by identity if identity is among the providers.
     *
     * @throws TransformException when no provider can read it: encrypted with a key the config does not list, not
     *     encrypted while identity is not listed, or failing authentication (tampered, or stored under another key)
     */
    Read fromStorage(byte[] stored, byte[] storageKey);

    /**
     * What {@link #fromStorage} read.
     *
     * @param plain the object's bytes
     * @param stale whether {@code stored} was not in the first provider's form (another provider, or an older key of
     *     the first provider), so that rewriting the object would re-encrypt it
     */
    record Read(byte[] plain, boolean stale) {
    }
}
