package io.kubeha.cli;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeha.security.pki.Pem;

import javax.net.ssl.SSLContext;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code kubeha bench failover}: against a cluster of {@code kubeha up}, kill -9 the API server of the VIP holder
 * (with the controller-manager and scheduler inside it, leaders or not) again and again, and measure what a user
 * sees: how long {@code https://VIP:6443/readyz} does not answer, how long until the controller-manager and
 * scheduler Leases have a live holder again when the killed process led, and how many requests of a steady client
 * on NodePort 31070 failed. After each kill the server is started again and the cluster left to settle.
 */
final class FailoverBench {
    private final Lab lab;
    private final int rounds;
    private final PrintStream progress;

    FailoverBench(Lab lab, int rounds, PrintStream progress) {
        this.lab = lab;
        this.rounds = rounds;
        this.progress = progress;
    }

    record Round(String holder, double vipGapSeconds, double cmTakeoverSeconds, double schedulerTakeoverSeconds) {
    }

    String run() throws Exception {
        HttpClient vipHttp = HttpClient.newBuilder().sslContext(trusting()).connectTimeout(Duration.ofMillis(500)).build();
        HttpClient appHttp = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        AtomicLong requests = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        Thread load = Thread.ofVirtual().start(() -> {
            int i = 0;
            while (!stop.get()) {
                String node = lab.net.workers().get(i++ % 2);
                requests.incrementAndGet();
                try {
                    var r = appHttp.send(HttpRequest.newBuilder(URI.create("http://" + node + ":31070/api/log/greeting"))
                            .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
                    if (r.statusCode() != 200) failed.incrementAndGet();
                } catch (Exception e) {
                    failed.incrementAndGet();
                }
                sleep(50);
            }
        });
        List<Round> results = new ArrayList<>();
        try (KubernetesClient client = Clients.fromKubeconfig(lab.kubeconfig(), null)) {
            for (int r = 1; r <= rounds; r++) {
                String holder = vipHolder(client);
                Lab.Proc server = lab.find(holder + "-server").filter(Lab.Proc::alive)
                        .orElseThrow(() -> new Main.UserError("the VIP holder " + holder + " has no live server process in " + lab.dir));
                String cmBefore = holder(client, "kube-controller-manager");
                String schedBefore = holder(client, "kube-scheduler");
                boolean cmHere = cmBefore.contains("_" + server.pid() + "_");
                boolean schedHere = schedBefore.contains("_" + server.pid() + "_");
                long t0 = System.nanoTime();
                server.handle().ifPresent(io.kubeha.testkit.Processes::kill9);
                long vipBack = 0, cmBack = cmHere ? 0 : -1, schedBack = schedHere ? 0 : -1;
                long deadline = t0 + Duration.ofSeconds(120).toNanos();
                while ((vipBack == 0 || cmBack == 0 || schedBack == 0) && System.nanoTime() < deadline) {
                    if (vipBack == 0 && ready(vipHttp)) vipBack = System.nanoTime();
                    if (vipBack != 0) {
                        if (cmBack == 0 && !holder(client, "kube-controller-manager").equals(cmBefore)) cmBack = System.nanoTime();
                        if (schedBack == 0 && !holder(client, "kube-scheduler").equals(schedBefore)) schedBack = System.nanoTime();
                    }
                    sleep(20);
                }
                if (vipBack == 0) throw new Main.UserError("the VIP did not answer within 120 s of killing " + holder + "'s API server");
                Round round = new Round(holder, (vipBack - t0) / 1e9, cmBack <= 0 ? Double.NaN : (cmBack - t0) / 1e9,
                        schedBack <= 0 ? Double.NaN : (schedBack - t0) / 1e9);
                results.add(round);
                progress.printf("  round %d/%d: killed %s's API server; VIP back after %.2f s%s%s%n", r, rounds, holder, round.vipGapSeconds(),
                        cmHere ? String.format(", controller-manager leader after %.2f s", round.cmTakeoverSeconds()) : "",
                        schedHere ? String.format(", scheduler leader after %.2f s", round.schedulerTakeoverSeconds()) : "");
                lab.restart(holder + "-server");
                String ip = lab.net.masters().get(Integer.parseInt(holder.substring("master".length())) - 1);
                long settle = System.nanoTime() + Duration.ofSeconds(120).toNanos();
                while (!ready(vipHttp, "https://" + ip + ":" + Lab.API_PORT) && System.nanoTime() < settle) sleep(200);
                sleep(5_000); // its endpoint lease and agent back, the leaders settled
            }
        } finally {
            stop.set(true);
            load.join();
        }
        return table(results, requests.get(), failed.get());
    }

    private String table(List<Round> rounds, long requests, long failed) {
        StringBuilder sb = new StringBuilder();
        sb.append("| measure | rounds | median | worst |\n|---|---:|---:|---:|\n");
        row(sb, "API through the VIP unanswered after kill -9 of the holder's API server (s)", rounds.stream().map(Round::vipGapSeconds).toList());
        row(sb, "controller-manager Lease held by another after its leader's kill (s)",
                rounds.stream().map(Round::cmTakeoverSeconds).filter(d -> !d.isNaN()).toList());
        row(sb, "scheduler Lease held by another after its leader's kill (s)",
                rounds.stream().map(Round::schedulerTakeoverSeconds).filter(d -> !d.isNaN()).toList());
        sb.append(String.format("| NodePort 31070 requests failed | %d | %d of %d (%.3f%%) | |%n", rounds.size(), failed, requests,
                requests == 0 ? 0.0 : 100.0 * failed / requests));
        return sb.toString();
    }

    private static void row(StringBuilder sb, String what, List<Double> values) {
        if (values.isEmpty()) {
            sb.append("| ").append(what).append(" | 0 | | |\n");
            return;
        }
        List<Double> v = new ArrayList<>(values);
        Collections.sort(v);
        double median = v.size() % 2 == 1 ? v.get(v.size() / 2) : (v.get(v.size() / 2 - 1) + v.get(v.size() / 2)) / 2;
        sb.append(String.format("| %s | %d | %.2f | %.2f |%n", what, v.size(), median, v.getLast()));
    }

    /** The master holding the VIP: the one whose interface has the address (netns; keepalived has no Lease), else the Lease's holder. */
    private String vipHolder(KubernetesClient client) throws java.io.IOException {
        if (!lab.net.netns()) return holder(client, "kubeha-vip");
        List<String> on = lab.addressHolders();
        if (on.size() != 1) throw new Main.UserError("the VIP " + lab.net.vip() + " is on " + on.size() + " masters (" + on + "), not one");
        return on.getFirst();
    }

    private static String holder(KubernetesClient client, String lease) {
        try {
            Lease l = client.leases().inNamespace("kube-system").withName(lease).get();
            return l == null || l.getSpec() == null || l.getSpec().getHolderIdentity() == null ? "" : l.getSpec().getHolderIdentity();
        } catch (RuntimeException e) {
            return "";
        }
    }

    private boolean ready(HttpClient http) {
        return ready(http, "https://" + lab.net.vip() + ":" + Lab.API_PORT);
    }

    private static boolean ready(HttpClient http, String base) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(base + "/readyz")).timeout(Duration.ofMillis(500)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (Exception e) {
            return false;
        }
    }

    /** TLS trusting the cluster CA only: /readyz answers anonymous clients. */
    private SSLContext trusting() throws Exception {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, io.kubeha.security.pki.ReloadingKeyManager.trusting(
                Pem.certs(Files.readString(lab.dir.resolve("master1").resolve("pki").resolve("ca.crt")))), null);
        return ctx;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
