package io.kubeha.e2e;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.kubeha.cli.Main;
import io.kubeha.testkit.ChildJvm;
import io.kubeha.testkit.Kubectl;
import io.kubeha.testkit.Ports;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.awaitility.Awaitility.await;

/**
 * A cluster of real processes, each {@code kubeha ...} in its own JVM: one {@code kubeha server} (the API server on
 * the embedded store, with or without its in-process controller-manager and scheduler) and whatever components a
 * test adds. Everything it started is killed by PID on {@link #close()}, also when the test failed.
 */
final class ProcessCluster implements AutoCloseable {
    static {
        // a condition read before the object has its status (a null, an empty list) is "not yet", as an assertion
        // that does not hold yet is: Awaitility would otherwise end the wait at the first such exception
        org.awaitility.Awaitility.ignoreExceptionsByDefault();
    }

    final Path dir;
    final String url;
    final Path kubeconfig;
    final KubernetesClient client;
    final Kubectl kubectl;
    private final ChildJvm server;
    private final List<ChildJvm> components = new ArrayList<>();

    private ProcessCluster(Path dir, String url, Path kubeconfig, ChildJvm server) {
        this.dir = dir;
        this.url = url;
        this.kubeconfig = kubeconfig;
        this.server = server;
        Config config;
        try {
            config = Config.fromKubeconfig(Files.readString(kubeconfig));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        config.setOnlyHttpWatches(true);
        config.setRequestRetryBackoffLimit(1);
        // a loaded 2-core machine running seven JVMs can take more than fabric8's default 10 s to answer
        config.setRequestTimeout(30_000);
        this.client = new KubernetesClientBuilder().withConfig(config).build();
        this.kubectl = new Kubectl(Kubectl.DEFAULT, kubeconfig);
    }

    /** Starts {@code kubeha server} with {@code extraArgs} and waits until it is ready. */
    static ProcessCluster start(Path dir, String... extraArgs) throws Exception {
        int port = Ports.free(InetAddress.getLoopbackAddress());
        Path data = dir.resolve("server-data");
        List<String> args = new ArrayList<>(List.of("server", "--disable-agent", "--data-dir", data.toString(), "--bind", "127.0.0.1:" + port));
        args.addAll(List.of(extraArgs));
        ChildJvm server = ChildJvm.start(Main.class, dir.resolve("server.log"), args.toArray(String[]::new));
        String url = "https://127.0.0.1:" + port;
        Path admin = data.resolve("admin.kubeconfig");
        try {
            // HTTPS only, with authentication: ready once the admin kubeconfig is written and /readyz answers through it
            await().atMost(Duration.ofSeconds(90)).ignoreExceptions().until(() -> {
                if (!server.isAlive()) {
                    throw new IllegalStateException("kubeha server exited: " + Files.readString(dir.resolve("server.log")));
                }
                return Files.exists(admin) && new Kubectl(Kubectl.DEFAULT, admin).run("get", "--raw", "/readyz").out().equals("ok");
            });
        } catch (RuntimeException | Error e) {
            server.close();
            throw e;
        }
        return new ProcessCluster(dir, url, admin, server);
    }

    /** Starts {@code kubeha COMMAND --kubeconfig ... ARGS} in its own JVM; its log goes to {@code name}.log. */
    ChildJvm component(String name, String command, String... args) throws IOException {
        List<String> all = new ArrayList<>(List.of(command, "--kubeconfig", kubeconfig.toString()));
        all.addAll(List.of(args));
        ChildJvm c = ChildJvm.start(Main.class, dir.resolve(name + ".log"), all.toArray(String[]::new));
        synchronized (components) {
            components.add(c);
        }
        return c;
    }

    /** The started component with this process id. */
    Optional<ChildJvm> byPid(long pid) {
        synchronized (components) {
            return components.stream().filter(c -> c.pid() == pid).findFirst();
        }
    }

    /** A Ready node with room for many pods, as a node agent would register it. */
    void readyNode(String name, Map<String, String> labels) {
        Node n = new NodeBuilder().withNewMetadata().withName(name).withLabels(labels).endMetadata()
                .withNewStatus()
                .addToAllocatable("cpu", new Quantity("4")).addToAllocatable("memory", new Quantity("16Gi"))
                .addToAllocatable("pods", new Quantity("110"))
                .addToCapacity("cpu", new Quantity("4")).addToCapacity("memory", new Quantity("16Gi"))
                .addToCapacity("pods", new Quantity("110"))
                .addNewCondition().withType("Ready").withStatus("True").withReason("KubeletReady").endCondition()
                .endStatus().build();
        Node created = client.nodes().resource(n).create();
        // the server's node IPAM may give the node its podCIDR between the create and the status write: write the
        // status over the node as it is then (a 409 Conflict otherwise)
        for (int attempt = 1; ; attempt++) {
            created.setStatus(n.getStatus());
            try {
                client.nodes().resource(created).updateStatus();
                return;
            } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
                if (e.getCode() != 409 || attempt == 5) throw e;
                created = client.nodes().withName(name).get();
            }
        }
    }

    /** The log of a component (or "server"), for failure messages. */
    String log(String name) {
        try {
            return Files.readString(dir.resolve(name + ".log"));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() throws Exception {
        client.close();
        List<ChildJvm> all;
        synchronized (components) {
            all = List.copyOf(components);
        }
        for (ChildJvm c : all) {
            // an agent's pods are processes in sessions of their own: kill them with it
            c.handle().descendants().forEach(ProcessHandle::destroyForcibly);
            c.close();
        }
        server.close();
        killPodProcessesRecordedUnder(dir);
    }

    /** Pods of agents killed during the test outlive them (see {@link io.kubeha.testkit.Processes#killPodProcessesRecordedUnder}). */
    static void killPodProcessesRecordedUnder(Path dir) throws IOException {
        io.kubeha.testkit.Processes.killPodProcessesRecordedUnder(dir);
    }
}
