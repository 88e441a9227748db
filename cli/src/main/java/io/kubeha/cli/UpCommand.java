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
 * joining with a bootstrap token, then the cluster DNS on the masters and logapi on the workers. Everything runs in
 * sessions of its own and outlives this command; {@code kubeha down} stops it, {@code up} again starts it over the
 * state kept in DIR.
 *
 * <p>With {@code --netns} (root) the hosts are network namespaces on one bridge with the seed's own addresses
 * ({@link Lab}); the VIP is then a real address ({@code --vip-mode ip}, or the real keepalived with
 * {@code --vip-mode keepalived}). This command makes the LAN, then runs the rest of itself in {@code khup-admin}, the
 * user's side of the LAN, where the VIP is reachable.
 */
@Command(name = "up", mixinStandardHelpOptions = true,
        description = "Brings the seed's cluster up on this machine: 3 etcd members, 3 masters behind the VIP, 2 workers, the cluster"
                + " DNS and logapi. Loopback addresses (VIP 127.10.102.21:6443, no root), or with --netns the seed's own addresses"
                + " in network namespaces (VIP 10.10.102.21:6443, root).")
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

    @Option(names = "--netns", description = "The seed's addresses (10.10.102.91-93, 10.10.103.96-97, VIP 10.10.102.21) in network"
            + " namespaces on one bridge, pods in namespaces of their own (root).")
    boolean netns;

    @Option(names = "--vip-mode", paramLabel = "MODE", description = "How the masters hold the VIP: loopback (the default without"
            + " --netns), ip (the default with --netns: the address on the holder's interface, gratuitous ARP, Lease-elected),"
            + " keepalived (--netns: the real keepalived, VRRP).")
    String vipMode;

    private int step;
    private static final int STEPS = 6;

    private void progress(String what) {
        System.err.printf("kubeha up: [%d/%d] %s%n", ++step, STEPS, what);
    }

    @Override
    public Integer call() throws Exception {
        String mode = vipMode != null ? vipMode : netns ? "ip" : "loopback";
        if (!List.of("loopback", "ip", "keepalived").contains(mode)) {
            throw new Main.UserError("--vip-mode " + mode + " is not one of: loopback, ip, keepalived");
        }
        if (netns == mode.equals("loopback")) {
            throw new Main.UserError(netns ? "--vip-mode loopback is for the loopback layout: with --netns take ip or keepalived"
                    : "--vip-mode " + mode + " needs --netns (a real address needs a LAN: the namespaces kubeha up --netns makes)");
        }
        vipMode = mode;
        Lab lab = new Lab(dir, netns ? Lab.Layout.NETNS : Lab.Layout.LOOPBACK);
        Lab kept = new Lab(dir);
        if (Files.exists(lab.state()) && kept.net != lab.net) {
            throw new Main.UserError(lab.dir + " holds a cluster of the " + kept.net.name() + " layout: bring it up the same way, or"
                    + " remove it with kubeha down --purge --dir " + lab.dir);
        }
        if (netns && !Lab.inNamespace(Lab.namespace("admin"))) return upInAdmin(lab);
        List<Lab.Proc> recorded = lab.recorded();
        List<Lab.Proc> gone = recorded.stream().filter(p -> !p.alive()).toList();
        if (!recorded.isEmpty() && gone.isEmpty()) {
            throw new Main.UserError("a cluster of kubeha up runs already in " + lab.dir + " (" + recorded.size()
                    + " processes): see kubeha status --dir " + lab.dir + ", or stop it with kubeha down --dir " + lab.dir);
        }
        if (gone.size() < recorded.size()) return resume(lab, gone);
        if (!Files.isExecutable(etcd)) installEtcd();
        Files.deleteIfExists(lab.state());
        lab.saveLayout();
        try {
            return up(lab);
        } catch (Exception e) {
            System.err.println("kubeha up: stopping what it started; the logs are in " + lab.dir.resolve("logs"));
            lab.stopAll(Duration.ofSeconds(10));
            if (netns) lab.removeLan();
            throw e;
        }
    }

    /**
     * Some of the cluster's processes run, others are gone (killed, crashed): starts the gone ones again as they were
     * started, and waits for the five nodes to be Ready through the VIP. An operator's "restart the kubelet".
     */
    private int resume(Lab lab, List<Lab.Proc> gone) throws Exception {
        System.err.println("kubeha up: " + lab.dir + " runs, but without " + String.join(", ", gone.stream().map(Lab.Proc::name).toList())
                + ": starting them again");
        Instant restarted = Instant.now();
        for (Lab.Proc p : gone) lab.restart(p.name());
        for (Lab.Proc p : gone) {
            if (!p.name().endsWith("-server")) continue;
            int i = Integer.parseInt(Lab.host(p.name()).substring("master".length())) - 1;
            Path admin = lab.dir.resolve(Lab.host(p.name())).resolve("admin.kubeconfig");
            String url = masterUrl(lab.net, i);
            await(Lab.host(p.name()) + "'s API server", lab, () -> ready(admin, url));
        }
        List<String> agents = gone.stream().filter(p -> p.name().endsWith("-agent")).map(p -> Lab.host(p.name())).toList();
        try (KubernetesClient client = Clients.fromKubeconfig(lab.kubeconfig(), null)) {
            // Ready, and the restarted agents' node Leases renewed since they started again
            await("five Ready nodes", lab, () -> {
                try {
                    return readyNodes(client) == 5 && agents.stream().allMatch(n -> {
                        var l = client.leases().inNamespace("kube-node-lease").withName(n).get();
                        return l != null && l.getSpec().getRenewTime() != null && l.getSpec().getRenewTime().toInstant().isAfter(restarted);
                    });
                } catch (RuntimeException e) {
                    return false;
                }
            });
        }
        System.err.println("kubeha up: the cluster is whole again (" + lab.dir + ")");
        System.out.println("export KUBECONFIG=" + lab.kubeconfig());
        return 0;
    }

    /** Makes the LAN (root), then runs {@code up} again inside khup-admin, where the cluster's addresses are. */
    private int upInAdmin(Lab lab) throws Exception {
        if (!Lab.root()) throw new Main.UserError("kubeha up --netns makes network namespaces: run it as root (or leave out --netns)");
        for (String tool : List.of("/usr/sbin/ip", "/usr/bin/nsenter")) {
            if (!Files.isExecutable(Path.of(tool))) throw new Main.UserError("kubeha up --netns needs " + tool + ": apt-get install iproute2 util-linux");
        }
        if (vipMode.equals("ip") && !Files.isExecutable(Path.of(io.kubeha.vip.IpAnnouncer.ARPING))) {
            throw new Main.UserError("--vip-mode ip needs arping for gratuitous ARP: apt-get install iputils-arping");
        }
        if (vipMode.equals("keepalived") && !Files.isExecutable(io.kubeha.vip.Keepalived.BINARY)) {
            throw new Main.UserError("--vip-mode keepalived needs keepalived: apt-get install keepalived");
        }
        if (!Files.isExecutable(etcd)) installEtcd(); // apt-get needs the machine's network, not the LAN's
        System.err.println("kubeha up: the LAN: namespaces " + Lab.LAN + " (bridge br0) and khup-HOST for "
                + String.join(", ", lab.net.hosts()) + " on " + lab.net.masters().getFirst().replaceAll("\\.\\d+\\.\\d+$", ".0.0/")
                + Lab.Layout.PREFIX);
        lab.buildLan();
        List<String> args = new ArrayList<>(List.of("up", "--netns", "--vip-mode", vipMode, "--dir", lab.dir.toString(), "--etcd", etcd.toString()));
        if (images != null) args.addAll(List.of("--images", images.toAbsolutePath().toString()));
        if (noApps) args.add("--no-apps");
        int exit = Lab.inAdmin(args.toArray(String[]::new));
        if (exit != 0 && lab.recorded().stream().noneMatch(Lab.Proc::alive)) lab.removeLan();
        return exit;
    }

    /** Debian's etcd-server, installed with apt-get when this runs as root; else one line saying what to run. */
    private void installEtcd() throws IOException, InterruptedException {
        if (!Lab.root() || !etcd.equals(Path.of("/usr/bin/etcd"))) {
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
        Lab.Layout net = lab.net;
        progress("etcd: 3 members on " + String.join(", ", net.etcd()));
        String cluster = String.join(",", List.of(0, 1, 2).stream().map(i -> "etcd" + (i + 1) + "=http://" + net.etcd().get(i) + ":2380").toList());
        for (int i = 0; i < 3; i++) {
            String ip = net.etcd().get(i);
            lab.start("etcd" + (i + 1), List.of(etcd.toString(), "--name", "etcd" + (i + 1), "--data-dir", lab.dir.resolve("etcd" + (i + 1)).toString(),
                    "--listen-client-urls", "http://" + ip + ":2379", "--advertise-client-urls", "http://" + ip + ":2379",
                    "--listen-peer-urls", "http://" + ip + ":2380", "--initial-advertise-peer-urls", "http://" + ip + ":2380",
                    "--initial-cluster", cluster, "--initial-cluster-token", "kubeha-up", "--initial-cluster-state", "new"));
        }
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        await("etcd to be healthy", lab, () -> net.etcd().stream().allMatch(ip -> {
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

        progress("master1: kubeha server on " + net.masters().getFirst() + ":" + Lab.API_PORT + ", candidate for the VIP " + net.vip()
                + " (" + vipMode + " mode)");
        startServer(lab, 0);
        Path admin1 = lab.dir.resolve("master1").resolve("admin.kubeconfig");
        await("master1's API server", lab, () -> ready(admin1, masterUrl(net, 0)));

        progress("master2, master3: the same PKI (copied, as the seed's runbook does), the same etcd");
        for (int i = 1; i < 3; i++) {
            Path pki = lab.dir.resolve("master" + (i + 1)).resolve("pki");
            if (!Files.exists(pki.resolve("ca.key"))) copyPki(lab.dir.resolve("master1").resolve("pki"), pki);
            startServer(lab, i);
        }
        for (int i = 1; i < 3; i++) {
            Path admin = lab.dir.resolve("master" + (i + 1)).resolve("admin.kubeconfig");
            String url = masterUrl(net, i);
            await("master" + (i + 1) + "'s API server", lab, () -> ready(admin, url));
        }
        // a master's agent talks to its own API server (kubeadm's fix of #1955), and its health lets its server hold the VIP
        progress("agents: master1-3 (role master) on their own API servers, node1-2 (role node) through the VIP; each joins"
                + " with a bootstrap token");
        BootstrapToken token = BootstrapToken.generate(new SecureRandom());
        try (KubernetesClient client = Clients.fromConfig(new io.fabric8.kubernetes.client.ConfigBuilder(
                io.fabric8.kubernetes.client.Config.fromKubeconfig(Files.readString(admin1))).withMasterUrl(masterUrl(net, 0)).build())) {
            Secret secret = JSON.treeToValue(BootstrapTokenSecrets.secret(token, Instant.now().plus(Duration.ofHours(1)),
                    List.of("authentication", "signing"), List.of(), "kubeha up"), Secret.class);
            client.secrets().inNamespace("kube-system").resource(secret).create();
        }
        String hash = Pki.caHash(io.kubeha.security.pki.Pem.certs(Files.readString(lab.dir.resolve("master1").resolve("pki")
                .resolve("ca.crt"))).getFirst());
        for (int i = 0; i < 3; i++) {
            startAgent(lab, "master" + (i + 1), "master", "https://" + net.masters().get(i) + ":" + Lab.API_PORT, token, hash);
        }
        // the users' kubeconfig: master1's admin credentials, through the VIP
        String vipUrl = "https://" + net.vip() + ":" + Lab.API_PORT;
        Files.writeString(lab.kubeconfig(), Files.readString(admin1).replace("https://" + net.masters().getFirst() + ":" + Lab.API_PORT, vipUrl)
                .replace("https://127.0.0.1:" + Lab.API_PORT, vipUrl));
        await("the VIP " + net.vip() + ":" + Lab.API_PORT + " (held once a master's agent answers)", lab, () -> ready(lab.kubeconfig()));
        for (int i = 0; i < 2; i++) {
            startAgent(lab, "node" + (i + 1), "node", vipUrl, token, hash);
        }

        try (KubernetesClient client = Clients.fromKubeconfig(lab.kubeconfig(), null)) {
            await("five Ready nodes", lab, () -> readyNodes(client) == 5);

            if (noApps) {
                step += 2;
            } else {
                progress("the cluster DNS on the masters (" + net.clusterDns() + ")");
                apply(client, "up/dns.yaml", Lab.Layout.LOOPBACK.clusterDns(), net.clusterDns());
                progress("logapi: 6 replicas on the workers, NodePort 31070");
                apply(client, "up/logapi.yaml", null, null);
                await("the cluster DNS and 6 logapi pods to be Ready", lab, () -> readyPods(client, "kube-system", "k8s-app", "kube-dns") >= 1
                        && readyPods(client, "default", "app", "logapi") == 6);
            }
        }
        System.err.println("kubeha up: the cluster is up (" + lab.dir + "); logs in " + lab.dir.resolve("logs"));
        System.out.println("export KUBECONFIG=" + lab.kubeconfig());
        String in = net.netns() ? "ip netns exec " + Lab.namespace("admin") + " " : "";
        if (net.netns()) {
            System.out.println("# the cluster's addresses are inside network namespaces: run clients in " + Lab.namespace("admin") + ", e.g.");
            System.out.println(in + "kubectl get nodes");
        }
        if (!noApps) System.out.println(in + "curl http://" + net.workers().getFirst() + ":31070/api/log/greeting");
        return 0;
    }

    private static String masterUrl(Lab.Layout net, int i) {
        return "https://" + net.masters().get(i) + ":" + Lab.API_PORT;
    }

    private void startServer(Lab lab, int i) throws IOException {
        String name = "master" + (i + 1);
        Lab.Layout net = lab.net;
        String ip = net.masters().get(i);
        List<String> args = new ArrayList<>(List.of("server", "--disable-agent", "--data-dir", lab.dir.resolve(name).toString(), "--store", "etcd:" + lab.etcdEndpoints(),
                "--vip", net.vip() + ":" + Lab.API_PORT, "--vip-mode", vipMode, "--vip-identity", name,
                "--vip-agent-healthz", "https://" + ip + ":" + Lab.AGENT_PORT + "/healthz"));
        if (vipMode.equals("keepalived")) {
            // keepalived puts the VIP on the interface: the API server answers on it itself
            args.addAll(List.of("--bind", "0.0.0.0:" + Lab.API_PORT, "--advertise-address", ip, "--vip-peers",
                    String.join(",", net.masters().stream().filter(m -> !m.equals(ip)).toList())));
        } else {
            args.addAll(List.of("--bind", ip + ":" + Lab.API_PORT));
        }
        if (net.netns()) args.addAll(List.of("--service-cidr", net.serviceCidr(), "--cluster-cidr", net.clusterCidr()));
        lab.start(name + "-server", Lab.kubeha(args.toArray(String[]::new)));
    }

    private void startAgent(Lab lab, String name, String role, String server, BootstrapToken token, String hash) throws IOException {
        List<String> args = new ArrayList<>(List.of("agent", "--server", server, "--token", token.toString(),
                "--discovery-token-ca-cert-hash", hash, "--node-name", name, "--node-ip", lab.net.address(name), "--port",
                Integer.toString(Lab.AGENT_PORT), "--data-dir", lab.dir.resolve(name).resolve("agent").toString(), "--image-store",
                lab.dir.resolve("images").toString(), "--node-labels", Lab.ROLE + "=" + role, "--cluster-dns", lab.net.clusterDns()));
        if (lab.net.netns()) args.add("--netns");
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
        return ready(kubeconfig, null);
    }

    /** Whether the API server at {@code url} (default: the kubeconfig's) is ready, asked with the kubeconfig's TLS. */
    private static boolean ready(Path kubeconfig, String url) {
        if (!Files.exists(kubeconfig)) return false;
        try (KubernetesClient c = Clients.fromKubeconfig(kubeconfig, null)) {
            String base = url != null ? url : c.getMasterUrl().toString().replaceAll("/$", "");
            return new io.kubeha.vip.HttpHealth(c.getHttpClient(), base + "/readyz", Duration.ofSeconds(5), "the API server").problem().isEmpty();
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

    /** Applies the manifests in {@code resource}, with {@code from} replaced by {@code to} (the layout's DNS address). */
    private static void apply(KubernetesClient client, String resource, String from, String to) throws IOException {
        byte[] yaml;
        try (var in = UpCommand.class.getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException("missing resource " + resource);
            yaml = in.readAllBytes();
        }
        if (from != null) yaml = new String(yaml, StandardCharsets.UTF_8).replace(from, to).getBytes(StandardCharsets.UTF_8);
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
