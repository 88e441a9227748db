package io.kubeha.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Writes the admin kubeconfig that kubectl and client libraries use as it is. */
final class Kubeconfig {
    private Kubeconfig() {}

    static Path write(Path file, String serverUrl) throws IOException {
        String yaml = """
                apiVersion: v1
                kind: Config
                clusters:
                - name: kubeha
                  cluster:
                    server: %s
                contexts:
                - name: kubeha-admin
                  context:
                    cluster: kubeha
                    user: admin
                    namespace: default
                current-context: kubeha-admin
                users:
                - name: admin
                  user: {}
                preferences: {}
                """.formatted(serverUrl);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, yaml);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return file;
    }
}
