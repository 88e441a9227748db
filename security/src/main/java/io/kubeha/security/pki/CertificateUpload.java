package io.kubeha.security.pki;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * kubeadm's upload-certs: the keys every master must share (the cluster CA and the service-account key pair) as the
 * data of the Secret {@code kube-system/kubeadm-certs}, each file encrypted with AES-256-GCM under a certificate key
 * that never enters the cluster (64 hex digits, printed once for the join command), so that a master joining with
 * a bootstrap token can fetch them and nobody else can read them even if they can read the Secret. Each value is
 * base64(nonce ‖ ciphertext ‖ tag), the file name its additional data (a value moved to another name does not open).
 */
public final class CertificateUpload {
    public static final String NAMESPACE = "kube-system";
    public static final String SECRET = "kubeadm-certs";
    /** What a joining master needs; it makes its own serving and kubelet-client certificates from the CA. */
    public static final List<String> FILES = List.of("ca.crt", "ca.key", "sa.key", "sa.pub");
    private static final int NONCE = 12;
    private static final SecureRandom RANDOM = new SecureRandom();

    private CertificateUpload() {
    }

    /** A new certificate key: 32 random bytes as 64 hex digits, as kubeadm's --certificate-key. */
    public static String newKey() {
        byte[] k = new byte[32];
        RANDOM.nextBytes(k);
        return HexFormat.of().formatHex(k);
    }

    /** The Secret's data (base64 values, as a Secret's data is) for the files of {@code pkiDir}. */
    public static Map<String, String> encrypt(Path pkiDir, String certificateKey) throws IOException {
        byte[] key = key(certificateKey);
        Map<String, String> data = new LinkedHashMap<>();
        for (String f : FILES) {
            Path p = pkiDir.resolve(f);
            if (!Files.isRegularFile(p)) throw new IOException(p + " is missing: is " + pkiDir + " a kubeha server's pki folder?");
            byte[] nonce = new byte[NONCE];
            RANDOM.nextBytes(nonce);
            byte[] sealed = crypt(Cipher.ENCRYPT_MODE, key, nonce, f, Files.readAllBytes(p));
            byte[] out = new byte[NONCE + sealed.length];
            System.arraycopy(nonce, 0, out, 0, NONCE);
            System.arraycopy(sealed, 0, out, NONCE, sealed.length);
            // a Secret's data value is base64; the payload itself is the base64 of nonce, ciphertext and tag
            data.put(f, Base64.getEncoder().encodeToString(Base64.getEncoder().encode(out)));
        }
        return data;
    }

    /**
     * Writes the files of a Secret's data (as read from the API: base64 values) into {@code pkiDir}, keys 0600.
     *
     * @throws IllegalArgumentException when the key is malformed or does not open them (a wrong --certificate-key)
     */
    public static void decrypt(Map<String, String> data, String certificateKey, Path pkiDir) throws IOException {
        byte[] key = key(certificateKey);
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (String f : FILES) {
            String v = data == null ? null : data.get(f);
            if (v == null) throw new IllegalArgumentException("the uploaded certificates lack " + f + ": upload them again");
            byte[] in;
            try {
                in = Base64.getDecoder().decode(Base64.getDecoder().decode(v));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("the uploaded " + f + " is not what kubeha uploads: upload the certificates again");
            }
            if (in.length <= NONCE) throw new IllegalArgumentException("the uploaded " + f + " is truncated: upload the certificates again");
            byte[] nonce = java.util.Arrays.copyOf(in, NONCE);
            byte[] sealed = java.util.Arrays.copyOfRange(in, NONCE, in.length);
            try {
                files.put(f, crypt(Cipher.DECRYPT_MODE, key, nonce, f, sealed));
            } catch (IllegalStateException e) {
                throw new IllegalArgumentException("the certificate key does not open the uploaded certificates: check --certificate-key"
                        + " (it is printed with the join command; a new upload makes a new one)");
            }
        }
        Files.createDirectories(pkiDir);
        for (var e : files.entrySet()) Pki.writeSecret(pkiDir.resolve(e.getKey()), new String(e.getValue(), StandardCharsets.UTF_8));
    }

    private static byte[] key(String hex) {
        if (hex == null || !hex.matches("[0-9a-fA-F]{64}")) {
            throw new IllegalArgumentException("a certificate key is 64 hex digits (32 bytes), as `kubeha token create --control-plane` prints it");
        }
        return HexFormat.of().parseHex(hex);
    }

    private static byte[] crypt(int mode, byte[] key, byte[] nonce, String name, byte[] in) {
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce));
            c.updateAAD(name.getBytes(StandardCharsets.UTF_8));
            return c.doFinal(in);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }
}
