package io.kubeha.store.etcd;

import io.grpc.netty.GrpcSslContexts;
import io.kubeha.security.pki.Pem;
import io.kubeha.store.EtcdTls;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;

import javax.net.ssl.SSLException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The TLS context for jetcd's gRPC channel, from kube-apiserver's three etcd flags, after checking that the
 * endpoints and the flags agree. Keys are read with BouncyCastle ({@link Pem#privateKey}) and handed to Netty as
 * a {@link PrivateKey}: Netty reads only PKCS#8 from a file, while etcd's guides (cfssl, openssl, kubeadm) write
 * traditional RSA and EC PRIVATE KEY files as often.
 */
final class EtcdTlsContext {
    private EtcdTlsContext() {}

    /**
     * The context for these endpoints: null for http:// ones (plain text, and then no TLS flag may be set, since
     * a user who set one expects it to be used), else built from {@code tls}, which must name a CA.
     */
    static SslContext forEndpoints(List<URI> endpoints, EtcdTls tls) {
        List<URI> https = endpoints.stream().filter(e -> "https".equals(e.getScheme())).toList();
        List<URI> http = endpoints.stream().filter(e -> "http".equals(e.getScheme())).toList();
        if (https.size() + http.size() != endpoints.size()) {
            URI other = endpoints.stream().filter(e -> !https.contains(e) && !http.contains(e)).findFirst().orElseThrow();
            throw new IllegalArgumentException("etcd endpoint " + other + ": use http:// or https://");
        }
        if (!https.isEmpty() && !http.isEmpty()) {
            // one channel, one TLS setting: a member spoken to in the wrong one would only ever fail
            throw new IllegalArgumentException("etcd endpoints mix http:// (" + join(http) + ") and https:// ("
                    + join(https) + "): a cluster's members are all reached one way; use the same scheme for every endpoint");
        }
        if (https.isEmpty()) {
            if (tls != null) {
                throw new IllegalArgumentException("--etcd-cafile, --etcd-certfile and --etcd-keyfile are for https:// endpoints, but "
                        + join(http) + " is plain http: use https:// endpoints, or drop those flags");
            }
            return null;
        }
        if (tls == null || tls.caFile() == null) {
            throw new IllegalArgumentException("etcd endpoint " + https.get(0) + " is https: add --etcd-cafile with the CA"
                    + " that signed etcd's certificate (and --etcd-certfile/--etcd-keyfile if etcd asks for a client certificate)");
        }
        tls.checkFiles();
        return build(tls);
    }

    private static SslContext build(EtcdTls tls) {
        List<X509Certificate> cas = certs("--etcd-cafile", tls.caFile());
        SslContextBuilder b = GrpcSslContexts.forClient().trustManager(cas.toArray(X509Certificate[]::new));
        if (tls.hasClientCert()) {
            List<X509Certificate> chain = certs("--etcd-certfile", tls.certFile());
            PrivateKey key;
            try {
                key = Pem.privateKey(read("--etcd-keyfile", tls.keyFile()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--etcd-keyfile " + tls.keyFile() + ": " + e.getMessage(), e);
            }
            if (!chain.get(0).getPublicKey().getAlgorithm().equals(key.getAlgorithm())) {
                throw new IllegalArgumentException("--etcd-keyfile " + tls.keyFile() + " is a " + key.getAlgorithm()
                        + " key but --etcd-certfile " + tls.certFile() + " holds a " + chain.get(0).getPublicKey().getAlgorithm()
                        + " one: give the key of that certificate");
            }
            b.keyManager(key, chain.toArray(X509Certificate[]::new));
        }
        try {
            return b.build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new IllegalArgumentException("TLS settings for etcd (--etcd-cafile " + tls.caFile()
                    + (tls.hasClientCert() ? ", --etcd-certfile " + tls.certFile() + ", --etcd-keyfile " + tls.keyFile() : "")
                    + ") are unusable: " + e.getMessage(), e);
        }
    }

    private static List<X509Certificate> certs(String flag, Path file) {
        try {
            return Pem.certs(read(flag, file));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(flag + " " + file + ": " + e.getMessage(), e);
        }
    }

    private static String read(String flag, Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(flag + ": cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static String join(List<URI> uris) {
        return uris.stream().map(URI::toString).collect(Collectors.joining(","));
    }
}
