package io.kubeha.apiserver.http;

import io.kubeha.security.pki.CertAndKey;
import io.kubeha.security.pki.ReloadingKeyManager;

import javax.net.ssl.SSLParameters;
import java.net.http.HttpClient;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;

/**
 * How the API server reaches the node agents' ports (pods/log): plain HTTP when the server itself is plain HTTP
 * (tests), else HTTPS as kube-apiserver with {@code --kubelet-client-certificate/-key} and
 * {@code --kubelet-certificate-authority}: it presents its apiserver-kubelet-client certificate and trusts only
 * agent certificates the cluster CA signed, for the node's address (checked against the certificate's IP SANs), so an
 * endpoint with a self-signed or foreign certificate is refused before anything is sent to it.
 */
public record AgentClient(HttpClient http, String scheme) {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

    public static AgentClient plain() {
        return new AgentClient(HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).version(HttpClient.Version.HTTP_1_1).build(), "http");
    }

    /** HTTPS presenting {@code clientCert}, trusting agents' certificates signed by {@code cas} only. */
    public static AgentClient tls(CertAndKey clientCert, List<X509Certificate> cas) {
        SSLParameters params = new SSLParameters();
        params.setEndpointIdentificationAlgorithm("HTTPS"); // the node's address must be a SAN of its certificate
        params.setProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
        return new AgentClient(HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).version(HttpClient.Version.HTTP_1_1)
                .sslContext(new ReloadingKeyManager(clientCert).sslContext(cas)).sslParameters(params).build(), "https");
    }

    public boolean secure() {
        return scheme.equals("https");
    }
}
