package io.kubeha.vip;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The keepalived.conf kubeha writes, checked by the real keepalived's own parser ({@code keepalived --config-test}). */
class KeepalivedTest {
    @TempDir
    Path dir;

    @Test
    void writesAConfigurationTheRealKeepalivedAccepts() throws Exception {
        assertThat(Keepalived.BINARY).as("keepalived is needed: apt-get install keepalived").isExecutable();
        Keepalived.Config c = new Keepalived.Config("master1", "eth0", InetAddress.getByName("10.10.102.91"),
                List.of(InetAddress.getByName("10.10.102.92"), InetAddress.getByName("10.10.102.93")), InetAddress.getByName("10.10.102.21"),
                51, 100, List.of(List.of("/usr/bin/true")));
        String conf = Keepalived.render(c, dir);
        assertThat(conf).contains("state BACKUP", "nopreempt", "unicast_src_ip 10.10.102.91", "    10.10.102.92\n    10.10.102.93\n",
                "10.10.102.21/32 dev eth0", "track_script", "script \"" + dir.resolve("health.sh") + "\"", "advert_int 1");
        Path file = Files.writeString(dir.resolve("keepalived.conf"), conf);
        Files.writeString(dir.resolve("health.sh"), "#!/bin/sh\nexit 0\n");
        Files.writeString(dir.resolve("notify.sh"), "#!/bin/sh\nexit 0\n");
        for (String s : List.of("health.sh", "notify.sh")) dir.resolve(s).toFile().setExecutable(true);
        Process p = new ProcessBuilder(Keepalived.BINARY.toString(), "--config-test", "--use-file", file.toString()).redirectErrorStream(true).start();
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.exitValue()).as("keepalived --config-test: %s", out).isZero();
    }

    @Test
    void badSettingsAreRefusedWithWhatToFix() throws Exception {
        InetAddress a = InetAddress.getByName("10.10.102.91");
        assertThatThrownBy(() -> new Keepalived.Config("m", "eth0", a, List.of(), a, 51, 100, List.of(List.of("true"))))
                .hasMessageContaining("--vip-peers");
        assertThatThrownBy(() -> new Keepalived.Config("m", "eth0", a, List.of(a), a, 300, 100, List.of(List.of("true"))))
                .hasMessageContaining("router id must be 1-255");
    }
}
