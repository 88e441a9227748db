package io.kubeha.agent;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.LifecycleBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeCondition;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeha.testkit.Kubectl;
import io.kubeha.testkit.Ports;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The agent against a real API server, running real processes: registration and heartbeat, a pod's process with
 * its own loopback IP and environment, restart after kill -9, graceful deletion, restart policy Never, logs from
 * the agent's endpoint, and an agent restart that takes back the running processes.
 */
class AgentTest {
    static final Duration WAIT = Duration.ofSeconds(30);
    static final String NODE_IP = "127.10.103.96";

    @TempDir
    Path dir;
    ApiFixture api;
    KubernetesClient client;
    Agent agent;

    @BeforeEach
    void setUp() throws Exception {
        api = new ApiFixture();
        client = api.client();
        agent = newAgent().start();
    }

    private Agent newAgent() throws IOException {
        Agent.Config config = Agent.Config.defaults("node1", NODE_IP, dir.resolve("agent"), "127.64.1.0/24")
                .withLabels(Map.of("kubeadm.alpha.kubernetes.io/role", "node"))
                .withPort(Ports.free(InetAddress.getByName(NODE_IP)))
                .withImageStore(dir.resolve("images"))
                .withHeartbeat(Duration.ofSeconds(40), Duration.ofSeconds(1), Duration.ofMinutes(5))
                .withBackoff(Duration.ofMillis(500), Duration.ofSeconds(2))
                .withClusterDns("127.20.0.10", "cluster.local");
        return new Agent(api.client(), config);
    }

    @AfterEach
    void tearDown() throws Exception {
        // delete what runs so that no process outlives the test
        if (agent != null) {
            client.pods().inAnyNamespace().list().getItems().forEach(p -> client.pods().resource(p).withGracePeriod(1).delete());
            await().atMost(WAIT).until(() -> client.pods().inAnyNamespace().list().getItems().isEmpty());
            agent.close();
        }
        api.close();
        killLeftovers(dir);
    }

    /**
     * A safety net, so that no container outlives the test even when the agent lost track of one (seen rarely
     * with containers that ignore SIGTERM and are restarted by liveness kills; under investigation): whatever
     * still runs in a folder of the test's is killed, and said.
     */
    static void killLeftovers(Path dir) {
        String root = dir.toAbsolutePath().toString();
        ProcessHandle.allProcesses().forEach(h -> {
            try {
                String cwd = Files.readSymbolicLink(Path.of("/proc", Long.toString(h.pid()), "cwd")).toString();
                if (cwd.startsWith(root + "/")) {
                    System.err.println("AgentTest: killing a container process left running: " + h.pid() + " in " + cwd);
                    h.descendants().forEach(ProcessHandle::destroyForcibly);
                    h.destroyForcibly();
                }
            } catch (IOException | UnsupportedOperationException | SecurityException e) {
                // gone, or not ours to read
            }
        });
    }

    private static Pod pod(String name, String script, String restartPolicy) {
        return new PodBuilder().withNewMetadata().withName(name).withNamespace("default").endMetadata()
                .withNewSpec().withNodeName("node1").withRestartPolicy(restartPolicy).withTerminationGracePeriodSeconds(5L)
                .addNewContainer().withName("main").withImage("busybox").withCommand("sh", "-c", script)
                .addNewEnv().withName("MY_NAME").withNewValueFrom().withNewFieldRef().withFieldPath("metadata.name").endFieldRef().endValueFrom().endEnv()
                .addNewEnv().withName("GREETING").withValue("hello from $(MY_NAME)").endEnv()
                .endContainer().endSpec().build();
    }

    private Pod get(String name) {
        return client.pods().inNamespace("default").withName(name).get();
    }

    private static ContainerStatus main(Pod p) {
        return p.getStatus().getContainerStatuses().getFirst();
    }

    private static long pid(ContainerStatus cs) {
        return Long.parseLong(cs.getContainerID().substring("process://".length()));
    }

    @Test
    void registersItsNodeAndRenewsItsLease() {
        Node n = client.nodes().withName("node1").get();
        assertThat(n.getMetadata().getLabels()).containsEntry("kubeadm.alpha.kubernetes.io/role", "node")
                .containsEntry("kubernetes.io/hostname", "node1");
        assertThat(n.getStatus().getAddresses()).anySatisfy(a -> {
            assertThat(a.getType()).isEqualTo("InternalIP");
            assertThat(a.getAddress()).isEqualTo(NODE_IP);
        });
        assertThat(n.getStatus().getConditions()).filteredOn(c -> c.getType().equals("Ready")).extracting(NodeCondition::getStatus)
                .containsExactly("True");
        assertThat(n.getStatus().getNodeInfo().getKubeletVersion()).startsWith("v1.");
        assertThat(n.getStatus().getAllocatable()).containsKeys("cpu", "memory", "pods");
        assertThat(n.getSpec().getPodCIDR()).isEqualTo("127.64.1.0/24");
        var first = client.leases().inNamespace("kube-node-lease").withName("node1").get().getSpec().getRenewTime();
        await().atMost(WAIT).until(() -> client.leases().inNamespace("kube-node-lease").withName("node1").get()
                .getSpec().getRenewTime().isAfter(first));
    }

    @Test
    void runsAPodAsAProcessWithItsOwnAddressRestartsItAfterKill9AndStopsItOnDelete() throws Exception {
        client.pods().resource(pod("web", "echo \"$GREETING at $POD_IP as $HOSTNAME\"; exec sleep 600", "Always")).create();
        await().atMost(WAIT).until(() -> {
            Pod p = get("web");
            return p.getStatus() != null && "Running".equals(p.getStatus().getPhase()) && Boolean.TRUE.equals(main(p).getReady());
        });
        Pod p = get("web");
        assertThat(p.getStatus().getPodIP()).startsWith("127.64.1.").isNotEqualTo("127.64.1.1");
        assertThat(p.getStatus().getHostIP()).isEqualTo(NODE_IP);
        assertThat(p.getStatus().getConditions()).filteredOn(c -> c.getType().equals("Ready")).extracting(c -> c.getStatus())
                .containsExactly("True");
        long pid = pid(main(p));
        assertThat(ProcessHandle.of(pid)).get().matches(ProcessHandle::isAlive);

        // the agent's endpoint serves the container's output
        String log = await().atMost(WAIT).until(() -> logs("web", ""), l -> !l.isEmpty());
        assertThat(log).isEqualTo("hello from web at " + p.getStatus().getPodIP() + " as web\n");

        // kill -9: the agent restarts it, counts the restart and shows how the last run ended
        new ProcessBuilder("kill", "-9", Long.toString(pid)).start().waitFor();
        await().atMost(WAIT).until(() -> {
            ContainerStatus cs = main(get("web"));
            return cs.getRestartCount() == 1 && cs.getState().getRunning() != null;
        });
        ContainerStatus cs = main(get("web"));
        assertThat(cs.getLastState().getTerminated().getExitCode()).isEqualTo(137);
        assertThat(pid(cs)).isNotEqualTo(pid);
        assertThat(logs("web", "previous=true")).startsWith("hello from web");
        assertThat(get("web").getStatus().getPodIP()).isEqualTo(p.getStatus().getPodIP());

        // delete: SIGTERM stops it, then the agent removes the pod object for good
        long second = pid(cs);
        client.pods().inNamespace("default").withName("web").delete();
        await().atMost(WAIT).until(() -> get("web") == null);
        assertThat(ProcessHandle.of(second).filter(ProcessHandle::isAlive)).isEmpty();
    }

    @Test
    void aPodSeesItsOwnResolvConfAndHostsAtTheirPaths() throws Exception {
        client.pods().resource(pod("dnsview", "cat /etc/resolv.conf /etc/hosts; exec sleep 600", "Always")).create();
        await().atMost(WAIT).until(() -> Optional.ofNullable(get("dnsview").getStatus()).map(s -> "Running".equals(s.getPhase())).orElse(false));
        String log = await().atMost(WAIT).until(() -> logs("dnsview", ""), l -> l.contains("Kubernetes-managed hosts file"));
        assertThat(log).contains("search default.svc.cluster.local svc.cluster.local cluster.local\n", "nameserver 127.20.0.10\n",
                "options ndots:5\n", get("dnsview").getStatus().getPodIP() + "\tdnsview\n");
        // only the pod sees them: the machine's own files are untouched
        assertThat(java.nio.file.Files.readString(Path.of("/etc/resolv.conf"))).doesNotContain("127.20.0.10");
    }

    @Test
    void volumesAppearAtTheirMountPaths() throws Exception {
        Path mnt = dir.resolve("mnt");
        client.configMaps().inNamespace("default").resource(new io.fabric8.kubernetes.api.model.ConfigMapBuilder()
                .withNewMetadata().withName("app-config").endMetadata()
                .addToData("app.properties", "color=blue\n").addToData("unused", "x").build()).create();
        client.secrets().inNamespace("default").resource(new io.fabric8.kubernetes.api.model.SecretBuilder()
                .withNewMetadata().withName("app-secret").endMetadata().addToStringData("password", "s3cret").build()).create();
        String reader = "for i in 1 2 3 4 5 6 7 8 9 10; do [ -f " + mnt + "/scratch/from-writer ] && break; sleep 0.3; done; "
                + "cat " + mnt + "/config/conf/app.properties " + mnt + "/secret/password; echo; cat " + mnt + "/scratch/from-writer; "
                + "ls " + mnt + "/config/conf; stat -c %a " + mnt + "/config/conf/app.properties; exec sleep 600";
        Pod p = new PodBuilder().withNewMetadata().withName("vols").withNamespace("default").endMetadata()
                .withNewSpec().withNodeName("node1").withTerminationGracePeriodSeconds(2L)
                .addNewVolume().withName("config").withNewConfigMap().withName("app-config").withDefaultMode(0640)
                .addNewItem().withKey("app.properties").withPath("conf/app.properties").endItem().endConfigMap().endVolume()
                .addNewVolume().withName("secret").withNewSecret().withSecretName("app-secret").endSecret().endVolume()
                .addNewVolume().withName("scratch").withNewEmptyDir().endEmptyDir().endVolume()
                .addNewContainer().withName("main").withImage("busybox").withCommand("sh", "-c", reader)
                .addNewVolumeMount().withName("config").withMountPath(mnt + "/config").endVolumeMount()
                .addNewVolumeMount().withName("secret").withMountPath(mnt + "/secret").endVolumeMount()
                .addNewVolumeMount().withName("scratch").withMountPath(mnt + "/scratch").endVolumeMount()
                .endContainer()
                .addNewContainer().withName("writer").withImage("busybox")
                .withCommand("sh", "-c", "echo written > " + mnt + "/scratch/from-writer; exec sleep 600")
                .addNewVolumeMount().withName("scratch").withMountPath(mnt + "/scratch").endVolumeMount()
                .endContainer().endSpec().build();
        client.pods().resource(p).create();
        String log = await().atMost(WAIT).until(() -> logs("vols", ""), l -> l.lines().count() >= 5);
        assertThat(log).isEqualTo("color=blue\ns3cret\nwritten\napp.properties\n640\n");
        // the pod's view only: on the machine, the mount points are empty folders
        assertThat(java.nio.file.Files.list(mnt.resolve("config")).toList()).isEmpty();
    }

    @Test
    void aMissingConfigMapKeepsTheContainerCreatingAndSaysWhy() {
        client.pods().resource(new PodBuilder().withNewMetadata().withName("nocm").withNamespace("default").endMetadata()
                .withNewSpec().withNodeName("node1")
                .addNewVolume().withName("cfg").withNewConfigMap().withName("absent").endConfigMap().endVolume()
                .addNewContainer().withName("main").withImage("busybox").withCommand("sleep", "600")
                .addNewVolumeMount().withName("cfg").withMountPath("/nonexistent-kubeha-test").endVolumeMount().endContainer()
                .endSpec().build()).create();
        await().atMost(WAIT).ignoreExceptions().untilAsserted(() -> {
            var w = main(get("nocm")).getState().getWaiting();
            assertThat(w.getReason()).isEqualTo("ContainerCreating");
            assertThat(w.getMessage()).isEqualTo("MountVolume.SetUp failed for volume \"cfg\" : configmap \"absent\" not found");
        });
    }

    @Test
    void aContainerPastItsMemoryLimitIsOomKilled() {
        client.pods().resource(new PodBuilder().withNewMetadata().withName("hog").withNamespace("default").endMetadata()
                .withNewSpec().withNodeName("node1").withRestartPolicy("Never")
                .addNewContainer().withName("main").withImage("busybox").withCommand("tail", "/dev/zero")
                .withNewResources().addToLimits("memory", new io.fabric8.kubernetes.api.model.Quantity("32Mi")).endResources()
                .endContainer().endSpec().build()).create();
        await().atMost(WAIT).ignoreExceptions().untilAsserted(() -> {
            var t = main(get("hog")).getState().getTerminated();
            assertThat(t.getReason()).isEqualTo("OOMKilled");
            assertThat(t.getExitCode()).isEqualTo(137);
        });
        assertThat(get("hog").getStatus().getPhase()).isEqualTo("Failed");
    }

    @Test
    void postStartRunsOnceTheContainerStartedAndPreStopBeforeItsSigterm() throws Exception {
        Path trace = dir.resolve("trace");
        Pod p = pod("hooked", "trap 'echo term >> " + trace + "; exit 0' TERM; while true; do sleep 0.2; done", "Always");
        p.getSpec().getContainers().getFirst().setLifecycle(new LifecycleBuilder()
                .withNewPostStart().withNewExec().withCommand("sh", "-c", "echo poststart >> " + trace).endExec().endPostStart()
                .withNewPreStop().withNewExec().withCommand("sh", "-c", "echo prestop >> " + trace).endExec().endPreStop()
                .build());
        client.pods().resource(p).create();
        await().atMost(WAIT).until(() -> {
            Pod now = get("hooked");
            return now.getStatus() != null && Boolean.TRUE.equals(main(now).getReady());
        });
        assertThat(Files.readString(trace)).isEqualTo("poststart\n");

        client.pods().inNamespace("default").withName("hooked").delete();
        await().atMost(WAIT).until(() -> get("hooked") == null);
        assertThat(Files.readString(trace)).isEqualTo("poststart\nprestop\nterm\n");
    }

    @Test
    void aLivenessKillUsesTheProbesOwnGracePeriod() {
        // the container ignores SIGTERM and the pod gives it 10 minutes: only the probe's 1 s lets it be restarted
        Pod p = pod("stubborn", "trap '' TERM; while true; do sleep 0.2; done", "Always");
        p.getSpec().setTerminationGracePeriodSeconds(600L);
        p.getSpec().getContainers().getFirst().setLivenessProbe(new io.fabric8.kubernetes.api.model.ProbeBuilder()
                .withNewExec().withCommand("false").endExec().withPeriodSeconds(1).withFailureThreshold(1)
                // a first probe before the shell has set its trap would end it by SIGTERM (143): a loaded CI run saw it
                .withInitialDelaySeconds(2).withTerminationGracePeriodSeconds(1L).build());
        client.pods().resource(p).create();
        await().atMost(WAIT).until(() -> {
            Pod now = get("stubborn");
            return now.getStatus() != null && now.getStatus().getContainerStatuses() != null
                    && main(now).getRestartCount() >= 1;
        });
        assertThat(main(get("stubborn")).getLastState().getTerminated().getExitCode()).isEqualTo(137);
    }

    @Test
    void aSecondDeletionWithAShorterGracePeriodCutsTheStopShort() {
        Pod p = pod("slow", "trap '' TERM; while true; do sleep 0.2; done", "Always");
        p.getSpec().setTerminationGracePeriodSeconds(600L);
        client.pods().resource(p).create();
        await().atMost(WAIT).until(() -> {
            Pod now = get("slow");
            return now.getStatus() != null && "Running".equals(now.getStatus().getPhase());
        });
        long pid = pid(main(get("slow")));
        client.pods().inNamespace("default").withName("slow").delete(); // 600 s to go
        await().atMost(WAIT).until(() -> get("slow").getMetadata().getDeletionTimestamp() != null);
        client.pods().inNamespace("default").withName("slow").withGracePeriod(1).delete();
        await().atMost(WAIT).until(() -> get("slow") == null);
        assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).isEmpty();
    }

    @Test
    void aFailingPostStartHookKillsTheContainerAndSaysWhy() {
        Pod p = pod("badhook", "exec sleep 600", "Always");
        p.getSpec().getContainers().getFirst().setLifecycle(new LifecycleBuilder()
                .withNewPostStart().withNewExec().withCommand("sh", "-c", "echo no way; exit 7").endExec().endPostStart().build());
        client.pods().resource(p).create();
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(main(get("badhook")).getRestartCount()).isPositive();
            assertThat(client.v1().events().inNamespace("default").list().getItems())
                    .filteredOn(e -> "badhook".equals(e.getInvolvedObject().getName()) && "FailedPostStartHook".equals(e.getReason()))
                    .isNotEmpty()
                    .allSatisfy(e -> assertThat(e.getMessage()).contains("exited with 7: no way"));
        });
    }

    @Test
    void restartPolicyNeverLeavesAFailedPod() {
        client.pods().resource(pod("once", "echo bye; exit 3", "Never")).create();
        await().atMost(WAIT).until(() -> {
            Pod p = get("once");
            return p.getStatus() != null && "Failed".equals(p.getStatus().getPhase());
        });
        ContainerStatus cs = main(get("once"));
        assertThat(cs.getState().getTerminated().getExitCode()).isEqualTo(3);
        assertThat(cs.getState().getTerminated().getReason()).isEqualTo("Error");
        assertThat(cs.getRestartCount()).isZero();
    }

    @Test
    void aMissingImageSaysHowToImportIt() {
        client.pods().resource(new PodBuilder().withNewMetadata().withName("noimg").withNamespace("default").endMetadata()
                .withNewSpec().withNodeName("node1").addNewContainer().withName("c").withImage("nothere:1.0").endContainer().endSpec()
                .build()).create();
        await().atMost(WAIT).ignoreExceptions().untilAsserted(() -> {
            var w = main(get("noimg")).getState().getWaiting();
            assertThat(w.getReason()).isEqualTo("ErrImageNeverPull");
            assertThat(w.getMessage()).contains("kubeha image import nothere:1.0");
        });
    }

    @Test
    void aRestartedAgentTakesBackItsProcesses() throws Exception {
        client.pods().resource(pod("keep", "exec sleep 600", "Always")).create();
        await().atMost(WAIT).until(() -> Optional.ofNullable(get("keep").getStatus()).map(s -> "Running".equals(s.getPhase())).orElse(false));
        long pid = pid(main(get("keep")));
        agent.close();
        agent = newAgent().start();
        // still one process, the same, still Running and Ready with no restart; and deleting the pod stops it
        await().during(Duration.ofSeconds(2)).atMost(WAIT).until(() -> {
            ContainerStatus cs = main(get("keep"));
            return pid(cs) == pid && cs.getRestartCount() == 0 && ProcessHandle.of(pid).isPresent() && Boolean.TRUE.equals(cs.getReady());
        });
        client.pods().inNamespace("default").withName("keep").delete();
        await().atMost(WAIT).until(() -> get("keep") == null);
        assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).isEmpty();
    }

    @Test
    void kubectlLogsReachesTheAgentThroughTheApiServer() throws Exception {
        client.pods().resource(pod("talker", "for i in 1 2 3 4 5; do echo line $i; done; while true; do sleep 0.2; echo tick; done",
                "Always")).create();
        await().atMost(WAIT).until(() -> Optional.ofNullable(get("talker").getStatus()).map(s -> "Running".equals(s.getPhase())).orElse(false));
        Kubectl kubectl = new Kubectl(Kubectl.DEFAULT, Kubectl.writeKubeconfig(dir.resolve("kubeconfig"), api.url));
        await().atMost(WAIT).untilAsserted(() -> assertThat(kubectl.run("logs", "talker").orFail().out()).startsWith("line 1\nline 2\n"));
        assertThat(kubectl.run("logs", "talker", "--tail=1").orFail().out()).isEqualTo("tick\n");
        // -f follows: new lines keep coming while kubectl runs
        Path followed = dir.resolve("followed.txt");
        Process follow = kubectl.start(followed, "logs", "-f", "talker");
        try {
            await().atMost(WAIT).until(() -> java.nio.file.Files.readString(followed).lines().filter("tick"::equals).count() >= 10);
        } finally {
            follow.destroyForcibly().waitFor();
        }
        var noPrevious = kubectl.run("logs", "talker", "--previous");
        assertThat(noPrevious.exit()).isNotZero();
        assertThat(noPrevious.err()).contains("previous terminated container \"main\" in pod \"talker\" not found");
        var wrong = kubectl.run("logs", "talker", "-c", "nope");
        assertThat(wrong.err()).contains("container nope is not valid for pod talker");
    }

    private String logs(String pod, String query) throws Exception {
        var r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://" + NODE_IP + ":" + agent.endpoint().getPort()
                + "/containerLogs/default/" + pod + "/main?" + query)).build(), HttpResponse.BodyHandlers.ofString());
        return r.statusCode() == 200 ? r.body() : "";
    }

}
