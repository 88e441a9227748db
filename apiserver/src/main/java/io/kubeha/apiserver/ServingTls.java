package io.kubeha.apiserver;

import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;

/**
 * The API server's TLS: its serving certificate chain (in a key store, under one alias) and the CAs whose client
 * certificates it accepts. Clients are asked for a certificate but not required to show one: bearer tokens and
 * anonymous requests come over the same port, as with kube-apiserver's {@code --client-ca-file}.
 */
public record ServingTls(KeyStore keyStore, char[] password, List<X509Certificate> clientCas) {
    public ServingTls {
        Objects.requireNonNull(keyStore, "keyStore");
        Objects.requireNonNull(password, "password");
        clientCas = List.copyOf(clientCas);
    }
}
