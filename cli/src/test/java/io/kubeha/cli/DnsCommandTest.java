package io.kubeha.cli;

import io.kubeha.dns.DnsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** `kubeha dns` options: what they make, and one clear line for a bad one (no server is started here). */
class DnsCommandTest {
    private record Run(int code, String err) { }

    private static Run run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        cl.setOut(new PrintWriter(new StringWriter()));
        int code = cl.execute(args);
        return new Run(code, err.toString());
    }

    private static void assertUserError(String expected, String... flags) {
        String[] args = new String[flags.length + 3];
        args[0] = "dns";
        args[1] = "--kubeconfig";
        args[2] = "/nonexistent/kubeconfig";
        System.arraycopy(flags, 0, args, 3, flags.length);
        Run r = run(args);
        assertThat(r.code()).as(String.join(" ", flags)).isEqualTo(2);
        assertThat(r.err()).as(String.join(" ", flags)).startsWith("kubeha: ").contains(expected).doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(r.err().strip().lines()).hasSize(1);
    }

    @Test
    void badFlagsGetOneLineSayingWhatToFix() {
        assertUserError("--port must be from 1 to 65535, was 70000", "--port", "70000");
        assertUserError("--bind must be an IP address", "--bind", "localhost");
        assertUserError("--upstream: upstream 'dns.example.org': 'dns.example.org' is not an IP address", "--upstream", "dns.example.org");
        assertUserError("--cluster-domain: cluster domain 'bad..local' is not a DNS name", "--cluster-domain", "bad..local");
        assertUserError("--cache-ttl must be a duration such as", "--cache-ttl", "5");
        assertUserError("--ttl must be a duration such as", "--ttl", "soon");
        assertUserError("--health-port must differ from --port", "--port", "5353", "--health-port", "5353");
        assertUserError("--kubeconfig: no such file /nonexistent/kubeconfig", "--upstream", "127.0.0.1:5353", "--port", "5353");
    }

    @Test
    void optionsMakeTheConfigAndUpstreamsDefaultToResolvConf(@TempDir Path dir) throws Exception {
        Path resolv = dir.resolve("resolv.conf");
        Files.writeString(resolv, "nameserver 127.0.0.53\n");
        DnsCommand cmd = new DnsCommand();
        new CommandLine(cmd).parseArgs("--kubeconfig", "k", "--bind", "127.0.0.10", "--cluster-domain", "kubeha.test", "--cache-ttl", "0");
        DnsConfig c = cmd.config(resolv);
        assertThat(c.listen()).isEqualTo(new InetSocketAddress("127.0.0.10", 53));
        assertThat(c.clusterDomain().toString()).isEqualTo("kubeha.test.");
        assertThat(c.upstreams()).containsExactly(new InetSocketAddress("127.0.0.53", 53));
        assertThat(c.cacheMaxTtl()).isZero();
        assertThat(c.recordTtl()).isEqualTo(Duration.ofSeconds(5));
        assertThat(c.health()).isEqualTo(new InetSocketAddress("127.0.0.10", 8080));

        DnsCommand explicit = new DnsCommand();
        new CommandLine(explicit).parseArgs("--kubeconfig", "k", "--upstream", "127.0.0.2:5300,127.0.0.3", "--health-port", "0", "--ttl", "30s");
        DnsConfig e = explicit.config(dir.resolve("missing-resolv.conf"));
        assertThat(e.upstreams()).isEqualTo(List.of(new InetSocketAddress("127.0.0.2", 5300), new InetSocketAddress("127.0.0.3", 53)));
        assertThat(e.health()).isNull();
        assertThat(e.recordTtl()).isEqualTo(Duration.ofSeconds(30));
    }
}
