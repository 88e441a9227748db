package io.kubeha.cli;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** API clients for the components that run beside or apart from the API server. */
final class Clients {
    private Clients() {}

    static KubernetesClient fromKubeconfig(Path kubeconfig) {
        String text;
        try {
            text = Files.readString(kubeconfig);
        } catch (NoSuchFileException e) {
            throw new Main.UserError("--kubeconfig: no such file " + kubeconfig + " (kubeha server writes DATA_DIR/admin.kubeconfig)");
        } catch (IOException e) {
            throw new Main.UserError("--kubeconfig: cannot read " + kubeconfig + ": " + e.getMessage());
        }
        Config config;
        try {
            config = Config.fromKubeconfig(text);
        } catch (RuntimeException e) {
            throw new Main.UserError("--kubeconfig: " + kubeconfig + " is not a kubeconfig: " + e.getMessage());
        }
        return build(config);
    }

    /**
     * The kubeconfig's API server, or, with none given and run in a pod, the kubernetes service
     * (KUBERNETES_SERVICE_HOST and _PORT, which the node agent sets). Plain HTTP: kubeha's API server has no TLS yet.
     */
    static KubernetesClient fromKubeconfigOrCluster(Path kubeconfig) {
        if (kubeconfig != null) return fromKubeconfig(kubeconfig);
        String host = System.getenv("KUBERNETES_SERVICE_HOST");
        String port = System.getenv("KUBERNETES_SERVICE_PORT");
        if (host == null || host.isEmpty() || port == null || port.isEmpty()) {
            throw new Main.UserError("--kubeconfig is needed outside a pod (in a pod, KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT say where the API server is)");
        }
        // in a pod, as every client library: https://KUBERNETES_SERVICE_HOST:PORT with the service account's token
        // (read again as the node agent refreshes it) and ca.crt from its mounted folder
        Path token = Path.of(Config.KUBERNETES_SERVICE_ACCOUNT_TOKEN_PATH);
        if (!java.nio.file.Files.isReadable(token)) {
            throw new Main.UserError("in a pod without a service account token (" + token + "): give the pod a ServiceAccount and leave"
                    + " automountServiceAccountToken on, or pass --kubeconfig");
        }
        return build(Config.autoConfigure(null));
    }

    /** Watches as plain HTTP streams from the start: the API server does not serve websocket watches. */
    private static KubernetesClient build(Config config) {
        config.setOnlyHttpWatches(true);
        return new KubernetesClientBuilder().withConfig(config).build();
    }

    static KubernetesClient fromConfig(Config config) {
        return build(config);
    }

    /** The same, with the HTTP client adjusted (e.g. a key manager whose certificate renews itself). */
    static KubernetesClient fromConfig(Config config, java.util.function.Consumer<io.fabric8.kubernetes.client.http.HttpClient.Builder> http) {
        config.setOnlyHttpWatches(true);
        return new KubernetesClientBuilder().withConfig(config).withHttpClientBuilderConsumer(http).build();
    }

    /** A client of the API server at {@code url} (the in-process components of kubeha server). */
    static KubernetesClient forUrl(String url) {
        return build(new ConfigBuilder().withMasterUrl(url).build());
    }
}
