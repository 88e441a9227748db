package io.kubeha.cli;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.kubeha.security.pki.Pki;
import io.kubeha.security.tokens.BootstrapToken;
import io.kubeha.security.tokens.BootstrapTokenSecrets;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.json.JsonMapper;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;

/** kubeadm token's role: bootstrap tokens, the Secrets kube-system/bootstrap-token-ID that let a node join. */
@Command(name = "token", mixinStandardHelpOptions = true, description = "Bootstrap tokens for nodes that join (kubeadm token).",
        subcommands = {TokenCommand.Create.class, TokenCommand.ListTokens.class, TokenCommand.Delete.class})
final class TokenCommand {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    static final class Target {
        @Option(names = "--kubeconfig", defaultValue = "${sys:user.home}/.kubeha/server/admin.kubeconfig",
                description = "An admin's kubeconfig (default: ${DEFAULT-VALUE}).")
        Path kubeconfig;
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Makes a bootstrap token and prints it (record it).")
    static final class Create implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        Target target;

        @Parameters(arity = "0..1", paramLabel = "TOKEN", description = "The token to make (abcdef.0123456789abcdef); a random one by default.")
        String token;

        @Option(names = "--ttl", defaultValue = "24h", description = "How long it is valid (default: ${DEFAULT-VALUE}; 0: forever).")
        String ttl;

        @Option(names = "--description", defaultValue = "") String description;

        @Option(names = "--groups", split = ",", description = "Extra groups it authenticates as (each system:bootstrappers:...).")
        List<String> groups = List.of();

        @Option(names = "--print-join-command", description = "Print the `kubeha agent` command line that joins a node with it"
                + " (its --node-name and --node-ip default to that machine's hostname and first IPv4 address).")
        boolean printJoin;

        @Option(names = "--control-plane", description = "A token for a master to join with (kubeadm's upload-certs): uploads the"
                + " cluster CA and service-account keys, encrypted with a new certificate key, as kube-system/kubeadm-certs (they go"
                + " when the token is deleted), and prints the `kubeha server --join` command line with that key. Give it a short"
                + " --ttl (kubeadm's certificate key lasts 2h).")
        boolean controlPlane;

        @Option(names = "--pki-dir", description = "With --control-plane: this master's pki folder (default: the pki folder beside"
                + " --kubeconfig, i.e. DATA_DIR/pki).")
        Path pkiDir;

        @Override
        public Integer call() {
            BootstrapToken t;
            Duration life;
            try {
                t = token == null ? BootstrapToken.generate(new SecureRandom()) : BootstrapToken.parse(token);
                life = BootstrapTokenSecrets.parseTtl(ttl);
            } catch (IllegalArgumentException e) {
                throw new Main.UserError(e.getMessage());
            }
            Instant expires = life.isZero() ? null : Instant.now().plus(life);
            try (KubernetesClient client = Clients.fromKubeconfig(target.kubeconfig)) {
                List<String> all = new java.util.ArrayList<>(groups);
                if (controlPlane && !all.contains(CONTROL_PLANE_GROUP)) all.add(CONTROL_PLANE_GROUP);
                Secret made = create(client, t, expires, all, description);
                String server = client.getMasterUrl().toString().replaceAll("/$", "");
                String hash = Pki.caHash(io.kubeha.security.pki.Pem.certs(new String(java.util.Base64.getDecoder().decode(
                        client.getConfiguration().getCaCertData()))).getFirst());
                if (controlPlane) {
                    Path dir = pkiDir != null ? pkiDir : target.kubeconfig.toAbsolutePath().getParent().resolve("pki");
                    String key = uploadCertificates(client, made, dir);
                    System.out.println(serverJoin(server, t, hash, key, "etcd:URL") + " --bind IP:6443");
                    return 0;
                }
                if (printJoin) {
                    System.out.println(agentJoin(server, t, hash));
                } else {
                    System.out.println(t);
                }
            }
            return 0;
        }
    }

    /** {@code kubeha agent}'s join command line (kubeadm join): node name and address default to the machine's. */
    static String agentJoin(String server, BootstrapToken t, String caHash) {
        return "kubeha agent --server " + server + " --token " + t + " --discovery-token-ca-cert-hash " + caHash;
    }

    /** {@code kubeha server}'s join command line (kubeadm join --control-plane) over the cluster's {@code store}. */
    static String serverJoin(String server, BootstrapToken t, String caHash, String certificateKey, String store) {
        return "kubeha server --join " + server + " --token " + t + " --discovery-token-ca-cert-hash " + caHash
                + " --certificate-key " + certificateKey + " --store " + store;
    }

    /** Makes the Secret kube-system/bootstrap-token-ID of {@code t} (usages authentication and signing). */
    static Secret create(KubernetesClient client, BootstrapToken t, Instant expires, List<String> groups, String description) {
        Secret secret;
        try {
            secret = JSON.treeToValue(BootstrapTokenSecrets.secret(t, expires, List.of("authentication", "signing"), groups, description), Secret.class);
        } catch (IllegalArgumentException e) {
            throw new Main.UserError("--groups: " + e.getMessage());
        }
        try {
            return client.secrets().inNamespace("kube-system").resource(secret).create();
        } catch (KubernetesClientException e) {
            throw new Main.UserError(e.getCode() == 409 ? "token " + t.id() + " exists already: pick another or delete it first"
                    : "cannot create the token: " + (e.getStatus() != null && e.getStatus().getMessage() != null ? e.getStatus().getMessage() : e.getMessage()));
        }
    }

    /** Uploads the shared keys of {@code pkiDir} under a new certificate key, owned by the token's Secret; returns the key. */
    static String uploadCertificates(KubernetesClient client, Secret token, Path pkiDir) {
        String key = io.kubeha.security.pki.CertificateUpload.newKey();
        java.util.Map<String, String> data;
        try {
            data = io.kubeha.security.pki.CertificateUpload.encrypt(pkiDir, key);
        } catch (java.io.IOException e) {
            throw new Main.UserError("--pki-dir: " + e.getMessage());
        }
        Secret certs = new io.fabric8.kubernetes.api.model.SecretBuilder().withNewMetadata()
                .withName(io.kubeha.security.pki.CertificateUpload.SECRET).withNamespace(io.kubeha.security.pki.CertificateUpload.NAMESPACE)
                .addNewOwnerReference().withApiVersion("v1").withKind("Secret").withName(token.getMetadata().getName())
                .withUid(token.getMetadata().getUid()).endOwnerReference().endMetadata()
                .withType("Opaque").withData(data).build();
        try {
            client.secrets().inNamespace(io.kubeha.security.pki.CertificateUpload.NAMESPACE).resource(certs).createOr(o -> o.update());
        } catch (KubernetesClientException e) {
            throw new Main.UserError("cannot upload the certificates: " + e.getMessage());
        }
        System.err.println("kubeha: uploaded the cluster CA and service-account keys as kube-system/"
                + io.kubeha.security.pki.CertificateUpload.SECRET + ", encrypted with the certificate key of the join command (record it; it is kept nowhere)");
        return key;
    }

    /** The extra group of control-plane tokens: RBAC lets it read kube-system/kubeadm-certs, and nothing more than a node token. */
    static final String CONTROL_PLANE_GROUP = "system:bootstrappers:kubeha:control-plane";

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Lists the bootstrap tokens.")
    static final class ListTokens implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        Target target;

        @Override
        public Integer call() {
            try (KubernetesClient client = Clients.fromKubeconfig(target.kubeconfig)) {
                System.out.printf("%-24s %-10s %-22s %-26s %-30s %s%n", "TOKEN", "TTL", "EXPIRES", "USAGES", "DESCRIPTION", "EXTRA GROUPS");
                for (Secret s : client.secrets().inNamespace("kube-system").list().getItems()) {
                    if (!"bootstrap.kubernetes.io/token".equals(s.getType())) continue;
                    var info = BootstrapTokenSecrets.describe(JSON.valueToTree(s), Clock.systemUTC());
                    System.out.printf("%-24s %-10s %-22s %-26s %-30s %s%n", info.token(), info.ttlLeft() == null ? "<forever>" : info.ttlLeft().isZero() ? "<expired>" : info.ttlLeft().toHours() + "h",
                            info.expiration() == null ? "<never>" : info.expiration().toString(), String.join(",", info.usages()),
                            info.description() == null || info.description().isEmpty() ? "<none>" : info.description(), String.join(",", info.extraGroups()));
                }
            }
            return 0;
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Deletes bootstrap tokens (by id or whole token).")
    static final class Delete implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        Target target;

        @Parameters(arity = "1..*", paramLabel = "TOKEN-ID") List<String> ids;

        @Override
        public Integer call() {
            try (KubernetesClient client = Clients.fromKubeconfig(target.kubeconfig)) {
                for (String id : ids) {
                    String tid = id.contains(".") ? id.substring(0, id.indexOf('.')) : id;
                    if (!tid.matches("[a-z0-9]{6}")) throw new Main.UserError("'" + id + "' is not a token id (6 characters [a-z0-9]) nor a token");
                    var gone = client.secrets().inNamespace("kube-system").withName("bootstrap-token-" + tid).delete();
                    if (gone.isEmpty()) throw new Main.UserError("no bootstrap token " + tid);
                    System.out.println("bootstrap token \"" + tid + "\" deleted");
                }
            }
            return 0;
        }
    }
}
