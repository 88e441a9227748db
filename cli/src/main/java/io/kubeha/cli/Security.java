package io.kubeha.cli;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeha.apiserver.ApiSecurity;
import io.kubeha.apiserver.ServingTls;
import io.kubeha.apiserver.alloc.ServiceCidr;
import io.kubeha.security.pki.CertAndKey;
import io.kubeha.security.pki.Kubeconfigs;
import io.kubeha.security.pki.Pki;
import io.kubeha.security.pki.PkiOptions;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A server's PKI and credentials, as kubeadm init makes them: DATA_DIR/pki (made at first start, reused after),
 * the admin kubeconfig with a client certificate of system:masters, and a client certificate for each component
 * that runs inside the server.
 */
final class Security {
    private static final Duration CLIENT_VALIDITY = Duration.ofDays(365);

    private final Path dataDir;
    private final Pki pki;
    private final ApiSecurity api;

    private Security(Path dataDir, Pki pki, ApiSecurity api) {
        this.dataDir = dataDir;
        this.pki = pki;
        this.api = api;
    }

    /** The serving certificate names what clients reach the server by: loopback, its addresses, the kubernetes Service. */
    static Security prepare(Path dataDir, InetSocketAddress bind, InetAddress advertise, List<String> extraSans, String serviceCidr,
                            boolean anonymousAuth, io.kubeha.security.audit.AuditLog audit) {
        Set<String> dns = new LinkedHashSet<>(List.of("localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
                "kubernetes.default.svc.cluster.local"));
        Set<InetAddress> ips = new LinkedHashSet<>();
        ips.add(InetAddress.getLoopbackAddress());
        if (!bind.getAddress().isAnyLocalAddress()) ips.add(bind.getAddress());
        if (advertise != null) ips.add(advertise);
        try {
            ips.add(InetAddress.getByName(ServiceCidr.parse(serviceCidr).firstAddress()));
        } catch (IOException | RuntimeException e) {
            throw new Main.UserError("--service-cidr: " + e.getMessage());
        }
        for (String san : extraSans) {
            String s = san.strip();
            if (s.isEmpty()) throw new Main.UserError("--tls-san: an empty name; give a DNS name or an IP address");
            if (s.matches("\\d{1,3}(\\.\\d{1,3}){3}") || s.contains(":")) {
                try {
                    ips.add(InetAddress.getByName(s));
                } catch (IOException e) {
                    throw new Main.UserError("--tls-san: '" + s + "' is not an IP address");
                }
            } else if (s.matches("(\\*\\.)?[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?(\\.[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?)*")) {
                dns.add(s.toLowerCase());
            } else {
                throw new Main.UserError("--tls-san: '" + s + "' is neither a DNS name nor an IP address");
            }
        }
        Pki pki;
        try {
            pki = Pki.loadOrCreate(dataDir.resolve("pki"), PkiOptions.defaults().withSans(dns, ips));
        } catch (RuntimeException e) {
            throw new Main.UserError("the PKI in " + dataDir.resolve("pki") + ": " + e.getMessage());
        }
        char[] password = randomPassword();
        ServingTls tls = new ServingTls(pki.servingKeyStore(password), password, List.of(pki.caCert()));
        ApiSecurity api = new ApiSecurity(tls, pki.serviceAccountKeys(), List.of(), ApiSecurity.DEFAULT_ISSUER, List.of(), anonymousAuth, audit,
                pki.kubeletClient());
        return new Security(dataDir, pki, api);
    }

    ApiSecurity api() {
        return api;
    }

    Path pkiDir() {
        return dataDir.resolve("pki");
    }

    Path adminKubeconfig() {
        return dataDir.resolve("admin.kubeconfig");
    }

    String caHash() {
        return Pki.caHash(pki.caCert());
    }

    Pki pki() {
        return pki;
    }

    /** kubeadm's admin.conf: user kubernetes-admin in system:masters, the CA embedded; re-made when the server's URL changes. */
    Path writeAdminKubeconfig(String url) throws IOException {
        CertAndKey admin = pki.issueClient("kubernetes-admin", List.of("system:masters"), CLIENT_VALIDITY);
        return Kubeconfigs.write(adminKubeconfig(), Kubeconfigs.withCertificate("kubeha", url, pki.caPem(), "kubernetes-admin", admin));
    }

    /**
     * A kubelet's kubeconfig for this machine's own node: {@code system:node:NAME} in {@code system:nodes}, issued by the
     * cluster CA directly (the server holds it), as kubeadm init writes kubelet.conf for the first master.
     */
    Path writeNodeKubeconfig(Path file, String url, String nodeName) throws IOException {
        String user = "system:node:" + nodeName;
        CertAndKey cert = pki.issueClient(user, List.of("system:nodes"), CLIENT_VALIDITY);
        Files.createDirectories(file.toAbsolutePath().getParent());
        return Kubeconfigs.write(file, Kubeconfigs.withCertificate("kubeha", url, pki.caPem(), user, cert));
    }

    /** A client of the API server at {@code url} as {@code user} (its groups: none beyond system:authenticated). */
    KubernetesClient client(String url, String user) {
        return client(url, user, List.of());
    }

    KubernetesClient client(String url, String user, List<String> groups) {
        CertAndKey cert = pki.issueClient(user, groups, CLIENT_VALIDITY);
        return Clients.fromConfig(Config.fromKubeconfig(Kubeconfigs.withCertificate("kubeha", url, pki.caPem(), user, cert)));
    }

    /**
     * kubeadm's cluster-info: kube-public/cluster-info holds a kubeconfig with only the cluster (this server's address
     * and the CA), which anyone may read and the bootstrap signer signs per token; joining nodes start from it.
     */
    void publishClusterInfo(String url) {
        String kubeconfig = Kubeconfigs.clusterOnly("", url, pki.caPem());
        try (KubernetesClient admin = client(url, "kubernetes-admin", List.of("system:masters"))) {
            var cms = admin.configMaps().inNamespace("kube-public");
            var existing = cms.withName("cluster-info").get();
            if (existing == null) {
                cms.resource(new io.fabric8.kubernetes.api.model.ConfigMapBuilder().withNewMetadata().withName("cluster-info")
                        .withNamespace("kube-public").endMetadata().addToData("kubeconfig", kubeconfig).build()).create();
            } else if (existing.getData() == null || !kubeconfig.equals(existing.getData().get("kubeconfig"))) {
                existing.setData(new java.util.LinkedHashMap<>(existing.getData() == null ? java.util.Map.of() : existing.getData()));
                existing.getData().put("kubeconfig", kubeconfig);
                cms.resource(existing).update();
            }
        } catch (RuntimeException e) {
            // another master wrote it first: joining nodes find theirs
            System.err.println("kubeha server: warning: cannot publish kube-public/cluster-info: " + e.getMessage());
        }
    }

    /** Signs legacy token Secrets with the service-account key (the controller-manager's serviceaccount-token). */
    io.kubeha.security.tokens.ServiceAccountTokens serviceAccountTokens() {
        return new io.kubeha.security.tokens.ServiceAccountTokens(pki.serviceAccountKeys(), List.of(), api.issuer(), java.time.Clock.systemUTC());
    }

    /** Signs approved client-certificate requests with the cluster CA (the controller-manager's csrsigning). */
    io.kubeha.controllers.certificates.CsrSigner csrSigner() {
        return (csrPem, usages, validity) -> io.kubeha.security.pki.Pem.cert(pki.signCsr(csrPem, usages, validity));
    }

    private static char[] randomPassword() {
        SecureRandom r = new SecureRandom();
        char[] c = new char[24];
        String alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        for (int i = 0; i < c.length; i++) c[i] = alphabet.charAt(r.nextInt(alphabet.length()));
        return c;
    }
}
