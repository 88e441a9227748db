package io.kubeha.agent.net;

import io.kubeha.client.net.Commands;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The pieces of --netns mode against the real kernel, inside a scratch network namespace standing for the node (the
 * machine's own namespace is never touched): pods' namespaces, veth pairs and bridge, ClusterIP addresses, routes to
 * other nodes. Needs root, iproute2 and nsenter: without them it fails, saying so.
 */
class NamespacePodNetworkTest {
    private final String node = "khtest-" + UUID.randomUUID().toString().substring(0, 8);
    private final List<String> uids = new ArrayList<>();
    private final List<Process> processes = new ArrayList<>();

    @BeforeEach
    void scratchNode() throws IOException {
        assertThat(PodNetwork.missingForNamespaces()).as("what these tests need").isEmpty();
        Commands.ip("netns", "add", node);
        Commands.ip("-n", node, "link", "set", "lo", "up");
    }

    @AfterEach
    void cleanUp() throws Exception {
        for (Process p : processes) {
            p.destroyForcibly();
            p.waitFor();
        }
        for (String uid : uids) new ProcessBuilder("ip", "netns", "del", "kh-" + uid).start().waitFor();
        new ProcessBuilder("ip", "netns", "del", node).start().waitFor();
    }

    private String uid() {
        String uid = UUID.randomUUID().toString();
        uids.add(uid);
        return uid;
    }

    @Test
    void podsGetNamespacesOnTheNodesBridgeAndBothBindOnePort() throws Exception {
        PodNetwork net = NamespacePodNetwork.create(node, "node-a", "10.244.9.0/24");
        String a = uid();
        String b = uid();
        net.setUp(a, "10.244.9.2");
        net.setUp(b, "10.244.9.3");

        assertThat(net.namespace(a)).contains(Path.of("/run/netns/kh-" + a));
        assertThat(Commands.ip("-n", "kh-" + a, "-o", "-4", "addr", "show", "dev", "eth0")).contains("inet 10.244.9.2/24");
        assertThat(Commands.ip("-n", "kh-" + a, "route", "show", "default")).contains("default via 10.244.9.1 dev eth0");
        assertThat(Commands.ip("-n", node, "-o", "-4", "addr", "show", "dev", ((NamespacePodNetwork) net).bridge())).contains("inet 10.244.9.1/24");
        assertThat(Commands.ip("-n", node, "-o", "link", "show", "master", ((NamespacePodNetwork) net).bridge()))
                .contains(NamespacePodNetwork.veth(a), NamespacePodNetwork.veth(b));
        assertThat(NamespacePodNetwork.veth(a)).hasSizeLessThanOrEqualTo(15);
        assertThat(Commands.run(List.of("nsenter", "--net=/run/netns/" + node, "cat", "/proc/sys/net/ipv4/ip_forward"), null)).isEqualTo("1\n");

        // both pods listen on 0.0.0.0:8080; each is reached from the other and from the node
        serve(a, "pod-a");
        serve(b, "pod-b");
        await().atMost(Duration.ofSeconds(20)).ignoreExceptions().untilAsserted(() -> {
            assertThat(fetch("kh-" + a, "10.244.9.3")).isEqualTo("pod-b");
            assertThat(fetch("kh-" + b, "10.244.9.2")).isEqualTo("pod-a");
            assertThat(fetch(node, "10.244.9.2")).isEqualTo("pod-a");
        });

        // an agent that restarts sets the same pods up again: nothing changes, the pods keep serving
        PodNetwork again = NamespacePodNetwork.create(node, "node-a", "10.244.9.0/24");
        again.setUp(a, "10.244.9.2");
        assertThat(Commands.ip("-n", "kh-" + a, "-o", "-4", "addr", "show", "dev", "eth0").strip().lines()).hasSize(1);
        assertThat(fetch(node, "10.244.9.3")).isEqualTo("pod-b");

        // tear-down: the namespace and the host end go; twice is fine; the other pod is untouched
        again.tearDown(a);
        again.tearDown(a);
        assertThat(Files.exists(Path.of("/run/netns/kh-" + a))).isFalse();
        assertThat(again.namespace(a)).isEmpty();
        assertThat(NamespacePodNetwork.linkExists(node, NamespacePodNetwork.veth(a))).isFalse();
        assertThat(fetch(node, "10.244.9.3")).isEqualTo("pod-b");
    }

    @Test
    void aLoopbackPodCidrIsRefusedWithAReason() {
        assertThatThrownBy(() -> NamespacePodNetwork.create(node, "node-a", "127.64.1.0/24"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("loopback").hasMessageContaining("10.244.1.0/24");
    }

    @Test
    void clusterIpsBecomeAddressesOfTheNodeAndGoWithTheirServices() throws Exception {
        ServiceAddresses addresses = new ServiceAddresses(node);
        addresses.keep(List.of("10.96.0.10", "10.96.0.1", "127.20.0.5"));
        assertThat(addresses.current()).containsExactlyInAnyOrder("10.96.0.10", "10.96.0.1");
        assertThat(Commands.ip("-n", node, "route", "get", "10.96.0.10")).startsWith("local 10.96.0.10");

        // a restarted agent adopts them and removes what no service wants
        ServiceAddresses restarted = new ServiceAddresses(node);
        restarted.keep(List.of("10.96.0.10", "10.96.0.20"));
        assertThat(restarted.current()).containsExactlyInAnyOrder("10.96.0.10", "10.96.0.20");
        restarted.keep(List.of());
        assertThat(restarted.current()).isEmpty();
    }

    @Test
    void otherNodesPodCidrsAreRoutedThroughTheirInternalIps() throws Exception {
        // the LAN, as far as routes care
        Commands.batch(node, List.of("link add lan0 type bridge", "addr add 10.10.102.92/24 dev lan0", "link set lan0 up"));
        Map<String, String> want = NodeRoutes.wanted(List.of(
                node("node1", "10.244.1.0/24", "10.10.102.92"),
                node("node2", "10.244.2.0/24", "10.10.102.93"),
                node("loopy", "127.64.9.0/24", "127.10.103.9"),
                node("fresh", null, "10.10.102.94")), "node1");
        assertThat(want).isEqualTo(Map.of("10.244.2.0/24", "10.10.102.93"));

        NodeRoutes routes = new NodeRoutes(null, "node1", node, Duration.ofSeconds(1));
        routes.apply(Map.of("10.244.2.0/24", "10.10.102.93", "10.244.3.0/24", "10.10.102.94"));
        assertThat(Commands.ip("-n", node, "route", "get", "10.244.3.7")).contains("via 10.10.102.94");
        NodeRoutes restarted = new NodeRoutes(null, "node1", node, Duration.ofSeconds(1));
        assertThat(restarted.current()).isEqualTo(Map.of("10.244.2.0/24", "10.10.102.93", "10.244.3.0/24", "10.10.102.94"));
        restarted.apply(Map.of("10.244.2.0/24", "10.10.102.95"));
        assertThat(restarted.current()).isEqualTo(Map.of("10.244.2.0/24", "10.10.102.95"));
        assertThat(Commands.ip("-n", node, "-o", "route", "show")).doesNotContain("10.244.3.0/24");
    }

    private static Node node(String name, String cidr, String ip) {
        return new NodeBuilder().withNewMetadata().withName(name).endMetadata().withNewSpec().withPodCIDR(cidr).endSpec()
                .withNewStatus().addNewAddress().withType("InternalIP").withAddress(ip).endAddress().endStatus().build();
    }

    /** A process in the pod's namespace that answers every connection on 0.0.0.0:8080 with {@code text}. */
    private void serve(String uid, String text) throws IOException {
        String code = "import socket\ns=socket.socket()\ns.bind(('0.0.0.0',8080))\ns.listen()\nwhile True:\n c,_=s.accept()\n c.sendall(b'"
                + text + "')\n c.close()\n";
        processes.add(new ProcessBuilder("nsenter", "--net=/run/netns/kh-" + uid, "/usr/bin/python3", "-c", code)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start());
    }

    /** What {@code ip}:8080 answers, asked from inside the named namespace. */
    private static String fetch(String netns, String ip) throws IOException {
        return Commands.run(List.of("nsenter", "--net=/run/netns/" + netns, "/usr/bin/python3", "-c",
                "import socket\nprint(socket.create_connection(('" + ip + "',8080),3).recv(100).decode(),end='')"), null);
    }

}
