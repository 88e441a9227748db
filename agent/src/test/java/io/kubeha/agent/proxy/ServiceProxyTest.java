package io.kubeha.agent.proxy;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kubeha.agent.proxy.Endpoints.Client;
import io.kubeha.agent.proxy.Endpoints.LineServer;
import io.kubeha.agent.proxy.Endpoints.UdpEcho;
import io.kubeha.testkit.Ports;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static io.kubeha.agent.proxy.Endpoints.askOnce;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The service proxy against a real API server: the test writes Services and EndpointSlices itself (as the
 * endpoints controller would) and runs tiny servers on pod-like loopback addresses as the endpoints, then talks to
 * the node port or ClusterIP as a client would.
 */
class ServiceProxyTest {
    static final Duration WAIT = Duration.ofSeconds(20);
    static final String NODE_IP = "127.10.113.96";
    static final String POD_A = "127.64.209.2";
    static final String POD_B = "127.64.209.3";

    ProxyApi api;
    KubernetesClient client;
    final List<AutoCloseable> closing = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        api = new ProxyApi();
        client = api.client();
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : closing.reversed()) c.close();
        api.close();
    }

    private <T extends AutoCloseable> T closeLater(T c) {
        closing.add(c);
        return c;
    }

    private ServiceProxy proxy(String nodeName, String nodeIp) {
        return closeLater(new ServiceProxy(api.client(), ServiceProxy.Config.defaults(nodeName, nodeIp)
                .withBindRetry(Duration.ofMillis(200))).start());
    }

    private static ServicePort port(String name, String protocol, int port) {
        return new ServicePortBuilder().withName(name).withProtocol(protocol).withPort(port).build();
    }

    private Service service(String name, String type, String clusterIp, ServicePort... ports) {
        var b = new ServiceBuilder().withNewMetadata().withName(name).withNamespace("default").endMetadata()
                .withNewSpec().withType(type).withPorts(ports);
        if (clusterIp != null) b.withClusterIP(clusterIp);
        return client.services().resource(b.endSpec().build()).create();
    }

    /** A slice with one endpoint; {@code ports} maps port names to the endpoint's port numbers. */
    private EndpointSlice slice(String service, String name, String ip, boolean ready, String protocol, Map<String, Integer> ports) {
        var b = new EndpointSliceBuilder().withNewMetadata().withName(name).withNamespace("default")
                .addToLabels(Routes.SERVICE_NAME_LABEL, service).endMetadata()
                .withAddressType("IPv4")
                .addNewEndpoint().withAddresses(ip).withNodeName("node1").withNewConditions().withReady(ready).withServing(ready)
                .withTerminating(false).endConditions().endEndpoint();
        ports.forEach((n, p) -> b.addNewPort().withName(n).withProtocol(protocol).withPort(p).endPort());
        return b.build();
    }

    private void apply(EndpointSlice s) {
        client.discovery().v1().endpointSlices().resource(s).serverSideApply();
    }

    private static int freePort(String... ips) throws IOException {
        for (int attempt = 0; ; attempt++) {
            int p = Ports.free(InetAddress.getByName(ips[0]));
            boolean ok = true;
            for (String ip : ips) {
                try (var s = new java.net.ServerSocket()) {
                    s.bind(new InetSocketAddress(ip, p));
                } catch (IOException e) {
                    ok = false;
                }
            }
            if (ok || attempt > 20) return p;
        }
    }

    @Test
    void nodePortBalancesFailsOverAndDrainsNotReadyEndpoints() throws Exception {
        int podPort = freePort(POD_A, POD_B);
        LineServer a = closeLater(new LineServer("a", new InetSocketAddress(POD_A, podPort)));
        closeLater(new LineServer("b", new InetSocketAddress(POD_B, podPort)));
        Service svc = service("web", "NodePort", null, port("http", "TCP", 80));
        apply(slice("web", "web-a", POD_A, true, "TCP", Map.of("http", podPort)));
        apply(slice("web", "web-b", POD_B, true, "TCP", Map.of("http", podPort)));
        proxy("node1", NODE_IP);
        var nodePort = new InetSocketAddress(NODE_IP, svc.getSpec().getPorts().get(0).getNodePort());

        // round robin: both endpoints answer
        await().atMost(WAIT).ignoreExceptions().until(() -> askOnce(nodePort) != null);
        Set<String> answered = new HashSet<>();
        for (int i = 0; i < 6; i++) answered.add(askOnce(nodePort));
        assertThat(answered).containsExactlyInAnyOrder("a", "b");

        // endpoint a dies (its server closed, the slice still says ready): every request is still answered
        a.close();
        for (int i = 0; i < 10; i++) assertThat(askOnce(nodePort)).isEqualTo("b");

        // a comes back; a connection is held open to b; then b is marked not ready
        closeLater(new LineServer("a", new InetSocketAddress(POD_A, podPort)));
        await().atMost(WAIT).until(() -> "a".equals(askOnce(nodePort)));
        Client held = null;
        for (int i = 0; i < 4 && held == null; i++) {
            Client c = closeLater(new Client(nodePort));
            if (c.ask("first").startsWith("b ")) held = c;
        }
        assertThat(held).as("a connection that reached b").isNotNull();
        apply(slice("web", "web-b", POD_B, false, "TCP", Map.of("http", podPort)));
        // no new connection reaches b (once the change is seen: six in a row answered by a)...
        await().atMost(WAIT).until(() -> {
            for (int i = 0; i < 6; i++) if (!"a".equals(askOnce(nodePort))) return false;
            return true;
        });
        for (int i = 0; i < 10; i++) assertThat(askOnce(nodePort)).isEqualTo("a");
        // ...but the connection opened before keeps working until it is closed
        assertThat(held.ask("still there?")).isEqualTo("b still there?");
        held.close();
    }

    @Test
    void clusterIpIsSharedByTwoProxiesAndSurvivesOneOfThem() throws Exception {
        String clusterIp = "127.20.213.10";
        int port = freePort(clusterIp);
        int podPort = freePort(POD_A);
        closeLater(new LineServer("a", new InetSocketAddress(POD_A, podPort)));
        Service svc = service("api", "ClusterIP", clusterIp, port("", "TCP", port));
        assertThat(svc.getSpec().getClusterIP()).isEqualTo(clusterIp);
        apply(slice("api", "api-a", POD_A, true, "TCP", Map.of("", podPort)));
        ServiceProxy first = proxy("node1", "127.10.113.97");
        ServiceProxy second = proxy("node2", "127.10.113.98");
        String key = clusterIp + ":" + port + "/TCP";
        await().atMost(WAIT).until(() -> first.listening().contains(key) && second.listening().contains(key));

        var service = new InetSocketAddress(clusterIp, port);
        for (int i = 0; i < 10; i++) assertThat(askOnce(service)).isEqualTo("a");
        // half-close travels both ways: the client ends its side, the endpoint answers and ends, the client reads to the end
        try (Socket s = new Socket()) {
            s.connect(service, 2000);
            s.setSoTimeout(5000);
            s.getOutputStream().write("bye\n".getBytes(StandardCharsets.UTF_8));
            s.shutdownOutput();
            assertThat(new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("a bye\n");
        }

        first.close();
        assertThat(first.listening()).isEmpty();
        for (int i = 0; i < 10; i++) assertThat(askOnce(service)).isEqualTo("a");
    }

    @Test
    void endpointsSeeTheClientOrTheNodeAsKubeProxysRulesSay() throws Exception {
        String clusterIp = "127.20.213.12";
        int port = freePort(clusterIp);
        int podPort = freePort(POD_A);
        closeLater(new LineServer("a", new InetSocketAddress(POD_A, podPort)));
        Service cluster = service("snat", "NodePort", clusterIp, port("", "TCP", port));
        Service local = client.services().resource(new ServiceBuilder().withNewMetadata().withName("keep").withNamespace("default").endMetadata()
                .withNewSpec().withType("NodePort").withExternalTrafficPolicy("Local").withPorts(port("", "TCP", 80)).endSpec().build()).create();
        apply(slice("snat", "snat-a", POD_A, true, "TCP", Map.of("", podPort)));
        apply(slice("keep", "keep-a", POD_A, true, "TCP", Map.of("", podPort)));
        proxy("node1", NODE_IP);
        String clientIp = "127.0.0.77";
        var viaClusterIp = new InetSocketAddress(clusterIp, port);
        var viaNodePort = new InetSocketAddress(NODE_IP, cluster.getSpec().getPorts().get(0).getNodePort());
        var viaLocalNodePort = new InetSocketAddress(NODE_IP, local.getSpec().getPorts().get(0).getNodePort());
        await().atMost(WAIT).ignoreExceptions().until(() -> whoFrom(clientIp, viaLocalNodePort) != null && whoFrom(clientIp, viaNodePort) != null);

        // a ClusterIP keeps the client's address; a node port masquerades to the node unless its policy is Local
        assertThat(whoFrom(clientIp, viaClusterIp)).isEqualTo("a " + clientIp);
        assertThat(whoFrom(clientIp, viaNodePort)).isEqualTo("a " + NODE_IP);
        assertThat(whoFrom(clientIp, viaLocalNodePort)).isEqualTo("a " + clientIp);
    }

    /** Asks "who?" through {@code to} from a socket bound to {@code from}. */
    private static String whoFrom(String from, InetSocketAddress to) throws IOException {
        try (Socket s = new Socket()) {
            s.bind(new InetSocketAddress(from, 0));
            s.connect(to, 2000);
            s.setSoTimeout(5000);
            s.getOutputStream().write("who?\n".getBytes(StandardCharsets.UTF_8));
            return new java.io.BufferedReader(new java.io.InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
        }
    }

    @Test
    void aNodePortHeldByAnotherProcessIsTakenOnceFree() throws Exception {
        int podPort = freePort(POD_A);
        closeLater(new LineServer("a", new InetSocketAddress(POD_A, podPort)));
        ServerSocket blocker = null;
        for (int p = 30000 + new Random().nextInt(2000); blocker == null; p++) {
            ServerSocket s = new ServerSocket();
            try {
                s.bind(new InetSocketAddress(NODE_IP, p));
                blocker = closeLater(s);
            } catch (IOException e) {
                s.close();
            }
        }
        int nodePort = blocker.getLocalPort();
        ServicePort sp = port("http", "TCP", 80);
        sp.setNodePort(nodePort);
        Service svc = service("held", "NodePort", null, sp);
        apply(slice("held", "held-a", POD_A, true, "TCP", Map.of("http", podPort)));
        ServiceProxy proxy = proxy("node1", NODE_IP);
        String clusterKey = svc.getSpec().getClusterIP() + ":80/TCP";
        String nodeKey = NODE_IP + ":" + nodePort + "/TCP";
        // the proxy runs on (its ClusterIP listener is up) without the node port
        await().atMost(WAIT).until(() -> proxy.listening().contains(clusterKey));
        assertThat(proxy.listening()).doesNotContain(nodeKey);

        blocker.close();
        var node = new InetSocketAddress(NODE_IP, nodePort);
        await().atMost(WAIT).ignoreExceptions().until(() -> "a".equals(askOnce(node)));
        assertThat(proxy.listening()).contains(nodeKey);
    }

    @Test
    void udpThroughClusterIpWithSessionsThatMoveWhenTheirEndpointIsNoLongerReady() throws Exception {
        String clusterIp = "127.20.213.11";
        int port = freePort(clusterIp);
        int podPort = freePort(POD_A, POD_B);
        closeLater(new UdpEcho("dns-a", new InetSocketAddress(POD_A, podPort)));
        closeLater(new UdpEcho("dns-b", new InetSocketAddress(POD_B, podPort)));
        service("dns", "ClusterIP", clusterIp, port("dns", "UDP", port));
        apply(slice("dns", "dns-a", POD_A, true, "UDP", Map.of("dns", podPort)));
        apply(slice("dns", "dns-b", POD_B, true, "UDP", Map.of("dns", podPort)));
        proxy("node1", NODE_IP);

        try (DatagramSocket c = new DatagramSocket()) {
            c.setSoTimeout(300);
            var service = new InetSocketAddress(clusterIp, port);
            // the listener appears once the proxy has synced: ask until answered
            String answer = await().atMost(WAIT).ignoreExceptions().until(() -> exchange(c, service, "query 1"), a -> a != null);
            String first = answer.split(" ")[0];
            assertThat(answer).isEqualTo(first + " query 1");
            c.setSoTimeout(5000);
            // one client, one session: the same endpoint answers every datagram
            for (int i = 2; i <= 5; i++) assertThat(exchange(c, service, "query " + i)).isEqualTo(first + " query " + i);

            // its endpoint stops being ready: the client's next datagrams go to the other one
            String other = first.equals("dns-a") ? "dns-b" : "dns-a";
            apply(slice("dns", first, first.equals("dns-a") ? POD_A : POD_B, false, "UDP", Map.of("dns", podPort)));
            await().atMost(WAIT).until(() -> exchange(c, service, "again").equals(other + " again"));
            for (int i = 0; i < 3; i++) assertThat(exchange(c, service, "more")).isEqualTo(other + " more");
        }
    }

    /** Sends one datagram; the answer, which must come from the service's address as the client addressed it. */
    private static String exchange(DatagramSocket c, InetSocketAddress to, String payload) throws IOException {
        byte[] b = payload.getBytes(StandardCharsets.UTF_8);
        c.send(new DatagramPacket(b, b.length, to));
        byte[] buf = new byte[2048];
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        c.receive(p);
        assertThat(p.getSocketAddress()).isEqualTo(to);
        return new String(buf, 0, p.getLength(), StandardCharsets.UTF_8);
    }

    @Test
    void followsPortsAddedAndRemovedAndTheServiceDeleted() throws Exception {
        int podPort1 = freePort(POD_A);
        int podPort2 = freePort(POD_A);
        closeLater(new LineServer("one", new InetSocketAddress(POD_A, podPort1)));
        closeLater(new LineServer("two", new InetSocketAddress(POD_A, podPort2)));
        Service svc = service("multi", "NodePort", null, port("one", "TCP", 81));
        apply(slice("multi", "multi-a", POD_A, true, "TCP", Map.of("one", podPort1, "two", podPort2)));
        proxy("node1", NODE_IP);
        var one = new InetSocketAddress(NODE_IP, svc.getSpec().getPorts().get(0).getNodePort());
        await().atMost(WAIT).ignoreExceptions().until(() -> "one".equals(askOnce(one)));

        // a port added: its node port opens
        svc = client.services().inNamespace("default").withName("multi").edit(s -> {
            s.getSpec().getPorts().add(port("two", "TCP", 82));
            return s;
        });
        var two = new InetSocketAddress(NODE_IP, svc.getSpec().getPorts().get(1).getNodePort());
        await().atMost(WAIT).ignoreExceptions().until(() -> "two".equals(askOnce(two)));
        assertThat(askOnce(one)).isEqualTo("one");

        // the first port removed: its node port refuses connections, the other keeps answering
        client.services().inNamespace("default").withName("multi").edit(s -> {
            s.getSpec().getPorts().removeIf(p -> p.getName().equals("one"));
            return s;
        });
        await().atMost(WAIT).until(() -> refused(one));
        assertThat(askOnce(two)).isEqualTo("two");

        // the service deleted: no listener left
        client.services().inNamespace("default").withName("multi").delete();
        await().atMost(WAIT).until(() -> refused(two));
        assertThatThrownBy(() -> askOnce(two)).isInstanceOf(ConnectException.class);
    }

    private static boolean refused(InetSocketAddress to) {
        try {
            askOnce(to);
            return false;
        } catch (ConnectException e) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
