package io.kubeha.e2e;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.kubeha.testkit.ChildJvm;
import io.kubeha.testkit.Ports;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The seed's application test, end to end with real processes: {@code kubeha server} (API server,
 * controller-manager, scheduler), a master agent and two worker agents on loopback addresses, logapi deployed
 * from YAML with the real kubectl, reached through each worker's NodePort 31070, scaled, rolled from 1.0 to 2.0
 * under a client that never pauses, healed after kill -9 and delete, resolved through the cluster DNS (a pod of
 * the cluster, on the master), and its logs read with kubectl logs.
 */
@Tag("scenario")
class LogapiSeedIT {
    static final String ROLE = "kubeadm.alpha.kubernetes.io/role";
    static final String MASTER1 = "127.10.102.91";
    static final String NODE1 = "127.10.103.96";
    static final String NODE2 = "127.10.103.97";
    static final String CLUSTER_DNS = "127.20.0.10";
    static final Duration WAIT = Duration.ofSeconds(120);
    static final Path IMAGES = Path.of("..", "logapi", "target", "images").toAbsolutePath().normalize();

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    @Test
    void theSeedsApplicationTest() throws Exception {
        assertThat(IMAGES.resolve("logapi-1.0.jar")).as("logapi's images are built before the e2e tests").exists();
        System.out.println("logs in " + dir);
        // a node is NotReady 8 s after its agent stopped renewing, and its pods tolerate that for 5 s
        try (ProcessCluster c = ProcessCluster.start(dir, "--node-monitor-period", "1s", "--node-monitor-grace-period", "8s",
                "--default-not-ready-toleration-seconds", "5", "--default-unreachable-toleration-seconds", "5")) {
            agent(c, "master1", MASTER1, "127.64.91.0/24", "master");
            agent(c, "node1", NODE1, "127.64.96.0/24", "node");
            ChildJvm node2 = agent(c, "node2", NODE2, "127.64.97.0/24", "node");
            await().atMost(WAIT).untilAsserted(() -> assertThat(c.kubectl.run("get", "nodes").orFail().out())
                    .contains("master1", "node1", "node2").doesNotContain("NotReady"));

            c.kubectl.run(LOGAPI_YAML, WAIT, "apply", "-f", "-").orFail();
            awaitReady(c, 6);
            Map<String, Long> placement = placement(c);
            assertThat(placement.keySet()).containsExactlyInAnyOrder("node1", "node2");

            // the service proxies learn the endpoints through EndpointSlices a moment after the pods are Ready
            for (String node : List.of(NODE1, NODE2)) {
                await().atMost(WAIT).ignoreExceptions().until(() -> Http.get(node, 31070, "/api/log/greeting").status() == 200);
            }
            // each worker's NodePort answers, from several pods
            for (String node : List.of(NODE1, NODE2)) {
                Set<String> hostnames = new HashSet<>();
                for (int i = 0; i < 24; i++) {
                    Http.Response r = Http.get(node, 31070, "/api/log/greeting");
                    assertThat(r.status()).isEqualTo(200);
                    Matcher m = GREETING.matcher(r.body());
                    assertThat(m.matches()).as(r.body()).isTrue();
                    assertThat(m.group(3)).isEqualTo("1.0");
                    // as kube-proxy masquerades node-port traffic, the pod sees the node the request came in by
                    assertThat(r.body()).contains("Request from " + node + " ");
                    hostnames.add(m.group(2));
                }
                assertThat(hostnames).as("pods answering on %s:31070", node).hasSizeGreaterThan(1);
            }

            // scale out to 12 (6 and 6), in to 3 (both workers still used)
            c.kubectl.run("scale", "deployment", "logapi", "--replicas=12").orFail();
            awaitReady(c, 12);
            assertThat(placement(c)).isEqualTo(Map.of("node1", 6L, "node2", 6L));
            c.kubectl.run("scale", "deployment", "logapi", "--replicas=3").orFail();
            await().atMost(WAIT).untilAsserted(() -> {
                assertThat(live(c)).hasSize(3);
                assertThat(placement(c).keySet()).containsExactlyInAnyOrder("node1", "node2");
            });
            c.kubectl.run("scale", "deployment", "logapi", "--replicas=6").orFail();
            awaitReady(c, 6);

            // rolling update 1.0 -> 2.0 while a client keeps asking: every request answered
            List<String> failures = Collections.synchronizedList(new ArrayList<>());
            AtomicInteger answered = new AtomicInteger();
            AtomicBoolean stop = new AtomicBoolean();
            Thread client = Thread.ofPlatform().start(() -> {
                while (!stop.get()) {
                    try {
                        Http.Response r = Http.get(NODE1, 31070, "/api/log/greeting");
                        if (r.status() == 200) answered.incrementAndGet();
                        else failures.add(r.status() + " " + r.body());
                    } catch (Exception e) {
                        failures.add(e.toString());
                    }
                }
            });
            try {
                c.kubectl.run("set", "image", "deployment/logapi", "logapi=logapi:2.0").orFail();
                c.kubectl.run(null, WAIT, "rollout", "status", "deployment/logapi", "--timeout=120s").orFail();
            } finally {
                stop.set(true);
                client.join();
            }
            System.out.printf("rolling update: %d requests answered, %d failed%n", answered.get(), failures.size());
            assertThat(failures).as("requests during the rolling update").isEmpty();
            assertThat(answered.get()).isPositive();
            Matcher after = GREETING.matcher(Http.get(NODE2, 31070, "/api/log/greeting").body());
            assertThat(after.matches()).isTrue();
            assertThat(after.group(3)).isEqualTo("2.0");

            // self-healing: kill -9 a pod's process, it restarts; delete a pod, it is replaced
            Pod victim = live(c).getFirst();
            ContainerStatus cs = victim.getStatus().getContainerStatuses().getFirst();
            long pid = Long.parseLong(cs.getContainerID().replace("process://", ""));
            new ProcessBuilder("kill", "-9", Long.toString(pid)).start().waitFor();
            await().atMost(WAIT).until(() -> {
                Pod p = c.client.pods().inNamespace("default").withName(victim.getMetadata().getName()).get();
                ContainerStatus now = p.getStatus().getContainerStatuses().getFirst();
                return now.getRestartCount() == cs.getRestartCount() + 1 && Boolean.TRUE.equals(now.getReady());
            });
            String deleted = live(c).get(1).getMetadata().getName();
            c.kubectl.run("delete", "pod", deleted).orFail();
            await().atMost(WAIT).untilAsserted(() -> {
                assertThat(live(c)).hasSize(6).noneMatch(p -> p.getMetadata().getName().equals(deleted));
                assertThat(live(c)).allMatch(LogapiSeedIT::ready);
            });

            // kubectl logs shows a logapi pod's output
            String somePod = live(c).getFirst().getMetadata().getName();
            Http.get(NODE1, 31070, "/api/log/greeting");
            assertThat(c.kubectl.run("logs", somePod).orFail().out()).isNotEmpty();
            // kubectl logs -f follows: requests made while it runs show up in its output
            Path followed = dir.resolve("follow.txt");
            Process follow = c.kubectl.start(followed, "logs", "-f", "--tail=0", somePod);
            try {
                String podIp = c.client.pods().inNamespace("default").withName(somePod).get().getStatus().getPodIP();
                await().atMost(WAIT).untilAsserted(() -> {
                    Http.get(podIp, 8080, "/api/log/greeting?from=follow-test");
                    assertThat(Files.readString(followed)).contains("/api/log/greeting");
                });
            } finally {
                follow.destroyForcibly().waitFor();
            }
            // and logapi's own cluster log API, served by a pod that reads through the kubernetes service
            Http.Response podLog = Http.get(NODE1, 31070, "/api/log/pods/default/" + somePod + "?tailLines=2");
            assertThat(podLog.status()).as(podLog.body()).isEqualTo(200);
            assertThat(podLog.body()).contains("\"pod\":\"" + somePod + "\"", "\"lines\":[");
            Http.Response events = Http.get(NODE2, 31070, "/api/log/events?namespace=default");
            assertThat(events.status()).as(events.body()).isEqualTo(200);
            assertThat(events.body()).contains("ScalingReplicaSet");

            // the cluster DNS, on the master, answers a pod's lookups of service names
            c.kubectl.run(DNS_YAML, WAIT, "apply", "-f", "-").orFail();
            await().atMost(WAIT).untilAsserted(() -> assertThat(c.kubectl.run("get", "pods", "-n", "kube-system", "-l", "k8s-app=kube-dns",
                    "-o", "jsonpath={.items[*].spec.nodeName} {.items[*].status.containerStatuses[*].ready}").orFail().out())
                    .isEqualTo("master1 true"));
            String logapiIp = c.client.services().inNamespace("default").withName("logapi").get().getSpec().getClusterIP();
            String kubernetesIp = c.client.services().inNamespace("default").withName("kubernetes").get().getSpec().getClusterIP();
            c.kubectl.run(LOOKUP_YAML, WAIT, "apply", "-f", "-").orFail();
            await().atMost(WAIT).untilAsserted(() -> {
                String out = c.kubectl.run("logs", "lookup").orFail().out();
                assertThat(out).contains(logapiIp + " ", kubernetesIp + " ");
            });

            // an agent dies: after the grace period and the pods' toleration, its pods run on the other worker
            node2.kill9();
            await().atMost(WAIT).untilAsserted(() -> assertThat(placement(c)).isEqualTo(Map.of("node1", 6L)));
            awaitReady(c, 6);
        }
    }

    static final Pattern GREETING = Pattern.compile(
            "\\{\"id\":(\\d+),\"content\":\"Hello, World! Request from [0-9.]+ hostname ([a-z0-9-]+)\",\"version\":\"([0-9.]+)\"}");

    static final String LOGAPI_YAML = """
            # logapi reads pods, their logs and events through the API, as its own ServiceAccount (least privilege)
            apiVersion: v1
            kind: ServiceAccount
            metadata: {name: logapi}
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRoleBinding
            metadata: {name: "kubeha:logapi"}
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "kubeha:logapi"}
            subjects: [{kind: ServiceAccount, name: logapi, namespace: default}]
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: logapi}
            spec:
              replicas: 6
              selector: {matchLabels: {app: logapi}}
              template:
                metadata: {labels: {app: logapi}}
                spec:
                  serviceAccountName: logapi
                  nodeSelector: {kubeadm.alpha.kubernetes.io/role: node}
                  terminationGracePeriodSeconds: 10
                  containers:
                  - name: logapi
                    image: logapi:1.0
                    ports: [{containerPort: 8080}]
                    resources: {limits: {memory: 128Mi}}
                    readinessProbe:
                      httpGet: {path: /readyz, port: 8080}
                      periodSeconds: 1
                    # as in Kubernetes, proxies learn that a pod is going (its EndpointSlice) at about the time
                    # the pod gets SIGTERM: serving on a few seconds lets them stop sending to it first
                    lifecycle:
                      preStop:
                        sleep: {seconds: 5}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: logapi}
            spec:
              type: NodePort
              selector: {app: logapi}
              ports: [{port: 80, targetPort: 8080, nodePort: 31070}]
            """;

    static final String DNS_YAML = dnsYaml("kubeadm.alpha.kubernetes.io/role: master", CLUSTER_DNS);

    /** The seed's kube-dns: one `kubeha dns` pod where {@code nodeSelector} says, and the kube-dns Service at {@code clusterIp}. */
    static String dnsYaml(String nodeSelector, String clusterIp) {
        return """
            # the cluster DNS reads Services, EndpointSlices and pods as kube-system/kube-dns (bound to system:kube-dns)
            apiVersion: v1
            kind: ServiceAccount
            metadata: {name: kube-dns, namespace: kube-system}
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: kube-dns, namespace: kube-system}
            spec:
              replicas: 1
              selector: {matchLabels: {k8s-app: kube-dns}}
              template:
                metadata: {labels: {k8s-app: kube-dns}}
                spec:
                  serviceAccountName: kube-dns
                  nodeSelector: {%s}
                  dnsPolicy: Default
                  containers:
                  - name: kubedns
                    image: kubeha:latest
                    args: [dns, --bind, $(POD_IP), --port, "53", --health-port, "8081"]
                    env: [{name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}]
                    readinessProbe:
                      httpGet: {path: /readyz, port: 8081}
                      periodSeconds: 1
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: kube-dns, namespace: kube-system, labels: {k8s-app: kube-dns}}
            spec:
              clusterIP: %s
              selector: {k8s-app: kube-dns}
              ports:
              - {name: dns, port: 53, protocol: UDP}
              - {name: dns-tcp, port: 53, protocol: TCP}
            """.formatted(nodeSelector, clusterIp);
    }

    static final String LOOKUP_YAML = """
            apiVersion: v1
            kind: Pod
            metadata: {name: lookup}
            spec:
              nodeSelector: {kubeadm.alpha.kubernetes.io/role: node}
              restartPolicy: OnFailure
              containers:
              - name: lookup
                image: tools:1.0
                command: [sh, -c, "getent hosts logapi.default.svc.cluster.local && getent hosts kubernetes.default.svc.cluster.local && exec sleep 600"]
            """;

    private ChildJvm agent(ProcessCluster c, String name, String ip, String podCidr, String role) throws Exception {
        int port = Ports.free(InetAddress.getByName(ip));
        Path data = Files.createDirectories(dir.resolve(name));
        return c.component(name, "agent", "--node-name", name, "--node-ip", ip, "--pod-cidr", podCidr, "--port", Integer.toString(port),
                "--data-dir", data.resolve("data").toString(), "--image-store", data.resolve("images").toString(),
                "--preload-images", IMAGES.toString(), "--node-labels", ROLE + "=" + role, "--cluster-dns", CLUSTER_DNS,
                "--container-restart-backoff", "1s", "--node-lease-renew-interval", "2s");
    }

    private static void awaitReady(ProcessCluster c, int n) {
        await().atMost(WAIT).untilAsserted(() -> {
            List<Pod> live = live(c);
            assertThat(live).hasSize(n);
            assertThat(live).allMatch(LogapiSeedIT::ready);
        });
    }

    private static boolean ready(Pod p) {
        return p.getStatus() != null && p.getStatus().getConditions() != null && p.getStatus().getConditions().stream()
                .anyMatch(x -> x.getType().equals("Ready") && x.getStatus().equals("True"));
    }

    private static List<Pod> live(ProcessCluster c) {
        return c.client.pods().inNamespace("default").withLabel("app", "logapi").list().getItems().stream()
                .filter(p -> p.getMetadata().getDeletionTimestamp() == null).toList();
    }

    private static Map<String, Long> placement(ProcessCluster c) {
        return live(c).stream().collect(Collectors.groupingBy(p -> String.valueOf(p.getSpec().getNodeName()), TreeMap::new,
                Collectors.counting()));
    }
}
