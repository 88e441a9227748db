package io.kubeha.dns;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DnsConfigTest {
    @Test
    void upstreamsAreIpLiteralsWithAnOptionalPort() {
        assertThat(DnsConfig.parseUpstreams("127.0.0.53, 127.1.2.3:5353,[::1]:54,::1")).containsExactly(
                new InetSocketAddress("127.0.0.53", 53), new InetSocketAddress("127.1.2.3", 5353),
                new InetSocketAddress("::1", 54), new InetSocketAddress("::1", 53));
    }

    @Test
    void badUpstreamsSayWhatIsWrong() {
        assertThatThrownBy(() -> DnsConfig.parseUpstreams("dns.example.org")).hasMessageContaining("'dns.example.org' is not an IP address");
        assertThatThrownBy(() -> DnsConfig.parseUpstreams("127.0.0.1:99999")).hasMessageContaining("port '99999' is not a number from 1 to 65535");
        assertThatThrownBy(() -> DnsConfig.parseUpstreams("127.0.0.1,,127.0.0.2")).hasMessageContaining("empty entry");
        assertThatThrownBy(() -> DnsConfig.parseUpstreams("[::1")).hasMessageContaining("closing ]");
        assertThatThrownBy(() -> DnsConfig.parseUpstreams("300.1.1.1")).hasMessageContaining("not an IP address");
    }

    @Test
    void theClusterDomainMustBeADnsName() {
        assertThat(DnsConfig.domain("Cluster.Local.").toString()).isEqualTo("cluster.local.");
        assertThat(DnsConfig.domain("kubeha").toString()).isEqualTo("kubeha.");
        assertThatThrownBy(() -> DnsConfig.domain("cluster..local")).hasMessageContaining("is not a DNS name");
        assertThatThrownBy(() -> DnsConfig.domain("-bad.local")).hasMessageContaining("'-bad'");
        assertThatThrownBy(() -> DnsConfig.domain(" ")).hasMessageContaining("must not be empty");
    }

    @Test
    void resolvConfNameserversAreTheDefaultUpstreams(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("resolv.conf");
        Files.writeString(f, """
                # comment
                search example.org
                nameserver 127.0.0.53
                nameserver   ::1
                nameserver not-an-ip
                options edns0 trust-ad
                """);
        assertThat(DnsConfig.resolvConf(f)).containsExactly(new InetSocketAddress("127.0.0.53", 53), new InetSocketAddress("::1", 53));
        assertThatThrownBy(() -> DnsConfig.resolvConf(dir.resolve("missing"))).hasMessageContaining("cannot read");
    }

    @Test
    void valuesAreChecked() {
        DnsConfig d = DnsConfig.defaults();
        assertThat(d.recordTtl()).isEqualTo(Duration.ofSeconds(5));
        assertThat(d.clusterDomain().toString()).isEqualTo("cluster.local.");
        assertThatThrownBy(() -> d.withCache(Duration.ofSeconds(-1), 10)).hasMessageContaining("cache TTL");
        assertThatThrownBy(() -> d.withCache(Duration.ofSeconds(1), -1)).hasMessageContaining("cache size");
        assertThatThrownBy(() -> d.withUpstreamTimeout(Duration.ZERO)).hasMessageContaining("upstream timeout");
    }
}
