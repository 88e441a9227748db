package io.kubeha.dns;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Header;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static io.kubeha.dns.Dns.query;
import static io.kubeha.dns.Dns.rdata;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The cluster's records as a client sees them: a real API server in-process, the DNS server on loopback,
 * dnsjava's SimpleResolver as the client. Objects are written through the API as the controllers and agents
 * would (EndpointSlices as the endpoints controller writes them, pod IPs through pods/status).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClusterDnsTest {
    private static final String NS = "default";

    private ApiFixture api;
    private LocalUpstream upstream;
    private DnsServer dns;
    private InetSocketAddress server;
    private KubernetesClient c;

    @BeforeAll
    void start() throws Exception {
        api = new ApiFixture();
        c = api.client;
        upstream = new LocalUpstream("127.0.0.1");
        upstream.answer(new ARecord(Name.fromConstantString("db.example.org."), DClass.IN, 300, InetAddress.getByName("127.99.0.7")));
        DnsConfig config = DnsConfig.defaults()
                .withListen(new InetSocketAddress("127.0.0.1", 0))
                .withUpstreams(List.of(upstream.address()))
                .withHealth(new InetSocketAddress("127.0.0.1", 0));
        dns = api.closeLater(new DnsServer(api.newClient(), config).start());
        server = dns.address();
        await().atMost(ApiFixture.WAIT).until(dns::ready);
    }

    @AfterAll
    void stop() throws Exception {
        if (upstream != null) upstream.close();
        if (api != null) api.close();
    }

    // ---------------------------------------------------------------- objects

    private Service service(String name, String clusterIp) {
        ServiceBuilder b = new ServiceBuilder().withNewMetadata().withName(name).withNamespace(NS).endMetadata()
                .withNewSpec().addToSelector("app", name)
                .addNewPort().withName("http").withPort(80).withProtocol("TCP").endPort()
                .addNewPort().withName("dns").withPort(53).withProtocol("UDP").endPort().endSpec();
        if (clusterIp != null) b.editSpec().withClusterIP(clusterIp).endSpec();
        return c.services().inNamespace(NS).resource(b.build()).create();
    }

    private EndpointSlice slice(String service, String suffix, List<io.fabric8.kubernetes.api.model.discovery.v1.Endpoint> endpoints) {
        EndpointSlice s = new EndpointSliceBuilder().withNewMetadata().withName(service + "-" + suffix).withNamespace(NS)
                .addToLabels("kubernetes.io/service-name", service).endMetadata()
                .withAddressType("IPv4")
                .addNewPort().withName("http").withPort(8080).withProtocol("TCP").endPort()
                .withEndpoints(endpoints).build();
        return c.discovery().v1().endpointSlices().inNamespace(NS).resource(s).createOr(e -> e.update());
    }

    private static io.fabric8.kubernetes.api.model.discovery.v1.Endpoint ep(String ip, String hostname, boolean ready) {
        return new EndpointBuilder().withAddresses(ip).withHostname(hostname)
                .withNewConditions().withReady(ready).endConditions().build();
    }

    private static String fqdn(String svc) {
        return svc + "." + NS + ".svc.cluster.local.";
    }

    private Message awaitAnswer(String name, int type) {
        return await().atMost(ApiFixture.WAIT).until(() -> query(server, name, type),
                m -> m.getRcode() == Rcode.NOERROR && !m.getSection(Section.ANSWER).isEmpty());
    }

    // ---------------------------------------------------------------- services

    @Test
    void aServiceNameResolvesToItsClusterIp() {
        Service svc = service("web", null);
        String ip = svc.getSpec().getClusterIP();

        Message m = awaitAnswer(fqdn("web"), Type.A);

        assertThat(rdata(m, Section.ANSWER)).containsExactly("A " + ip);
        assertThat(m.getSection(Section.ANSWER).get(0).getTTL()).isEqualTo(5);
        assertThat(m.getHeader().getFlag(Flags.AA)).isTrue();
        // the API server's own service is there too, as every pod expects
        String kubernetes = c.services().inNamespace("default").withName("kubernetes").get().getSpec().getClusterIP();
        assertThat(rdata(query(server, "kubernetes.default.svc.cluster.local.", Type.A), Section.ANSWER))
                .containsExactly("A " + kubernetes);
        // names are case-insensitive
        assertThat(rdata(query(server, "WEB.Default.SVC.cluster.LOCAL.", Type.A), Section.ANSWER)).containsExactly("A " + ip);
    }

    @Test
    void aHeadlessServiceResolvesToItsReadyEndpointsAndTheirHostnames() {
        service("hl", "None");
        slice("hl", "a", List.of(ep("127.30.0.1", "web-0", true), ep("127.30.0.2", null, true), ep("127.30.0.3", "web-2", false)));

        Message m = await().atMost(ApiFixture.WAIT).until(() -> query(server, fqdn("hl"), Type.A),
                r -> r.getSection(Section.ANSWER).size() == 2);

        assertThat(rdata(m, Section.ANSWER)).containsExactly("A 127.30.0.1", "A 127.30.0.2");
        assertThat(rdata(query(server, "web-0." + fqdn("hl"), Type.A), Section.ANSWER)).containsExactly("A 127.30.0.1");
        // an endpoint without a hostname is named by its dashed IP, as CoreDNS does
        assertThat(rdata(query(server, "127-30-0-2." + fqdn("hl"), Type.A), Section.ANSWER)).containsExactly("A 127.30.0.2");
        // a not-ready endpoint has no record
        assertThat(query(server, "web-2." + fqdn("hl"), Type.A).getRcode()).isEqualTo(Rcode.NXDOMAIN);
    }

    @Test
    void aHeadlessServiceWithNoReadyEndpointIsNoDataNotNxdomain() {
        service("empty-hl", "None");
        Message m = await().atMost(ApiFixture.WAIT).until(() -> query(server, fqdn("empty-hl"), Type.A),
                r -> r.getRcode() == Rcode.NOERROR);
        assertThat(m.getSection(Section.ANSWER)).isEmpty();
        assertThat(rdata(m, Section.AUTHORITY)).singleElement().asString().startsWith("SOA ns.dns.cluster.local. hostmaster.cluster.local.");
    }

    @Test
    void srvRecordsForNamedPorts() {
        service("srv-c", null);
        service("srv-h", "None");
        slice("srv-h", "a", List.of(ep("127.31.0.1", "db-0", true), ep("127.31.0.2", "db-1", true)));

        Message clusterIp = awaitAnswer("_http._tcp." + fqdn("srv-c"), Type.SRV);
        assertThat(rdata(clusterIp, Section.ANSWER)).containsExactly("SRV 0 100 80 " + fqdn("srv-c"));
        assertThat(rdata(clusterIp, Section.ADDITIONAL)).contains("A " + c.services().inNamespace(NS).withName("srv-c").get().getSpec().getClusterIP());
        assertThat(rdata(query(server, "_dns._udp." + fqdn("srv-c"), Type.SRV), Section.ANSWER)).containsExactly("SRV 0 100 53 " + fqdn("srv-c"));
        // a port that the service does not have, or the wrong protocol
        assertThat(query(server, "_http._udp." + fqdn("srv-c"), Type.SRV).getRcode()).isEqualTo(Rcode.NXDOMAIN);

        // headless: one per ready endpoint, to its hostname and the endpoint's port
        Message headless = await().atMost(ApiFixture.WAIT).until(() -> query(server, "_http._tcp." + fqdn("srv-h"), Type.SRV),
                r -> r.getSection(Section.ANSWER).size() == 2);
        assertThat(rdata(headless, Section.ANSWER)).containsExactly(
                "SRV 0 50 8080 db-0." + fqdn("srv-h"), "SRV 0 50 8080 db-1." + fqdn("srv-h"));
        assertThat(rdata(headless, Section.ADDITIONAL)).contains("A 127.31.0.1", "A 127.31.0.2");
    }

    @Test
    void ptrForClusterIpsAndHeadlessEndpoints() throws Exception {
        Service svc = service("rev", null);
        service("rev-h", "None");
        slice("rev-h", "a", List.of(ep("127.32.0.9", "pet", true)));
        awaitAnswer(fqdn("rev"), Type.A);
        awaitAnswer(fqdn("rev-h"), Type.A);

        String reverse = org.xbill.DNS.ReverseMap.fromAddress(svc.getSpec().getClusterIP()).toString();
        assertThat(rdata(query(server, reverse, Type.PTR), Section.ANSWER)).containsExactly("PTR " + fqdn("rev"));
        assertThat(rdata(query(server, "9.0.32.127.in-addr.arpa.", Type.PTR), Section.ANSWER)).containsExactly("PTR pet." + fqdn("rev-h"));
    }

    @Test
    void anExternalNameServiceIsACnameChasedUpstream() {
        c.services().inNamespace(NS).resource(new ServiceBuilder().withNewMetadata().withName("ext").endMetadata()
                .withNewSpec().withType("ExternalName").withExternalName("db.example.org").endSpec().build()).create();

        Message m = awaitAnswer(fqdn("ext"), Type.A);

        assertThat(rdata(m, Section.ANSWER)).containsExactly("A 127.99.0.7", "CNAME db.example.org.");
        assertThat(m.getSection(Section.ANSWER).get(0).getType()).isEqualTo(Type.CNAME); // the CNAME first
        assertThat(rdata(query(server, fqdn("ext"), Type.CNAME), Section.ANSWER)).containsExactly("CNAME db.example.org.");
    }

    @Test
    void podARecordsAreVerifiedAgainstThePodsNamespace() {
        Pod p = c.pods().inNamespace(NS).resource(new PodBuilder().withNewMetadata().withName("p1").endMetadata()
                .withNewSpec().addNewContainer().withName("c").withImage("busybox").endContainer().endSpec().build()).create();
        c.pods().inNamespace(NS).resource(new PodBuilder(p).editOrNewStatus().withPhase("Running").withPodIP("127.40.0.5")
                .addNewPodIP().withIp("127.40.0.5").endPodIP().endStatus().build()).updateStatus();

        Message m = awaitAnswer("127-40-0-5.default.pod.cluster.local.", Type.A);

        assertThat(rdata(m, Section.ANSWER)).containsExactly("A 127.40.0.5");
        assertThat(query(server, "127-40-0-5.kube-system.pod.cluster.local.", Type.A).getRcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThat(query(server, "127-40-0-6.default.pod.cluster.local.", Type.A).getRcode()).isEqualTo(Rcode.NXDOMAIN);
    }

    @Test
    void unknownNamesAreNxdomainAndKnownNamesWithoutTheTypeAreNoData() {
        service("known", null);
        awaitAnswer(fqdn("known"), Type.A);

        Message nx = query(server, fqdn("nosuch"), Type.A);
        assertThat(nx.getRcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThat(nx.getHeader().getFlag(Flags.AA)).isTrue();
        assertThat(rdata(nx, Section.AUTHORITY)).singleElement().asString().startsWith("SOA ns.dns.cluster.local.");
        assertThat(nx.getSection(Section.AUTHORITY).get(0).getName()).isEqualTo(Name.fromConstantString("cluster.local."));
        assertThat(query(server, "nosuch-ns.svc.cluster.local.", Type.A).getRcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThat(query(server, "whatever.cluster.local.", Type.A).getRcode()).isEqualTo(Rcode.NXDOMAIN);

        for (String name : List.of(fqdn("known"), "default.svc.cluster.local.", "svc.cluster.local.")) {
            Message nodata = query(server, name, Type.AAAA);
            assertThat(nodata.getRcode()).as(name).isEqualTo(Rcode.NOERROR);
            assertThat(nodata.getSection(Section.ANSWER)).as(name).isEmpty();
            assertThat(rdata(nodata, Section.AUTHORITY)).as(name).singleElement().asString().startsWith("SOA ");
        }
        assertThat(rdata(query(server, "dns-version.cluster.local.", Type.TXT), Section.ANSWER)).containsExactly("TXT \"1.1.0\"");
        assertThat(rdata(query(server, "cluster.local.", Type.SOA), Section.ANSWER)).singleElement().asString().startsWith("SOA ");
    }

    @Test
    void recordsFollowTheClusterLive() {
        String name = fqdn("live");
        assertThat(query(server, name, Type.A).getRcode()).isEqualTo(Rcode.NXDOMAIN);

        service("live", "None");
        slice("live", "a", List.of(ep("127.33.0.1", null, true)));
        await().atMost(ApiFixture.WAIT).until(() -> rdata(query(server, name, Type.A), Section.ANSWER), r -> r.equals(List.of("A 127.33.0.1")));

        // endpoints change: one more, the first not ready any more
        slice("live", "a", List.of(ep("127.33.0.1", null, false), ep("127.33.0.2", null, true), ep("127.33.0.3", null, true)));
        await().atMost(ApiFixture.WAIT).until(() -> rdata(query(server, name, Type.A), Section.ANSWER),
                r -> r.equals(List.of("A 127.33.0.2", "A 127.33.0.3")));

        c.services().inNamespace(NS).withName("live").delete();
        await().atMost(ApiFixture.WAIT).until(() -> query(server, name, Type.A).getRcode() == Rcode.NXDOMAIN);
    }

    @Test
    void tcpQueriesAndTruncationOfLargeUdpAnswers() throws Exception {
        service("big", "None");
        List<io.fabric8.kubernetes.api.model.discovery.v1.Endpoint> eps = new ArrayList<>();
        for (int i = 1; i <= 60; i++) eps.add(ep("127.34.0." + i, null, true));
        slice("big", "a", eps);
        Message tcp = await().atMost(ApiFixture.WAIT).until(() -> query(server, fqdn("big"), Type.A, true),
                r -> r.getSection(Section.ANSWER).size() == 60);
        assertThat(tcp.getHeader().getFlag(Flags.TC)).isFalse();

        // a plain UDP query (no EDNS) gets at most 512 bytes, with TC set so the client retries over TCP
        Message q = Message.newQuery(Record.newRecord(Name.fromConstantString(fqdn("big")), Type.A, DClass.IN));
        byte[] reply = exchangeUdp(q.toWire());
        assertThat(reply.length).isLessThanOrEqualTo(512);
        Message truncated = new Message(reply);
        assertThat(truncated.getHeader().getFlag(Flags.TC)).isTrue();
        assertThat(truncated.getHeader().getID()).isEqualTo(q.getHeader().getID());

        // and dnsjava's resolver does just that
        SimpleResolver r = new SimpleResolver(server);
        r.setTimeout(Duration.ofSeconds(5));
        r.setEDNS(-1, 0, 0, List.of());
        assertThat(r.send(q).getSection(Section.ANSWER)).hasSize(60);
    }

    @Test
    void aMalformedPacketGetsFormerrAndTheServerGoesOn() throws Exception {
        byte[] header = {0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
        byte[] garbage = new byte[header.length + 5];
        System.arraycopy(header, 0, garbage, 0, header.length);
        garbage[header.length] = 60; // a label of 60 bytes, of which 4 follow
        byte[] reply = exchangeUdp(garbage);

        Header h = new Header(reply);
        assertThat(h.getID()).isEqualTo(0x1234);
        assertThat(h.getFlag(Flags.QR)).isTrue();
        assertThat(h.getRcode()).isEqualTo(Rcode.FORMERR);

        // too short to be a query: no answer, and no harm
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            s.send(new DatagramPacket(new byte[] {1, 2, 3}, 3, server));
        }
        assertThat(query(server, "kubernetes.default.svc.cluster.local.", Type.A).getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(query(server, "kubernetes.default.svc.cluster.local.", Type.A, true).getRcode()).isEqualTo(Rcode.NOERROR);
    }

    @Test
    void healthAndReadinessForProbes() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        String base = "http://127.0.0.1:" + dns.healthAddress().getPort();
        HttpResponse<String> ready = http.send(HttpRequest.newBuilder(URI.create(base + "/readyz")).build(), HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> healthy = http.send(HttpRequest.newBuilder(URI.create(base + "/healthz")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(healthy.statusCode()).isEqualTo(200);
        assertThat(dns.describe()).contains("cluster.local.", "udp+tcp", upstream.address().getPort() + "");
    }

    @Test
    void untilItHasListedTheClusterItIsNotReadyAndClusterNamesAreServfailNotNxdomain() throws Exception {
        // an API server that is not there: the informers never sync
        String nowhere = "http://127.0.0.1:" + io.kubeha.testkit.Ports.free(InetAddress.getLoopbackAddress());
        DnsServer blind = api.closeLater(new DnsServer(api.newClient(nowhere), DnsConfig.defaults()
                .withListen(new InetSocketAddress("127.0.0.1", 0)).withUpstreams(List.of(upstream.address()))
                .withHealth(new InetSocketAddress("127.0.0.1", 0))).start());

        assertThat(blind.ready()).isFalse();
        assertThat(query(blind.address(), "kubernetes.default.svc.cluster.local.", Type.A).getRcode()).isEqualTo(Rcode.SERVFAIL);
        assertThat(query(blind.address(), "1.0.20.127.in-addr.arpa.", Type.PTR).getRcode()).isEqualTo(Rcode.SERVFAIL);
        HttpResponse<String> ready = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + blind.healthAddress().getPort() + "/readyz")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(ready.statusCode()).isEqualTo(503);
        // other names do not wait for the cluster
        assertThat(rdata(query(blind.address(), "db.example.org.", Type.A), Section.ANSWER)).containsExactly("A 127.99.0.7");
    }

    private byte[] exchangeUdp(byte[] packet) throws Exception {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            s.setSoTimeout(5000);
            s.send(new DatagramPacket(packet, packet.length, server));
            byte[] buf = new byte[65535];
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            s.receive(p);
            return java.util.Arrays.copyOf(p.getData(), p.getLength());
        }
    }
}
