package io.kubeha.security.pki;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;

/**
 * kubeconfig files with everything embedded (certificate-authority-data, client-certificate-data, client-key-data,
 * or a token), as kubeadm writes admin.conf: kubectl, client-go, fabric8, the Python and JavaScript clients read them.
 */
public final class Kubeconfigs {
    private Kubeconfigs() {}

    public static String withCertificate(String clusterName, String serverUrl, String caPem, String userName, CertAndKey client) {
        return config(clusterName, serverUrl, caPem, userName, "    client-certificate-data: " + b64(client.certPem()) + "\n"
                + "    client-key-data: " + b64(client.keyPem()) + "\n");
    }

    public static String withToken(String clusterName, String serverUrl, String caPem, String userName, String token) {
        return config(clusterName, serverUrl, caPem, userName, "    token: " + token + "\n");
    }

    /** Only the cluster (what kube-public/cluster-info holds). */
    public static String clusterOnly(String clusterName, String serverUrl, String caPem) {
        return "apiVersion: v1\nkind: Config\nclusters:\n- name: " + clusterName + "\n  cluster:\n    certificate-authority-data: "
                + b64(caPem) + "\n    server: " + serverUrl + "\ncontexts: []\ncurrent-context: \"\"\nusers: []\npreferences: {}\n";
    }

    private static String config(String cluster, String server, String caPem, String user, String credentials) {
        return """
                apiVersion: v1
                kind: Config
                clusters:
                - name: %1$s
                  cluster:
                    certificate-authority-data: %2$s
                    server: %3$s
                contexts:
                - name: %4$s@%1$s
                  context:
                    cluster: %1$s
                    user: %4$s
                    namespace: default
                current-context: %4$s@%1$s
                users:
                - name: %4$s
                  user:
                %5$spreferences: {}
                """.formatted(cluster, b64(caPem), server, user, credentials);
    }

    /** Written 0600 in one move: a kubeconfig holds a key or token. */
    public static Path write(Path file, String yaml) {
        try {
            Pki.writeSecret(file, yaml);
            return file;
        } catch (IOException e) {
            throw new PkiException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }
}
