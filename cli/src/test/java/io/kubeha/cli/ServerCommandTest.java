package io.kubeha.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.assertj.core.api.Assertions.assertThat;

/** `kubeha server` flags that cannot work are one clear line and exit status 2, before anything starts. */
class ServerCommandTest {
    /** Runs the command line in this JVM; asserts exit status 2 and one line of error without a stack trace, and returns it. */
    static String run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        cl.setOut(new PrintWriter(new StringWriter()));
        assertThat(cl.execute(args)).as(String.join(" ", args)).isEqualTo(2);
        assertThat(err.toString()).doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(err.toString().strip().lines()).hasSize(1);
        return err.toString();
    }

    @Test
    void anAdvertiseAddressMustBeAnIpTheClusterCanReach() {
        assertThat(run("server", "--data-dir", "/nonexistent/server", "--advertise-address", "master1"))
                .contains("--advertise-address: 'master1' is not an IP address (e.g. 10.10.102.91)");
        assertThat(run("server", "--data-dir", "/nonexistent/server", "--advertise-address", "10.10.102.300"))
                .contains("is not an IP address");
        assertThat(run("server", "--data-dir", "/nonexistent/server", "--advertise-address", "0.0.0.0"))
                .contains("the advertise address must be one the cluster can reach, not 0.0.0.0");
    }

    @Test
    void aBadEncryptionProviderConfigIsOneLineWithTheLibrarysMessage() throws Exception {
        java.nio.file.Path file = java.nio.file.Files.createTempFile("encryption", ".yaml");
        try {
            java.nio.file.Files.writeString(file, """
                    apiVersion: apiserver.config.k8s.io/v1
                    kind: EncryptionConfiguration
                    resources:
                      - resources: [secrets]
                        providers:
                          - aescbc:
                              keys: [{name: k, secret: c2VjcmV0IGlzIHNlY3VyZQ==}]
                    """);
            assertThat(run("server", "--data-dir", "/nonexistent/server", "--encryption-provider-config", file.toString()))
                    .contains("--encryption-provider-config: " + file + ": resources[0].providers[0].aescbc: provider aescbc is not supported");
        } finally {
            java.nio.file.Files.delete(file);
        }
        assertThat(run("server", "--data-dir", "/nonexistent/server", "--encryption-provider-config", "/nonexistent/enc.yaml"))
                .contains("--encryption-provider-config: /nonexistent/enc.yaml: cannot read the encryption config");
    }
}
