package io.kubeha.security.pki;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;

/**
 * A key manager whose one certificate can be replaced while it is in use, as client-go's and the kubelet's
 * certificate managers hand out the current certificate at each handshake: an SSLContext (a fabric8 client's, a Jetty
 * server's) built with it presents the new certificate on every connection made after {@link #set}, without being
 * rebuilt. Connections already open keep the certificate they were made with. With no certificate yet, handshakes
 * that need one fail (a server that waits for its first serving certificate).
 */
public final class ReloadingKeyManager extends X509ExtendedKeyManager {
    private static final String ALIAS = "current";

    private record Current(X509Certificate[] chain, PrivateKey key) {}

    private volatile Current current;

    /** @param initial the certificate to start with, or null for none yet */
    public ReloadingKeyManager(CertAndKey initial) {
        if (initial != null) set(initial);
    }

    /** Presents {@code c} from the next handshake on. */
    public void set(CertAndKey c) {
        current = new Current(new X509Certificate[] {c.cert()}, c.key());
    }

    /** The certificate presented now, or null. */
    public X509Certificate certificate() {
        Current c = current;
        return c == null ? null : c.chain()[0];
    }

    private String alias(String[] keyTypes) {
        Current c = current;
        if (c == null) return null;
        String alg = c.key().getAlgorithm();
        if (keyTypes == null) return ALIAS;
        // the JDK asks with "EC", "RSA", or TLS 1.2's "EC_EC"-style names: accept those that name our key's algorithm
        return Arrays.stream(keyTypes).anyMatch(t -> t != null && (t.equals(alg) || t.startsWith(alg + "_") || t.endsWith("_" + alg)
                || (alg.equals("EC") && t.startsWith("ECDHE_ECDSA")))) ? ALIAS : null;
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return alias(new String[] {keyType}) == null ? null : new String[] {ALIAS};
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
        return alias(keyType);
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
        return alias(keyType);
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        return alias(new String[] {keyType}) == null ? null : new String[] {ALIAS};
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return alias(new String[] {keyType});
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return alias(new String[] {keyType});
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        Current c = current;
        return c == null || !ALIAS.equals(alias) ? null : c.chain().clone();
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        Current c = current;
        return c == null || !ALIAS.equals(alias) ? null : c.key();
    }

    /** Trust managers that accept only certificates signed by these CAs (PKIX, the JDK's own checks). */
    public static javax.net.ssl.TrustManager[] trusting(List<X509Certificate> cas) {
        try {
            javax.net.ssl.TrustManagerFactory f = javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
            f.init(Pki.trustStore(cas.toArray(X509Certificate[]::new)));
            return f.getTrustManagers();
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A TLS context presenting this key manager's certificate and trusting {@code cas} only. */
    public javax.net.ssl.SSLContext sslContext(List<X509Certificate> cas) {
        try {
            javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
            ctx.init(new javax.net.ssl.KeyManager[] {this}, trusting(cas), null);
            return ctx;
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
