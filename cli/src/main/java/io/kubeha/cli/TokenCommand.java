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

        @Option(names = "--print-join-command", description = "Print the `kubeha agent` command line that joins a node with it.")
        boolean printJoin;

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
                Secret secret;
                try {
                    secret = JSON.treeToValue(BootstrapTokenSecrets.secret(t, expires, List.of("authentication", "signing"), groups, description), Secret.class);
                } catch (IllegalArgumentException e) {
                    throw new Main.UserError("--groups: " + e.getMessage());
                }
                try {
                    client.secrets().inNamespace("kube-system").resource(secret).create();
                } catch (KubernetesClientException e) {
                    throw new Main.UserError(e.getCode() == 409 ? "token " + t.id() + " exists already: pick another or delete it first"
                            : "cannot create the token: " + (e.getStatus() != null && e.getStatus().getMessage() != null ? e.getStatus().getMessage() : e.getMessage()));
                }
                if (printJoin) {
                    String server = client.getMasterUrl().toString().replaceAll("/$", "");
                    String hash = Pki.caHash(io.kubeha.security.pki.Pem.certs(new String(java.util.Base64.getDecoder().decode(
                            client.getConfiguration().getCaCertData()))).getFirst());
                    System.out.println("kubeha agent --server " + server + " --token " + t + " --discovery-token-ca-cert-hash " + hash
                            + " --node-name NAME --node-ip IP --pod-cidr CIDR");
                } else {
                    System.out.println(t);
                }
            }
            return 0;
        }
    }

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
