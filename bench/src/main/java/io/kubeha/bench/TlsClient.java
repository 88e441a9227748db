package io.kubeha.bench;

import io.kubeha.security.pki.Pem;
import io.kubeha.security.pki.Pki;

import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** An HTTP client that speaks TLS to a kubeha server, trusting its CA only and presenting a client certificate. */
final class TlsClient {
    private TlsClient() {
    }

    static HttpClient of(X509Certificate ca, X509Certificate cert, PrivateKey key, HttpClient.Version version) throws GeneralSecurityException {
        char[] pw = "bench".toCharArray();
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try {
            ks.load(null, null);
        } catch (IOException e) {
            throw new GeneralSecurityException(e);
        }
        ks.setKeyEntry("me", key, pw, new Certificate[] {cert, ca});
        javax.net.ssl.KeyManagerFactory kmf = javax.net.ssl.KeyManagerFactory.getInstance(javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, pw);
        javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(Pki.trustStore(ca));
        javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return HttpClient.newBuilder().version(version).sslContext(ctx).connectTimeout(Duration.ofSeconds(10)).build();
    }

    /** The client of a kubeconfig kubeha server wrote (admin.kubeconfig: the CA and a client certificate, embedded). */
    static HttpClient fromKubeconfig(Path kubeconfig, HttpClient.Version version) throws IOException, GeneralSecurityException {
        String text = Files.readString(kubeconfig);
        X509Certificate ca = Pem.certs(field(text, "certificate-authority-data", kubeconfig)).getFirst();
        X509Certificate cert = Pem.certs(field(text, "client-certificate-data", kubeconfig)).getFirst();
        PrivateKey key = Pem.privateKey(field(text, "client-key-data", kubeconfig));
        return of(ca, cert, key, version);
    }

    private static String field(String kubeconfig, String name, Path file) {
        Matcher m = Pattern.compile(Pattern.quote(name) + ":\\s*\"?([A-Za-z0-9+/=]+)\"?").matcher(kubeconfig);
        if (!m.find()) throw new IllegalStateException(file + " has no " + name);
        return new String(Base64.getDecoder().decode(m.group(1)), StandardCharsets.UTF_8);
    }
}
