package io.kubeha.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.assertj.core.api.Assertions.assertThat;

/** `kubeha agent --netns`: the flag reaches the agent's config, and a combination that cannot work is one clear line. */
class AgentCommandTest {
    private static final String[] BASE = {"agent", "--kubeconfig", "/nonexistent/kubeconfig", "--node-name", "node1",
            "--node-ip", "10.10.102.92", "--data-dir", "/nonexistent/agent"};

    private static String[] args(String... more) {
        String[] all = new String[BASE.length + more.length];
        System.arraycopy(BASE, 0, all, 0, BASE.length);
        System.arraycopy(more, 0, all, BASE.length, more.length);
        return all;
    }

    private static void assertUserError(String expected, String... flags) {
        CommandLine cl = Main.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        cl.setOut(new PrintWriter(new StringWriter()));
        int code = cl.execute(args(flags));
        assertThat(code).as(String.join(" ", flags)).isEqualTo(2);
        assertThat(err.toString()).as(String.join(" ", flags)).startsWith("kubeha: ").contains(expected)
                .doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(err.toString().strip().lines()).hasSize(1);
    }

    @Test
    void netnsNeedsARoutablePodCidrAndTheProcessRuntime() {
        assertUserError("with --netns the pod CIDR must be a routable range (e.g. 10.244.1.0/24), not the loopback 127.64.1.0/24",
                "--netns", "--pod-cidr", "127.64.1.0/24");
        assertUserError("--netns needs the process runtime", "--netns", "--runtime", "simulated", "--pod-cidr", "10.244.1.0/24");
    }

    @Test
    void theFlagReachesTheAgentsConfig() {
        AgentCommand cmd = new AgentCommand();
        new CommandLine(cmd).parseArgs("--kubeconfig", "k", "--node-name", "node1", "--node-ip", "10.10.102.92", "--netns",
                "--pod-cidr", "10.244.1.0/24");
        // as root with iproute2 and nsenter (what the netns tests need anyway); else config() says what is missing
        assertThat(cmd.config().netns()).isTrue();
        AgentCommand loopback = new AgentCommand();
        new CommandLine(loopback).parseArgs("--kubeconfig", "k", "--node-name", "node1", "--node-ip", "127.10.103.96",
                "--pod-cidr", "127.64.1.0/24");
        assertThat(loopback.config().netns()).isFalse();
    }
}
