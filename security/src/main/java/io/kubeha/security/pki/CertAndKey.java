package io.kubeha.security.pki;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;

/** A certificate and its private key. */
public record CertAndKey(X509Certificate cert, PrivateKey key) {
    public String certPem() {
        return Pem.cert(cert);
    }

    /** The traditional OpenSSL form, which Go's crypto/tls, Python's ssl, Node and fabric8 all read. */
    public String keyPem() {
        return Pem.key(key);
    }
}
