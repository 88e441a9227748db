package io.kubeha.store;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How to speak TLS to etcd: kube-apiserver's {@code --etcd-cafile}, {@code --etcd-certfile} and
 * {@code --etcd-keyfile}, as PEM files. The CA is what etcd's serving certificate must chain to (there is no
 * fallback to the JVM's trust roots: an etcd cluster's CA is almost never a public one, and trusting every
 * public CA with the cluster's data would be worse than failing). The certificate and key, given together,
 * are what etcd's {@code --client-cert-auth} asks for; a key may be PKCS#8 or traditional (RSA/EC PRIVATE KEY).
 *
 * <p>The messages name the flags because they are what a user has to change.
 *
 * @param caFile   --etcd-cafile, or null
 * @param certFile --etcd-certfile, or null (then keyFile is null too)
 * @param keyFile  --etcd-keyfile, or null (then certFile is null too)
 */
public record EtcdTls(Path caFile, Path certFile, Path keyFile) {
    public EtcdTls {
        if (certFile != null && keyFile == null) {
            throw new IllegalArgumentException("--etcd-certfile " + certFile + " needs its key: add --etcd-keyfile");
        }
        if (keyFile != null && certFile == null) {
            throw new IllegalArgumentException("--etcd-keyfile " + keyFile + " needs its certificate: add --etcd-certfile");
        }
    }

    /** The settings of the three flags, or null when none is given (plain http). */
    public static EtcdTls of(Path caFile, Path certFile, Path keyFile) {
        return caFile == null && certFile == null && keyFile == null ? null : new EtcdTls(caFile, certFile, keyFile);
    }

    /** Whether a client certificate is presented. */
    public boolean hasClientCert() {
        return certFile != null;
    }

    /**
     * Checks that the files are there and readable, for a message naming the flag and the file rather than
     * a parser's stack trace later. Their contents are checked when the TLS context is built.
     */
    public void checkFiles() {
        check("--etcd-cafile", caFile);
        check("--etcd-certfile", certFile);
        check("--etcd-keyfile", keyFile);
    }

    private static void check(String flag, Path file) {
        if (file == null) return;
        if (!Files.exists(file)) throw new IllegalArgumentException(flag + ": " + file + " does not exist");
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new IllegalArgumentException(flag + ": " + file + " is not a readable file");
        }
    }
}
