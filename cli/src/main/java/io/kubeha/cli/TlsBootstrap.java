package io.kubeha.cli;

import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequest;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.kubeha.security.pki.CertAndKey;
import io.kubeha.security.pki.Csrs;
import io.kubeha.security.pki.Kubeconfigs;
import io.kubeha.security.pki.Pem;
import io.kubeha.security.pki.Pki;
import io.kubeha.security.tokens.BootstrapToken;
import io.kubeha.security.tokens.ClusterInfoSignatures;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.dataformat.yaml.YAMLMapper;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

/**
 * The kubelet's TLS bootstrap, as kubeadm join does it, for an agent that knows only the server's address and a
 * bootstrap token: read kube-public/cluster-info over an unverified connection, trust its CA only if the token's JWS
 * signature over it matches (and, when given, the CA's hash), then ask for a client certificate of
 * {@code system:node:NAME} with a CertificateSigningRequest authenticated by the token, which the controller-manager
 * approves and signs. The result is DATA_DIR/kubelet.kubeconfig, reused at the next start while its certificate is
 * valid (the agent renews it before it expires: {@link #rotating}, as the kubelet's client certificate rotation).
 */
final class TlsBootstrap {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Duration WAIT = Duration.ofMinutes(5);
    /** A certificate this close to its end is not used to start with: the token joins again. */
    private static final Duration RENEW_BEFORE = Duration.ofMinutes(1);
    private static final String CLIENT_SIGNER = "kubernetes.io/kube-apiserver-client-kubelet";
    private static final List<String> CLIENT_USAGES = List.of("digital signature", "client auth");

    private TlsBootstrap() {}

    static Path kubeconfig(Path dataDir, String server, String token, String caHash, String nodeName) throws Exception {
        return kubeconfig(dataDir, server, token, caHash, nodeName, null);
    }

    /** @param expirationSeconds the client certificate's lifetime to ask for (null: the signer's default) */
    static Path kubeconfig(Path dataDir, String server, String token, String caHash, String nodeName, Integer expirationSeconds) throws Exception {
        Path file = dataDir.resolve("kubelet.kubeconfig");
        if (Files.exists(file) && stillGood(file)) return file;
        BootstrapToken t = token(token);
        String base = httpsBase("--server", server);
        System.err.println("kubeha agent: joining " + base + " with bootstrap token " + t.id() + " ...");
        String caPem = discover(base, t, caHash);
        String bootstrapConfig = asBootstrapper(base, caPem, t);
        KeyPair key = Csrs.newEcKey();
        String csrPem = Csrs.create(key, "system:node:" + nodeName, List.of("system:nodes"), List.of(), List.of());
        String name = "node-csr-" + UUID.randomUUID().toString().substring(0, 8);
        Config config = Config.fromKubeconfig(bootstrapConfig);
        config.setRequestRetryBackoffLimit(1);
        try (KubernetesClient client = Clients.fromConfig(config)) {
            try {
                client.certificates().v1().certificateSigningRequests().resource(new CertificateSigningRequestBuilder().withNewMetadata()
                        .withName(name).endMetadata().withNewSpec().withRequest(Base64.getEncoder().encodeToString(csrPem.getBytes(StandardCharsets.UTF_8)))
                        .withSignerName(CLIENT_SIGNER).withUsages(CLIENT_USAGES).withExpirationSeconds(expirationSeconds)
                        .endSpec().build()).create();
            } catch (KubernetesClientException e) {
                throw new Main.UserError(e.getCode() == 401 ? "the API server refused bootstrap token " + t.id()
                        + " (unknown, expired or without the authentication usage): make a new one with `kubeha token create`"
                        : "cannot ask for a client certificate: " + e.getMessage());
            }
            System.err.println("kubeha agent: asked for the client certificate of system:node:" + nodeName + " (csr " + name + "), waiting for it ...");
            Instant deadline = Instant.now().plus(WAIT);
            Instant nextNote = Instant.now().plusSeconds(10);
            while (true) {
                CertificateSigningRequest csr = client.certificates().v1().certificateSigningRequests().withName(name).get();
                if (csr != null && csr.getStatus() != null) {
                    if (csr.getStatus().getConditions() != null) {
                        for (var c : csr.getStatus().getConditions()) {
                            if (c.getType().equals("Denied") || c.getType().equals("Failed")) {
                                throw new Main.UserError("csr " + name + " was " + c.getType().toLowerCase() + ": " + c.getMessage());
                            }
                        }
                    }
                    String cert = csr.getStatus().getCertificate();
                    if (cert != null && !cert.isEmpty()) {
                        X509Certificate issued = Pem.certs(new String(Base64.getDecoder().decode(cert), StandardCharsets.UTF_8)).getFirst();
                        Files.createDirectories(dataDir);
                        Kubeconfigs.write(file, Kubeconfigs.withCertificate("kubeha", base, caPem, "system:node:" + nodeName,
                                new CertAndKey(issued, key.getPrivate())));
                        System.err.println("kubeha agent: joined as system:node:" + nodeName + "; credentials in " + file);
                        return file;
                    }
                }
                if (Instant.now().isAfter(deadline)) {
                    throw new Main.UserError("csr " + name + " was not signed within " + WAIT.toMinutes() + " minutes: is the controller-manager "
                            + "running with the cluster CA (kubeha server), or approve it by hand: kubectl certificate approve " + name);
                }
                if (Instant.now().isAfter(nextNote)) {
                    System.err.println("kubeha agent: still waiting for csr " + name + " to be approved and signed ...");
                    nextNote = Instant.now().plusSeconds(10);
                }
                Thread.sleep(500);
            }
        }
    }

    /**
     * kubeadm's {@code join --control-plane}: the shared keys (cluster CA, service-account pair) fetched from the
     * Secret kube-system/kubeadm-certs with a control-plane bootstrap token, over a connection that trusts the CA only
     * through the token's signature of cluster-info (and the hash), opened with the certificate key and written into
     * {@code pkiDir}. A master that has them already (a restart) asks for nothing.
     */
    static void joinControlPlane(Path pkiDir, String server, String token, String caHash, String certificateKey) throws Exception {
        if (Files.exists(pkiDir.resolve("ca.key"))) return;
        BootstrapToken t = token(token);
        String base = httpsBase("--join", server);
        System.err.println("kubeha server: joining the control plane of " + base + " with bootstrap token " + t.id() + " ...");
        String caPem = discover(base, t, caHash);
        Config config = Config.fromKubeconfig(asBootstrapper(base, caPem, t));
        config.setRequestRetryBackoffLimit(1);
        Secret certs;
        try (KubernetesClient client = Clients.fromConfig(config)) {
            certs = client.secrets().inNamespace(io.kubeha.security.pki.CertificateUpload.NAMESPACE)
                    .withName(io.kubeha.security.pki.CertificateUpload.SECRET).get();
        } catch (KubernetesClientException e) {
            throw new Main.UserError(switch (e.getCode()) {
                case 401 -> "the API server refused bootstrap token " + t.id() + " (unknown or expired): make a new one with"
                        + " `kubeha token create --control-plane --print-join-command` on a master";
                case 403 -> "token " + t.id() + " may not read the uploaded certificates: a master joins with a token made by"
                        + " `kubeha token create --control-plane`";
                default -> "cannot read the uploaded certificates: " + e.getMessage();
            });
        }
        if (certs == null) {
            throw new Main.UserError("no certificates are uploaded (kube-system/" + io.kubeha.security.pki.CertificateUpload.SECRET
                    + "; they go with the token that uploaded them): run `kubeha token create --control-plane --print-join-command` on a master");
        }
        try {
            io.kubeha.security.pki.CertificateUpload.decrypt(certs.getData(), certificateKey, pkiDir);
        } catch (IllegalArgumentException e) {
            throw new Main.UserError("--certificate-key: " + e.getMessage());
        }
        String uploadedCa = Files.readString(pkiDir.resolve("ca.crt"));
        if (!Pki.caHash(Pem.certs(uploadedCa).getFirst()).equals(Pki.caHash(Pem.certs(caPem).getFirst()))) {
            for (String f : io.kubeha.security.pki.CertificateUpload.FILES) Files.deleteIfExists(pkiDir.resolve(f));
            throw new Main.UserError("the uploaded CA is not the CA the cluster serves with: nothing was kept; upload the certificates again");
        }
        System.err.println("kubeha server: the cluster CA and service-account keys are in " + pkiDir);
    }

    private static BootstrapToken token(String token) {
        try {
            return BootstrapToken.parse(token);
        } catch (IllegalArgumentException e) {
            throw new Main.UserError("--token: " + e.getMessage());
        }
    }

    /** The server's URL without trailing slashes; {@code option} names the flag it came from in the error. */
    private static String httpsBase(String option, String server) {
        String base = server.replaceAll("/+$", "");
        if (!base.startsWith("https://")) throw new Main.UserError(option + ": '" + server + "' must be an https:// URL (the API server serves TLS only)");
        return base;
    }

    /** A kubeconfig that is {@code system:bootstrap:<id>} at {@code base}, trusting the CA discovery gave. */
    private static String asBootstrapper(String base, String caPem, BootstrapToken t) {
        return Kubeconfigs.withToken("kubeha", base, caPem, "system:bootstrap:" + t.id(), t.toString());
    }

    /** kubeadm's token discovery: the CA from cluster-info, trusted because the token signed it. */
    private static String discover(String base, BootstrapToken t, String caHash) throws Exception {
        HttpClient http = HttpClient.newBuilder().sslContext(trustAnything()).connectTimeout(Duration.ofSeconds(10)).build();
        HttpResponse<String> r;
        try {
            r = http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/namespaces/kube-public/configmaps/cluster-info"))
                    .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new Main.UserError("cannot reach " + base + ": " + (e.getMessage() == null ? e.toString() : e.getMessage()));
        }
        if (r.statusCode() != 200) {
            throw new Main.UserError(base + " did not give kube-public/cluster-info (HTTP " + r.statusCode() + "): is it a kubeha server?");
        }
        JsonNode data = JSON.readTree(r.body()).path("data");
        String kubeconfig = data.path("kubeconfig").asString("");
        String jws = data.path("jws-kubeconfig-" + t.id()).asString("");
        if (jws.isEmpty()) {
            throw new Main.UserError("cluster-info holds no signature for token " + t.id()
                    + ": the token is unknown, expired or may not sign; make a new one with `kubeha token create`");
        }
        if (!ClusterInfoSignatures.verify(kubeconfig, jws, t)) {
            throw new Main.UserError("cluster-info's signature does not match token " + t
                    + ": a wrong token, or someone between this node and the server; nothing was trusted");
        }
        JsonNode cluster = YAMLMapper.builder().build().readTree(kubeconfig).path("clusters").path(0).path("cluster");
        String caPem = new String(Base64.getDecoder().decode(cluster.path("certificate-authority-data").asString("")), StandardCharsets.UTF_8);
        X509Certificate ca = Pem.certs(caPem).getFirst();
        if (caHash != null && !caHash.isEmpty() && !Pki.caHash(ca).equalsIgnoreCase(caHash.strip())) {
            throw new Main.UserError("--discovery-token-ca-cert-hash: the cluster's CA hashes to " + Pki.caHash(ca) + ", not " + caHash
                    + "; nothing was trusted");
        }
        return caPem;
    }

    /** What DATA_DIR/kubelet.kubeconfig holds: the server, the CA, the node's client certificate and key. */
    record Joined(String server, String caPem, CertAndKey client) {}

    static Joined read(Path kubeconfig) throws IOException {
        JsonNode root = YAMLMapper.builder().build().readTree(Files.readString(kubeconfig));
        JsonNode cluster = root.path("clusters").path(0).path("cluster");
        JsonNode user = root.path("users").path(0).path("user");
        Base64.Decoder b64 = Base64.getDecoder();
        X509Certificate cert = Pem.certs(new String(b64.decode(user.path("client-certificate-data").asString("")), StandardCharsets.UTF_8)).getFirst();
        var key = Pem.privateKey(new String(b64.decode(user.path("client-key-data").asString("")), StandardCharsets.UTF_8));
        return new Joined(cluster.path("server").asString(""), new String(b64.decode(cluster.path("certificate-authority-data").asString("")),
                StandardCharsets.UTF_8), new CertAndKey(cert, key));
    }

    /**
     * An API client as the joined node whose client certificate renews itself (the kubelet's client certificate
     * rotation): a {@link ReloadingKeyManager} under fabric8's HTTP client, and a certificate manager that asks for the
     * next certificate with the current one (csrapproving approves it as selfnodeclient), rewrites kubelet.kubeconfig
     * and hands it to the key manager, so new connections use it without a restart. Close both.
     */
    record Rotating(KubernetesClient client, io.kubeha.agent.certificates.CertificateManager manager) implements AutoCloseable {
        @Override
        public void close() {
            manager.close();
            client.close();
        }
    }

    static Rotating rotating(Path kubeconfig, String nodeName, Integer expirationSeconds, Duration renewBefore, Clients.Balancer balancer)
            throws IOException {
        Joined joined;
        try {
            joined = read(kubeconfig);
        } catch (IOException | RuntimeException e) {
            throw new Main.UserError(kubeconfig + " cannot be read (" + e.getMessage() + "): remove it and join again with --token");
        }
        io.kubeha.security.pki.ReloadingKeyManager keys = new io.kubeha.security.pki.ReloadingKeyManager(joined.client());
        javax.net.ssl.TrustManager[] trust = io.kubeha.security.pki.ReloadingKeyManager.trusting(Pem.certs(joined.caPem()));
        Config config = Config.fromKubeconfig(Files.readString(kubeconfig));
        KubernetesClient client = Clients.fromConfig(balancer == null ? config : balancer.adjust(config),
                b -> b.sslContext(new javax.net.ssl.KeyManager[] {keys}, trust));
        if (balancer != null) balancer.follow(client);
        String user = "system:node:" + nodeName;
        var spec = new io.kubeha.agent.certificates.CertificateManager.Spec("client", CLIENT_SIGNER, user, List.of("system:nodes"),
                List.of(), List.of(), CLIENT_USAGES, expirationSeconds, renewBefore, false);
        var manager = new io.kubeha.agent.certificates.CertificateManager(client, spec, keys,
                c -> Kubeconfigs.write(kubeconfig, Kubeconfigs.withCertificate("kubeha", joined.server(), joined.caPem(), user, c))).start();
        return new Rotating(client, manager);
    }

    private static boolean stillGood(Path kubeconfig) {
        try {
            JsonNode user = YAMLMapper.builder().build().readTree(Files.readString(kubeconfig)).path("users").path(0).path("user");
            X509Certificate cert = Pem.certs(new String(Base64.getDecoder().decode(user.path("client-certificate-data").asString("")),
                    StandardCharsets.UTF_8)).getFirst();
            return cert.getNotAfter().toInstant().isAfter(Instant.now().plus(RENEW_BEFORE));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Only for reading cluster-info, whose content is then checked by its signature. */
    private static SSLContext trustAnything() throws Exception {
        X509ExtendedTrustManager any = new X509ExtendedTrustManager() {
            @Override public void checkClientTrusted(X509Certificate[] c, String a, Socket s) { }
            @Override public void checkServerTrusted(X509Certificate[] c, String a, Socket s) { }
            @Override public void checkClientTrusted(X509Certificate[] c, String a, SSLEngine e) { }
            @Override public void checkServerTrusted(X509Certificate[] c, String a, SSLEngine e) { }
            @Override public void checkClientTrusted(X509Certificate[] c, String a) { }
            @Override public void checkServerTrusted(X509Certificate[] c, String a) { }
            @Override public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, new javax.net.ssl.TrustManager[] {any}, null);
        return ctx;
    }
}
