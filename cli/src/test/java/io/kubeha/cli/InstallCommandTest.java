package io.kubeha.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code kubeha install --systemd}: the units it writes say what the brief of a real host needs (restart always after 2 s,
 * after the network, the agent's pods outliving its restart, a high LimitNOFILE, the absolute command), and systemd's own
 * checker (systemd-analyze verify, installed here) accepts them; bad input is one line.
 */
class InstallCommandTest {
    @TempDir
    Path dir;

    private record Run(int code, String out, String err) {}

    private static Run run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void writesTheServerAgentAndVipUnits() throws Exception {
        Path units = dir.resolve("units");
        Run server = run("install", "--systemd", "--unit-dir", units.toString(), "server", "--", "--store", "etcd:http://10.10.101.1:2379",
                "--vip", "10.10.102.21:6443", "--node-labels", "tier=a b");
        assertThat(server.code()).as(server.err()).isZero();
        Path file = units.resolve("kubeha-server.service");
        assertThat(server.out()).isEqualTo("kubeha install: wrote " + file.toAbsolutePath() + "\n"
                + "systemctl daemon-reload && systemctl enable --now kubeha-server\n");
        String unit = Files.readString(file);
        assertThat(unit).contains("[Unit]\n", "After=network-online.target\n", "Wants=network-online.target\n", "[Service]\n",
                "Restart=always\n", "RestartSec=2\n", "LimitNOFILE=1048576\n", "KillMode=process\n", "[Install]\n", "WantedBy=multi-user.target\n");
        String exec = unit.lines().filter(l -> l.startsWith("ExecStart=")).findFirst().orElseThrow();
        // this JVM's java (absolute) and classpath, then the component and the user's arguments, a space kept by quotes
        assertThat(exec).startsWith("ExecStart=/").contains(" -cp /", " io.kubeha.cli.Main server --store etcd:http://10.10.101.1:2379"
                + " --vip 10.10.102.21:6443 --node-labels \"tier=a b\"");

        assertThat(run("install", "--systemd", "--unit-dir", units.toString(), "agent", "--", "--server", "https://10.10.102.21:6443",
                "--token", "abcdef.0123456789abcdef").code()).isZero();
        assertThat(Files.readString(units.resolve("kubeha-agent.service"))).contains("KillMode=process\n", "Restart=always\n",
                " io.kubeha.cli.Main agent --server https://10.10.102.21:6443 --token abcdef.0123456789abcdef\n");
        assertThat(run("install", "--systemd", "--unit-dir", units.toString(), "vip", "--", "--kubeconfig", "/etc/kubeha/admin.kubeconfig",
                "--address", "10.10.102.21:6443").code()).isZero();
        // the VIP candidate has no pods: stopping it stops all of it
        assertThat(Files.readString(units.resolve("kubeha-vip.service"))).contains("Restart=always\n", "RestartSec=2\n")
                .doesNotContain("KillMode");
        // a server without its local agent has no pods either
        assertThat(run("install", "--systemd", "--unit-dir", dir.resolve("cp").toString(), "server", "--", "--disable-agent").code()).isZero();
        assertThat(Files.readString(dir.resolve("cp").resolve("kubeha-server.service"))).doesNotContain("KillMode");

        verify(units.resolve("kubeha-server.service"), units.resolve("kubeha-agent.service"), units.resolve("kubeha-vip.service"));
    }

    @Test
    void theLauncherIsUsedWhenThereIsOne() throws Exception {
        Path launcher = Files.writeString(dir.resolve("kubeha"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
        assertThat(run("install", "--systemd", "--unit-dir", dir.toString(), "--launcher", launcher.toString(), "agent", "--",
                "--data-dir", "/var/lib/kubeha/100% agent").code()).isZero();
        assertThat(Files.readString(dir.resolve("kubeha-agent.service")))
                .contains("ExecStart=" + launcher.toAbsolutePath() + " agent --data-dir \"/var/lib/kubeha/100%% agent\"\n");
        verify(dir.resolve("kubeha-agent.service"));
    }

    @Test
    void badInputIsOneLine() throws Exception {
        assertOneLine(run("install", "--systemd", "--unit-dir", dir.toString(), "kubelet"), "install: unknown component 'kubelet'; it can be: server, agent, vip");
        assertOneLine(run("install", "--unit-dir", dir.toString(), "server"), "add --systemd");
        Path locked = Files.createDirectories(dir.resolve("locked"));
        Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("r-xr-xr-x"));
        if (!Files.isWritable(locked)) { // root writes anywhere: then a file in the way of the folder
            assertOneLine(run("install", "--systemd", "--unit-dir", locked.toString(), "server"), "cannot write " + locked.resolve("kubeha-server.service"));
        }
        Path notADir = Files.writeString(dir.resolve("file"), "");
        assertOneLine(run("install", "--systemd", "--unit-dir", notADir.resolve("units").toString(), "server"),
                "cannot write " + notADir.resolve("units").resolve("kubeha-server.service"));
        assertThat(run("install", "--systemd", "--unit-dir", notADir.resolve("units").toString(), "server").err())
                .contains("run it as root (sudo), or give --unit-dir DIR");
        // the component's arguments are checked as the component parses them, not at the unit's first start
        assertOneLine(run("install", "--systemd", "--unit-dir", dir.toString(), "server", "--", "--no-such-flag"), "kubeha server --no-such-flag: Unknown option: '--no-such-flag'");
        assertThat(dir.resolve("kubeha-server.service")).doesNotExist();
    }

    private static void assertOneLine(Run r, String expected) {
        assertThat(r.code()).as(r.err()).isEqualTo(2);
        assertThat(r.err()).startsWith("kubeha: ").contains(expected).doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(r.err().strip().lines()).hasSize(1);
    }

    /** systemd's checker, which is installed on these machines; a missing one fails the test with what to install. */
    private static void verify(Path... units) throws Exception {
        Path analyze = Path.of("/usr/bin/systemd-analyze");
        assertThat(analyze).as("systemd-analyze (apt-get install -y systemd) checks the units").isExecutable();
        List<String> cmd = new ArrayList<>(List.of(analyze.toString(), "verify"));
        for (Path u : units) cmd.add(u.toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).as(out).isEmpty();
    }
}
