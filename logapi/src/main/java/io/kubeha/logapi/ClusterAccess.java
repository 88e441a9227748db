package io.kubeha.logapi;


import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Map;
import java.util.Optional;

/**
 * How to reach the Kubernetes API server and who to be there: its URL, the bearer token (a fixed one, or a
 * file read again on every request, because service account tokens are rotated in place), and the TLS trust.
 *
 * <p>Found as client-go finds it: an explicit {@code KUBECONFIG} first (the files it lists, merged as kubectl
 * merges them: the first file that sets a value wins), else the in-cluster configuration of a pod
 * ({@code KUBERNETES_SERVICE_HOST}/{@code KUBERNETES_SERVICE_PORT} and the service account's token and CA).
 * In a pod the folder holds {@code ca.crt} and the in-cluster URL is HTTPS trusting that CA, as in Kubernetes; only
 * a folder without one (tests against a plain-HTTP server) makes it plain HTTP.
 *
 * @param server     the API server's base URL, without a trailing slash
 * @param token      a fixed bearer token, or null
 * @param tokenFile  a file holding the bearer token, read on every request, or null
 * @param tls        the TLS context for an https server, or null for the JDK's default trust
 * @param source     where this came from, for log lines and error messages
 */
record ClusterAccess(URI server, String token, Path tokenFile, SSLContext tls, String source) {
    /** Where Kubernetes mounts a pod's service account. */
    static final Path SERVICE_ACCOUNT_DIR = Path.of("/var/run/secrets/kubernetes.io/serviceaccount");

    /** The bearer token to send now, or null for none. */
    String bearerToken() {
        if (tokenFile != null) {
            try {
                return Files.readString(tokenFile, StandardCharsets.UTF_8).trim();
            } catch (IOException e) {
                throw new HttpError(503, "cannot read the service account token " + tokenFile + ": " + e.getMessage());
            }
        }
        return token;
    }

    /**
     * The API server access the environment describes, or empty when it describes none.
     *
     * @param serviceAccountDir where the service account's {@code token} and {@code ca.crt} are
     *                          ({@code LOGAPI_SERVICEACCOUNT_DIR} overrides {@link #SERVICE_ACCOUNT_DIR}: a node
     *                          agent that cannot mount over /var/run puts them elsewhere)
     * @throws IllegalArgumentException with a message for the user when the configuration is there but unusable
     */
    static Optional<ClusterAccess> fromEnvironment(Map<String, String> env, Path serviceAccountDir) {
        String kubeconfig = env.get("KUBECONFIG");
        if (kubeconfig != null && !kubeconfig.isBlank()) {
            return Optional.of(Kubeconfig.read(kubeconfig));
        }
        String host = env.get("KUBERNETES_SERVICE_HOST");
        if (host != null && !host.isBlank()) {
            return Optional.of(inCluster(host, env.getOrDefault("KUBERNETES_SERVICE_PORT", "443"), serviceAccountDir));
        }
        return Optional.empty();
    }

    static ClusterAccess inCluster(String host, String port, Path saDir) {
        try {
            int p = Integer.parseInt(port.trim());
            if (p < 1 || p > 65535) throw new NumberFormatException();
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("KUBERNETES_SERVICE_PORT is not a port number: " + port);
        }
        String h = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
        Path ca = saDir.resolve("ca.crt");
        Path token = saDir.resolve("token");
        SSLContext tls = null;
        String scheme = "http";
        if (Files.isRegularFile(ca)) {
            scheme = "https";
            tls = trusting(read(ca), ca.toString());
        }
        URI server = uri(scheme + "://" + h + ":" + port.trim(), "KUBERNETES_SERVICE_HOST/PORT");
        return new ClusterAccess(server, null, Files.isRegularFile(token) ? token : null, tls,
                "in-cluster " + server + (Files.isRegularFile(token) ? " with the service account token" : " without a token"));
    }

    static URI uri(String s, String what) {
        try {
            URI u = URI.create(s);
            if (u.getScheme() == null || !(u.getScheme().equals("http") || u.getScheme().equals("https")) || u.getHost() == null) {
                throw new IllegalArgumentException(what + " is not an http(s) URL: " + s);
            }
            return u;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + " is not an http(s) URL: " + s);
        }
    }

    static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage());
        }
    }

    /** TLS that trusts the CA certificates in {@code pem} (and only them). */
    static SSLContext trusting(byte[] pem, String what) {
        try (InputStream in = new ByteArrayInputStream(pem)) {
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null, null);
            int i = 0;
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                ks.setCertificateEntry("ca-" + i++, c);
            }
            if (i == 0) throw new IllegalArgumentException(what + " holds no certificate");
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException(what + " is not a PEM CA certificate: " + e.getMessage());
        }
    }

    /** insecure-skip-tls-verify: the certificate chain is not checked (the host name still is, by the JDK). */
    static SSLContext trustingAnything() {
        X509TrustManager all = new X509TrustManager() {
            @Override public void checkClientTrusted(X509Certificate[] chain, String authType) {}
            @Override public void checkServerTrusted(X509Certificate[] chain, String authType) {}
            @Override public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
        };
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, new TrustManager[]{all}, null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
