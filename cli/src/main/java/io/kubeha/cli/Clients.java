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

    /**
     * A client-side load balancer over every API server for one component (k3s's agent load balancer): the
     * component's client talks to 127.0.0.1:PORT, which relays to the kubeconfig's server first and then to whichever
     * API server of the kubernetes Endpoints answers, so that losing one master loses nothing (kubeadm #1955).
     */
    static final class Balancer implements AutoCloseable {
        final io.kubeha.client.failover.ApiServerBalancer lb;
        private io.kubeha.client.failover.KubernetesEndpoints endpoints;

        private Balancer(io.kubeha.client.failover.ApiServerBalancer lb) {
            this.lb = lb;
        }

        /** A balancer whose first and last-resort server is the one the kubeconfig names. */
        static Balancer of(Path kubeconfig) {
            Config config = config(kubeconfig);
            try {
                return new Balancer(new io.kubeha.client.failover.ApiServerBalancer(
                        VipCommand.hostPort(java.net.URI.create(config.getMasterUrl())), 0).start());
            } catch (IOException e) {
                throw new Main.UserError(e.getMessage());
            }
        }

        /** Points a client's configuration at the balancer. */
        Config adjust(Config config) {
            config.setMasterUrl(lb.url());
            return config;
        }

        /** Keeps the balancer's list to the live API servers, watched through {@code client}. */
        KubernetesClient follow(KubernetesClient client) {
            endpoints = new io.kubeha.client.failover.KubernetesEndpoints(client, lb);
            return client;
        }

        /** What the component's log line says about where it talks. */
        String describe() {
            return lb.url() + " (load-balanced over the API servers, " + io.kubeha.client.failover.ApiServerBalancer.describe(lb.current())
                    + " first)";
        }

        @Override
        public void close() {
            if (endpoints != null) endpoints.close();
            lb.close();
        }
    }

    /** A client of the kubeconfig's user, through {@code balancer} when there is one. */
    static KubernetesClient fromKubeconfig(Path kubeconfig, Balancer balancer) {
        if (balancer == null) return fromKubeconfig(kubeconfig);
        return balancer.follow(build(balancer.adjust(config(kubeconfig))));
    }

    private static Config config(Path kubeconfig) {
        String text;
        try {
            text = Files.readString(kubeconfig);
        } catch (NoSuchFileException e) {
            throw new Main.UserError("--kubeconfig: no such file " + kubeconfig + " (kubeha server writes DATA_DIR/admin.kubeconfig)");
        } catch (IOException e) {
            throw new Main.UserError("--kubeconfig: cannot read " + kubeconfig + ": " + e.getMessage());
        }
        try {
            return Config.fromKubeconfig(text);
        } catch (RuntimeException e) {
            throw new Main.UserError("--kubeconfig: " + kubeconfig + " is not a kubeconfig: " + e.getMessage());
        }
    }

    static KubernetesClient fromKubeconfig(Path kubeconfig) {
        return build(config(kubeconfig));
    }

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
