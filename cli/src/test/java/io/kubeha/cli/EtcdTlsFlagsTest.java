package io.kubeha.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * `kubeha server`'s --etcd-cafile, --etcd-certfile and --etcd-keyfile reach the store: settings that cannot work
 * are one line naming the flag and exit status 2, when the store is opened and before anything is dialled.
 */
class EtcdTlsFlagsTest {
    @TempDir
    Path dataDir;

    private String run(String... flags) {
        String[] args = new String[flags.length + 4];
        args[0] = "server";
        args[1] = "--disable-agent";
        args[2] = "--data-dir";
        args[3] = dataDir.toString();
        System.arraycopy(flags, 0, args, 4, flags.length);
        return ServerCommandTest.run(args);
    }

    @Test
    void anHttpsStoreWithoutTheCaSaysToAddIt() {
        assertThat(run("--store", "etcd:https://127.0.0.1:2379"))
                .contains("etcd endpoint https://127.0.0.1:2379 is https: add --etcd-cafile");
    }

    @Test
    void theFilesAreCheckedAndPaired() throws IOException {
        Path ca = Files.writeString(dataDir.resolve("ca.crt"), "");
        Path missing = dataDir.resolve("etcd-ca.crt");
        assertThat(run("--store", "etcd:https://127.0.0.1:2379", "--etcd-cafile", missing.toString()))
                .contains("--etcd-cafile: " + missing + " does not exist");
        assertThat(run("--store", "etcd:https://127.0.0.1:2379", "--etcd-cafile", ca.toString(), "--etcd-certfile", ca.toString()))
                .contains("needs its key: add --etcd-keyfile");
        assertThat(run("--store", "etcd:http://127.0.0.1:2379,https://127.0.0.1:2380", "--etcd-cafile", ca.toString()))
                .contains("etcd endpoints mix http://");
    }

    @Test
    void theFlagsAreInTheHelp() {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter();
        cl.setOut(new PrintWriter(out));
        assertThat(cl.execute("server", "--help")).isZero();
        assertThat(out.toString()).contains("--etcd-cafile=FILE", "SSL Certificate Authority file used to secure",
                "--etcd-certfile=FILE", "--etcd-keyfile=FILE");
    }
}
