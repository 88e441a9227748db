package io.kubeha.cli;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.kubeha.security.pki.Pki;
import io.kubeha.security.tokens.BootstrapToken;
import io.kubeha.security.tokens.BootstrapTokenSecrets;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tools.jackson.databind.json.JsonMapper;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.BooleanSupplier;

/**
 * {@code kubeha up}: the seed's whole cluster on this machine, step by step with progress: three etcd members, three
 * masters (API server, controller-manager, scheduler, each a VIP candidate; master1 makes the PKI, the others get
 * a copy as the seed's runbook does), an agent on each master (role master) and two workers (role node), every agent
 * joining through the VIP with a bootstrap token, then the cluster DNS on the masters and logapi on the workers.
 * Everything runs in sessions of its own and outlives this command; {@code kubeha down} stops it, {@code up} again
 * starts it over the state kept in DIR.
 */
@Command(name = "up", mixinStandardHelpOptions = true,
        description = "Brings the seed's cluster up on this machine: 3 etcd members, 3 masters behind the VIP 127.10.102.21:6443,"
                + " 2 workers, the cluster DNS and logapi (loopback addresses, no root).")
final class UpCommand implements Callable<Integer> {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Duration WAIT = Duration.ofMinutes(4);

    @Option(names = "--dir", defaultValue = "${sys:user.home}/.kubeha/up",
            description = "Where the cluster's state, logs and kubeconfig go (default: ${DEFAULT-VALUE}).")
    Path dir;

    @Option(names = "--etcd", defaultValue = "/usr/bin/etcd", description = "The etcd binary (Debian's etcd-server; default: ${DEFAULT-VALUE}).")
    Path etcd;

    @Option(names = "--images", paramLabel = "DIR", description = "The logapi images to load into the agents (default: the build's).")
    Path images;

    @Option(names = "--no-apps", description = "Leave out the cluster DNS and logapi.")
    boolean noApps;

    private int step;
    private static final int STEPS = 6;

    private void progress(String what) {
        System.err.printf("kubeha up: [%d/%d] %s%n", ++step, STEPS, what);
    }

    @Override
    public Integer call() throws Exception {
        Lab lab = new Lab(dir);
        List<Lab.Proc> running = lab.recorded().stream().filter(Lab.Proc::alive).toList();
        if (!running.isEmpty()) {
            throw new Main.UserError("a cluster of kubeha up runs already in " + lab.dir + " (" + running.size()
                    + " processes): see kubeha status --dir " + lab.dir + ", or stop it with kubeha down --dir " + lab.dir);
        }
        if (!Files.isExecutable(etcd)) installEtcd();
        Files.deleteIfExists(lab.state());
        try {
            return up(lab);
        } catch (Exception e) {
            System.err.println("kubeha up: stopping what it started; the logs are in " + lab.dir.resolve("logs"));
            lab.stopAll(Duration.ofSeconds(10));
            throw e;
        }
    }

    /** Debian's etcd-server, installed with apt-get when this runs as root; else one line saying what to run. */
    private void installEtcd() throws IOException, InterruptedException {
        boolean root = Files.readString(Path.of("/proc/self/status")).lines().anyMatch(l -> l.matches("Uid:\\s+0\\s.*"));
        if (!root || !etcd.equals(Path.of("/usr/bin/etcd"))) {
            throw new Main.UserError("no etcd at " + etcd + ": install it (as root: apt-get install -y etcd-server) or pass --etcd PATH");
        }
        System.err.println("kubeha up: installing etcd (apt-get install -y etcd-server) ...");
        for (List<String> cmd : List.of(List.of("apt-get", "update", "-qq"), List.of("apt-get", "install", "-y", "-qq", "etcd-server"))) {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
            pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
            Process p = pb.start();
            p.getOutputStream().close();
            if (p.waitFor() != 0 && cmd.get(1).equals("install")) {
                throw new Main.UserError("apt-get install etcd-server failed (exit " + p.exitValue() + "): install it by hand, or pass --etcd PATH");
            }
        }
        // Debian starts its own etcd service on 127.0.0.1:2379; ours listen elsewhere, so it may keep running
        if (!Files.isExecutable(etcd)) throw new Main.UserError("etcd-server is installed but " + etcd + " is not there: pass --etcd PATH");
    }

    private int up(Lab lab) throws Exception {
        progress("etcd: 3 members on " + String.join(", ", Lab.ETCD));
        String cluster = String.join(",", List.of(0, 1, 2).stream().map(i -> "etcd" + (i + 1) + "=http://" + Lab.ETCD.get(i) + ":2380").toList());
        for (int i = 0; i < 3; i++) {
            String ip = Lab.ETCD.get(i);
            lab.start("etcd" + (i + 1), List.of(etcd.toString(), "--name", "etcd" + (i + 1), "--data-dir", lab.dir.resolve("etcd" + (i + 1)).toString(),
                    "--listen-client-urls", "http://" + ip + ":2379", "--advertise-client-urls", "http://" + ip + ":2379",
                    "--listen-peer-urls", "http://" + ip + ":2380", "--initial-advertise-peer-urls", "http://" + ip + ":2380",
                    "--initial-cluster", cluster, "--initial-cluster-token", "kubeha-up", "--initial-cluster-state", "new"));
        }
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        await("etcd to be healthy", lab, () -> Lab.ETCD.stream().allMatch(ip -> {
            try {
                return http.send(HttpRequest.newBuilder(URI.create("http://" + ip + ":2379/health")).timeout(Duration.ofSeconds(3)).build(),
                        HttpResponse.BodyHandlers.ofString()).body().contains("\"true\"");
            } catch (IOException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }));

        progress("master1: kubeha server on " + Lab.MASTERS.getFirst() + ":" + Lab.API_PORT + ", candidate for the VIP " + Lab.VIP);
        startServer(lab, 0);
        Path admin1 = lab.dir.resolve("master1").resolve("admin.kubeconfig");
        await("master1's API server", lab, () -> ready(admin1));

        progress("master2, master3: the same PKI (copied, as the seed's runbook does), the same etcd");
        for (int i = 1; i < 3; i++) {
            Path pki = lab.dir.resolve("master" + (i + 1)).resolve("pki");
            if (!Files.exists(pki.resolve("ca.key"))) copyPki(lab.dir.resolve("master1").resolve("pki"), pki);
            startServer(lab, i);
        }
        for (int i = 1; i < 3; i++) {
            Path admin = lab.dir.resolve("master" + (i + 1)).resolve("admin.kubeconfig");
            await("master" + (i + 1) + "'s API server", lab, () -> ready(admin));
        }
        // a master's agent talks to its own API server (kubeadm's fix of #1955), and its health lets its server hold the VIP
        progress("agents: master1-3 (role master) on their own API servers, node1-2 (role node) through the VIP; each joins"
                + " with a bootstrap token");
        BootstrapToken token = BootstrapToken.generate(new SecureRandom());
        try (KubernetesClient client = Clients.fromKubeconfig(admin1, null)) {
            Secret secret = JSON.treeToValue(BootstrapTokenSecrets.secret(token, Instant.now().plus(Duration.ofHours(1)),
                    List.of("authentication", "signing"), List.of(), "kubeha up"), Secret.class);
            client.secrets().inNamespace("kube-system").resource(secret).create();
        }
        String hash = Pki.caHash(io.kubeha.security.pki.Pem.certs(Files.readString(lab.dir.resolve("master1").resolve("pki")
                .resolve("ca.crt"))).getFirst());
        for (int i = 0; i < 3; i++) {
            startAgent(lab, "master" + (i + 1), Lab.MASTERS.get(i), "master", "https://" + Lab.MASTERS.get(i) + ":" + Lab.API_PORT, token, hash);
        }
        // the users' kubeconfig: master1's admin credentials, through the VIP
        Files.writeString(lab.kubeconfig(), Files.readString(admin1).replace("https://" + Lab.MASTERS.getFirst() + ":" + Lab.API_PORT,
                "https://" + Lab.VIP + ":" + Lab.API_PORT));
        await("the VIP " + Lab.VIP + ":" + Lab.API_PORT + " (held once a master's agent answers)", lab, () -> ready(lab.kubeconfig()));
        for (int i = 0; i < 2; i++) {
            startAgent(lab, "node" + (i + 1), Lab.WORKERS.get(i), "node", "https://" + Lab.VIP + ":" + Lab.API_PORT, token, hash);
        }

        try (KubernetesClient client = Clients.fromKubeconfig(lab.kubeconfig(), null)) {
            await("five Ready nodes", lab, () -> readyNodes(client) == 5);

            if (noApps) {
                step += 2;
            } else {
                progress("the cluster DNS on the masters (" + Lab.CLUSTER_DNS + ")");
                apply(client, "up/dns.yaml");
                progress("logapi: 6 replicas on the workers, NodePort 31070");
                apply(client, "up/logapi.yaml");
                await("the cluster DNS and 6 logapi pods to be Ready", lab, () -> readyPods(client, "kube-system", "k8s-app", "kube-dns") >= 1
                        && readyPods(client, "default", "app", "logapi") == 6);
            }
        }
        System.err.println("kubeha up: the cluster is up (" + lab.dir + "); logs in " + lab.dir.resolve("logs"));
        System.out.println("export KUBECONFIG=" + lab.kubeconfig());
        if (!noApps) System.out.println("curl http://" + Lab.WORKERS.getFirst() + ":31070/api/log/greeting");
        return 0;
    }

    private void startServer(Lab lab, int i) throws IOException {
        String name = "master" + (i + 1);
        String ip = Lab.MASTERS.get(i);
        lab.start(name + "-server", Lab.kubeha("server", "--disable-agent", "--data-dir", lab.dir.resolve(name).toString(), "--store", "etcd:" + lab.etcdEndpoints(),
                "--bind", ip + ":" + Lab.API_PORT, "--vip", Lab.VIP + ":" + Lab.API_PORT, "--vip-identity", name,
                "--vip-agent-healthz", "https://" + ip + ":" + Lab.AGENT_PORT + "/healthz"));
    }

    private void startAgent(Lab lab, String name, String ip, String role, String server, BootstrapToken token, String hash) throws IOException {
        List<String> args = new ArrayList<>(List.of("agent", "--server", server, "--token", token.toString(),
                "--discovery-token-ca-cert-hash", hash, "--node-name", name, "--node-ip", ip, "--port", Integer.toString(Lab.AGENT_PORT),
                "--data-dir", lab.dir.resolve(name).resolve("agent").toString(), "--image-store", lab.dir.resolve("images").toString(),
                "--node-labels", Lab.ROLE + "=" + role, "--cluster-dns", Lab.CLUSTER_DNS));
        if (images != null) args.addAll(List.of("--preload-images", images.toString()));
        lab.start(name + "-agent", Lab.kubeha(args.toArray(String[]::new)));
    }

    private static void copyPki(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (var files = Files.list(from)) {
            for (Path f : files.toList()) {
                String n = f.getFileName().toString();
                // the shared keys; each master makes its own serving and kubelet-client certificates from the CA
                if (List.of("ca.crt", "ca.key", "sa.key", "sa.pub").contains(n)) {
                    Files.copy(f, to.resolve(n), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }

    private static boolean ready(Path kubeconfig) {
        if (!Files.exists(kubeconfig)) return false;
        try (KubernetesClient c = Clients.fromKubeconfig(kubeconfig, null)) {
            return new io.kubeha.vip.HttpHealth(c.getHttpClient(), c.getMasterUrl().toString().replaceAll("/$", "") + "/readyz",
                    Duration.ofSeconds(5), "the API server").problem().isEmpty();
        } catch (RuntimeException e) {
            return false; // a kubeconfig being written
        }
    }

    private static long readyNodes(KubernetesClient client) {
        return client.nodes().list().getItems().stream().filter(UpCommand::ready).count();
    }

    private static boolean ready(Node n) {
        return n.getStatus() != null && n.getStatus().getConditions() != null
                && n.getStatus().getConditions().stream().anyMatch(c -> c.getType().equals("Ready") && c.getStatus().equals("True"));
    }

    private static long readyPods(KubernetesClient client, String ns, String label, String value) {
        return client.pods().inNamespace(ns).withLabel(label, value).list().getItems().stream().filter(UpCommand::ready).count();
    }

    private static boolean ready(Pod p) {
        return p.getMetadata().getDeletionTimestamp() == null && p.getStatus() != null && p.getStatus().getConditions() != null
                && p.getStatus().getConditions().stream().anyMatch(c -> c.getType().equals("Ready") && c.getStatus().equals("True"));
    }

    private static void apply(KubernetesClient client, String resource) throws IOException {
        byte[] yaml;
        try (var in = UpCommand.class.getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException("missing resource " + resource);
            yaml = in.readAllBytes();
        }
        for (HasMetadata o : client.load(new ByteArrayInputStream(yaml)).items()) {
            try {
                // server-side apply: made the first time, left as it is (or set back) by the next up
                client.resource(o).fieldManager("kubeha-up").forceConflicts().serverSideApply();
            } catch (KubernetesClientException e) {
                throw new Main.UserError("cannot apply " + o.getKind() + " " + o.getMetadata().getName() + ": " + e.getMessage());
            }
        }
    }

    /** Waits (bounded) for {@code condition}, a line every 15 s, failing at once if a started process died. */
    private static void await(String what, Lab lab, BooleanSupplier condition) throws IOException, InterruptedException {
        Instant deadline = Instant.now().plus(WAIT);
        Instant note = Instant.now().plusSeconds(15);
        while (!condition.getAsBoolean()) {
            for (Lab.Proc p : lab.recorded()) {
                if (!p.alive()) {
                    List<String> tail = Files.exists(lab.log(p.name())) ? Files.readAllLines(lab.log(p.name()), StandardCharsets.UTF_8) : List.of();
                    throw new Main.UserError(p.name() + " exited while waiting for " + what + "; the end of " + lab.log(p.name()) + ": "
                            + String.join(" | ", tail.subList(Math.max(0, tail.size() - 3), tail.size())));
                }
            }
            if (Instant.now().isAfter(deadline)) {
                throw new Main.UserError("no " + what + " within " + WAIT.toMinutes() + " minutes; see the logs in " + lab.dir.resolve("logs"));
            }
            if (Instant.now().isAfter(note)) {
                System.err.println("kubeha up:       still waiting for " + what + " ...");
                note = Instant.now().plusSeconds(15);
            }
            Thread.sleep(500);
        }
    }
}
