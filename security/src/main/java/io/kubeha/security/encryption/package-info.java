/**
 * Encryption at rest: kube-apiserver's {@code --encryption-provider-config FILE}, an {@code EncryptionConfiguration}
 * (apiVersion {@code apiserver.config.k8s.io/v1}) read by {@link io.kubeha.security.encryption.EncryptionConfig}.
 *
 * <p>Each {@code resources} entry names resources ({@code secrets}, {@code deployments.apps}, and the wildcards
 * {@code *.} for the whole core group, {@code *.apps} for a group and {@code *.*} for everything) and an ordered list
 * of providers. The first provider writes; every provider of the entry can read. kubeha supports the {@code aesgcm}
 * and {@code identity} providers only; {@code aescbc}, {@code secretbox} and {@code kms} are refused when the file is
 * loaded. Values are stored in kube's own form, so an etcd written by one reads in the other:
 * {@code k8s:enc:aesgcm:v1:<key name>:<12-byte nonce><AES-GCM ciphertext and tag>}, with the storage key
 * ({@code /registry/secrets/<namespace>/<name>}) as the additional authenticated data, as kube's aes transformer
 * does with {@code value.DefaultContext(key)}.
 *
 * <p>A {@link io.kubeha.security.encryption.Transformer.Read} says whether the value read is stale, that is not in
 * the first provider's form: rewriting every object ({@code kubectl get secrets -A -o json | kubectl replace -f -})
 * then re-encrypts with the new first key, kube's key rotation procedure.
 */
package io.kubeha.security.encryption;
