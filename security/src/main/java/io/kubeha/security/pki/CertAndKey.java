package io.kubeha.security.pki;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;

/** A certificate and its private key. */
public record CertAndKey(X509Certificate cert, PrivateKey key) {
    public String certPem() {
        return Pem.cert(cert);
    }

    /** PKCS#8, which Go's crypto/tls, Python's ssl, Node and Java all read. */
    public String keyPem() {
        return Pem.key(key);
    }
}
