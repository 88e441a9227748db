package io.kubeha.dns;

import io.kubeha.testkit.Ports;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static io.kubeha.dns.Dns.query;
import static io.kubeha.dns.Dns.rdata;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Names outside the cluster go to the upstream servers (here a local responder on loopback: nothing leaves the
 * machine) through a cache that respects TTLs and a cap; the cache's clock is the test's, so time passes without
 * waiting for it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ForwardingTest {
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final AtomicInteger swallowed = new AtomicInteger();
    private DatagramSocket blackHole;
    private ApiFixture api;
    private LocalUpstream upstream;
    private DnsServer dns;
    private InetSocketAddress server;

    @BeforeAll
    void start() throws Exception {
        api = new ApiFixture();
        upstream = new LocalUpstream("127.0.0.1");
        // an upstream that never answers comes first: the forwarder moves on to the next one
        blackHole = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
        Thread.ofPlatform().daemon().start(() -> {
            byte[] buf = new byte[65535];
            while (!blackHole.isClosed()) {
                try {
                    blackHole.receive(new DatagramPacket(buf, buf.length));
                    swallowed.incrementAndGet();
                } catch (java.io.IOException e) {
                    return;
                }
            }
        });
        DnsConfig config = DnsConfig.defaults()
                .withListen(new InetSocketAddress("127.0.0.1", 0))
                .withUpstreams(List.of((InetSocketAddress) blackHole.getLocalSocketAddress(), upstream.address()))
                .withUpstreamTimeout(Duration.ofMillis(300));
        dns = api.closeLater(new DnsServer(api.newClient(), config, nanos::get).start());
        server = dns.address();
        await().atMost(ApiFixture.WAIT).until(dns::ready);
    }

    @AfterAll
    void stop() throws Exception {
        if (upstream != null) upstream.close();
        if (blackHole != null) blackHole.close();
        if (api != null) api.close();
    }

    private void advance(Duration d) {
        nanos.addAndGet(d.toNanos());
    }

    private static Record a(String name, long ttl, String ip) throws Exception {
        return new ARecord(Name.fromConstantString(name), DClass.IN, ttl, InetAddress.getByName(ip));
    }

    @Test
    void answersAreForwardedAndCachedForTheirTtl() throws Exception {
        upstream.answer(a("short.example.org.", 20, "127.50.0.1"));

        Message first = query(server, "short.example.org.", Type.A);
        assertThat(rdata(first, Section.ANSWER)).containsExactly("A 127.50.0.1");
        assertThat(first.getSection(Section.ANSWER).get(0).getTTL()).isEqualTo(20);
        assertThat(first.getHeader().getFlag(Flags.AA)).isFalse();
        assertThat(first.getHeader().getFlag(Flags.RA)).isTrue();
        assertThat(upstream.asked("short.example.org.", Type.A)).isEqualTo(1);

        advance(Duration.ofSeconds(8));
        Message cached = query(server, "SHORT.example.org.", Type.A); // the cache ignores case too
        assertThat(rdata(cached, Section.ANSWER)).containsExactly("A 127.50.0.1");
        assertThat(cached.getSection(Section.ANSWER).get(0).getTTL()).isEqualTo(12);
        assertThat(upstream.asked("short.example.org.", Type.A)).isEqualTo(1);

        advance(Duration.ofSeconds(12));
        assertThat(rdata(query(server, "short.example.org.", Type.A), Section.ANSWER)).containsExactly("A 127.50.0.1");
        assertThat(upstream.asked("short.example.org.", Type.A)).isEqualTo(2);
    }

    @Test
    void aLongTtlIsKeptNoLongerThanTheCap() throws Exception {
        upstream.answer(a("long.example.org.", 3600, "127.50.0.2"));

        assertThat(query(server, "long.example.org.", Type.A).getSection(Section.ANSWER).get(0).getTTL()).isEqualTo(3600);
        advance(Duration.ofSeconds(10));
        Message cached = query(server, "long.example.org.", Type.A);
        assertThat(cached.getSection(Section.ANSWER).get(0).getTTL()).isEqualTo(20); // 30s cap, 10s spent
        assertThat(upstream.asked("long.example.org.", Type.A)).isEqualTo(1);

        advance(Duration.ofSeconds(20));
        query(server, "long.example.org.", Type.A);
        assertThat(upstream.asked("long.example.org.", Type.A)).isEqualTo(2);
    }

    @Test
    void nxdomainIsForwardedWithItsSoaAndCachedNegatively() {
        Message nx = query(server, "nosuch.example.net.", Type.A);
        assertThat(nx.getRcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThat(rdata(nx, Section.AUTHORITY)).singleElement().asString().startsWith("SOA ns.example.");

        assertThat(query(server, "nosuch.example.net.", Type.A).getRcode()).isEqualTo(Rcode.NXDOMAIN);
        assertThat(upstream.asked("nosuch.example.net.", Type.A)).isEqualTo(1);
    }

    @Test
    void reverseNamesOfNoClusterObjectGoUpstream() throws Exception {
        upstream.answer(new PTRRecord(Name.fromConstantString("9.9.99.127.in-addr.arpa."), DClass.IN, 60,
                Name.fromConstantString("host.example.org.")));
        assertThat(rdata(query(server, "9.9.99.127.in-addr.arpa.", Type.PTR), Section.ANSWER)).containsExactly("PTR host.example.org.");
    }

    @Test
    void anUpstreamThatDoesNotAnswerIsAskedOnceNotOncePerQuery() throws Exception {
        for (int i = 0; i < 5; i++) {
            upstream.answer(a("n" + i + ".example.com.", 60, "127.52.0." + (i + 1)));
            assertThat(rdata(query(server, "n" + i + ".example.com.", Type.A), Section.ANSWER)).containsExactly("A 127.52.0." + (i + 1));
        }
        assertThat(swallowed.get()).isLessThanOrEqualTo(1);
    }

    @Test
    void aTruncatedUpstreamAnswerIsFetchedAgainOverTcp() throws Exception {
        Record[] many = new Record[100];
        for (int i = 0; i < many.length; i++) many[i] = a("many.example.org.", 60, "127.51.0." + (i + 1));
        upstream.answer(many);

        Message m = query(server, "many.example.org.", Type.A, true);

        assertThat(m.getSection(Section.ANSWER)).hasSize(100);
        assertThat(upstream.tcpQueries()).isPositive();
    }

    @Test
    void noUpstreamAnsweringIsServfailAndNoUpstreamAtAllIsRefused() throws Exception {
        InetSocketAddress silent = new InetSocketAddress("127.0.0.1", Ports.free(InetAddress.getLoopbackAddress()));
        DnsServer dead = api.closeLater(new DnsServer(api.newClient(), DnsConfig.defaults()
                .withListen(new InetSocketAddress("127.0.0.1", 0)).withUpstreams(List.of(silent))
                .withUpstreamTimeout(Duration.ofMillis(200))).start());
        DnsServer none = api.closeLater(new DnsServer(api.newClient(), DnsConfig.defaults()
                .withListen(new InetSocketAddress("127.0.0.1", 0))).start());

        assertThat(query(dead.address(), "short.example.org.", Type.A).getRcode()).isEqualTo(Rcode.SERVFAIL);
        assertThat(query(none.address(), "short.example.org.", Type.A).getRcode()).isEqualTo(Rcode.REFUSED);
        // the cluster's names do not depend on an upstream
        await().atMost(ApiFixture.WAIT).until(none::ready);
        assertThat(query(none.address(), "kubernetes.default.svc.cluster.local.", Type.A).getRcode()).isEqualTo(Rcode.NOERROR);
    }
}
