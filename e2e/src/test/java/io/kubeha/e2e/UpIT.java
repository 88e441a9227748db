package io.kubeha.e2e;

import io.kubeha.cli.Main;
import io.kubeha.testkit.ChildJvm;
import io.kubeha.testkit.Kubectl;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code kubeha up} as a newcomer runs it: the seed's cluster (3 etcd members, 3 masters behind the VIP, 2 workers,
 * the cluster DNS, logapi) comes up; the seed's transcript holds through the VIP; one round of {@code kubeha bench
 * failover} (the holder's API server killed, measured, started again) and {@code kubeha status} work against it;
 * {@code kubeha down} leaves no process behind. The availability scenarios on the seed's own addresses are
 * {@link UpNetnsIpIT} and {@link UpNetnsKeepalivedIT}.
 */
@Tag("scenario")
class UpIT {
    static final Path IMAGES = Path.of("..", "logapi", "target", "images").toAbsolutePath().normalize();
    static final Duration WAIT = Duration.ofSeconds(120);

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    @Test
    void theSeedsClusterComesUpAndOutlivesItsVipHolder() throws Exception {
        assertThat(Path.of("/usr/bin/etcd")).as("etcd (Debian's etcd-server) is needed").isExecutable();
        Path lab = dir.resolve("lab");
        try {
            String kubeconfigLine;
            try (ChildJvm up = ChildJvm.start(Main.class, dir.resolve("up.log"), "up", "--dir", lab.toString(), "--images", IMAGES.toString())) {
                kubeconfigLine = up.nextLine(Duration.ofMinutes(6));
                assertThat(up.exitValue(Duration.ofSeconds(30))).isZero();
            }
            String log = Files.readString(dir.resolve("up.log"));
            assertThat(kubeconfigLine).as(log).isEqualTo("export KUBECONFIG=" + lab.resolve("admin.kubeconfig"));
            assertThat(log).contains("[1/6] etcd", "[6/6] logapi", "the cluster is up");
            Kubectl kubectl = new Kubectl(Kubectl.DEFAULT, lab.resolve("admin.kubeconfig"));

            // the seed's transcript: five hosts Ready with their roles, add-ons on masters, logapi on workers
            assertThat(kubectl.run("get", "nodes", "-L", "kubeadm.alpha.kubernetes.io/role", "--no-headers").orFail().out().lines()
                    .map(l -> l.replaceAll("\\s+", " ")).toList())
                    .hasSize(5).allMatch(l -> l.contains(" Ready "))
                    .anyMatch(l -> l.startsWith("master1 ") && l.endsWith(" master")).anyMatch(l -> l.startsWith("node2 ") && l.endsWith(" node"));
            assertThat(kubectl.run("get", "pods", "-n", "kube-system", "-l", "k8s-app=kube-dns", "-o", "jsonpath={.items[*].spec.nodeName}")
                    .orFail().out()).startsWith("master");
            assertThat(kubectl.run("get", "pods", "-l", "app=logapi", "-o", "jsonpath={.items[*].spec.nodeName}").orFail().out().split(" "))
                    .hasSize(6).allMatch(n -> n.startsWith("node"));
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
            assertThat(greeting(http, "127.10.103.96")).matches(LogapiSeedIT.GREETING.pattern());

            String holder = kubectl.run("get", "lease", "-n", "kube-system", "kubeha-vip", "-o", "jsonpath={.spec.holderIdentity}").orFail().out();
            assertThat(holder).isIn("master1", "master2", "master3");

            // the failover benchmark runs against it (one round here; BENCHMARKS.md has ten); the kills of whole masters,
            // their agents and their links are UpNetnsIpIT's and UpNetnsKeepalivedIT's
            Kubectl.Result bench = runKubeha("bench", "failover", "--dir", lab.toString(), "--rounds", "1");
            assertThat(bench.exit()).as(Files.readString(dir.resolve("bench.log"))).isZero();
            assertThat(bench.out()).contains("| API through the VIP unanswered", "| NodePort 31070 requests failed | 1 |");

            Kubectl.Result status = runKubeha("status", "--dir", lab.toString());
            assertThat(status.out()).contains("VIP 127.10.102.21 held by", holder + "-server", "running");
        } finally {
            runKubeha("down", "--dir", lab.toString());
        }
        assertThat(ProcessHandle.allProcesses().filter(p -> p.info().commandLine().orElse("").contains(lab.toString())))
                .as("processes of the lab after kubeha down").isEmpty();
    }

    private static String greeting(HttpClient http, String node) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://" + node + ":31070/api/log/greeting")).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    /** {@code kubeha ARGS} in a JVM of its own; its stdout. */
    private Kubectl.Result runKubeha(String... args) throws Exception {
        try (ChildJvm c = ChildJvm.start(Main.class, dir.resolve(args[0] + ".log"), args)) {
            int exit = c.exitValue(Duration.ofSeconds(60));
            return new Kubectl.Result(exit, String.join("\n", c.remainingLines(Duration.ofSeconds(5))), "");
        }
    }
}
