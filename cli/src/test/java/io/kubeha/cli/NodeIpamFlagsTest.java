package io.kubeha.cli;

import io.kubeha.controllers.nodeipam.NodeIpamOptions;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** --cluster-cidr, --node-cidr-mask-size, --allocate-node-cidrs on kubeha server (on by default) and controller-manager (off). */
class NodeIpamFlagsTest {
    static NodeIpamOptions server(String... args) {
        ServerCommand cmd = new ServerCommand();
        new CommandLine(cmd).parseArgs(args);
        return cmd.nodeIpam.options();
    }

    static NodeIpamOptions controllerManager(String... args) {
        ControllerManagerCommand cmd = new ControllerManagerCommand();
        String[] all = new String[args.length + 2];
        all[0] = "--kubeconfig";
        all[1] = "k";
        System.arraycopy(args, 0, all, 2, args.length);
        new CommandLine(cmd).parseArgs(all);
        return cmd.nodeIpam.options();
    }

    @Test
    void theServerGivesLoopbackRangesByDefaultTheControllerManagerOnlyWithAClusterCidr() {
        assertThat(server()).isEqualTo(new NodeIpamOptions("127.64.0.0/16", 24));
        assertThat(server("--cluster-cidr", "10.244.0.0/16", "--node-cidr-mask-size", "25")).isEqualTo(new NodeIpamOptions("10.244.0.0/16", 25));
        assertThat(server("--allocate-node-cidrs=false")).isNull();
        assertThat(controllerManager()).isNull();
        assertThat(controllerManager("--cluster-cidr", "10.244.0.0/16")).isEqualTo(new NodeIpamOptions("10.244.0.0/16", 24));
        assertThat(controllerManager("--cluster-cidr", "10.244.0.0/16", "--allocate-node-cidrs=false")).isNull();
        assertThat(controllerManager("--cluster-cidr", "10.244.0.0/16", "--allocate-node-cidrs")).isNotNull();
    }

    @Test
    void badValuesAreOneLine() {
        assertThatThrownBy(() -> controllerManager("--allocate-node-cidrs")).isInstanceOf(Main.UserError.class)
                .hasMessage("--allocate-node-cidrs needs --cluster-cidr (e.g. 10.244.0.0/16)");
        assertThatThrownBy(() -> controllerManager("--cluster-cidr", "10.244.0.0/16", "--node-cidr-mask-size", "12"))
                .isInstanceOf(Main.UserError.class).hasMessageContaining("--node-cidr-mask-size 12 is smaller than the cluster CIDR");
        assertThatThrownBy(() -> server("--cluster-cidr", "fd00::/48")).isInstanceOf(Main.UserError.class).hasMessageContaining("only IPv4");
        // through the command line: one line, exit 2, before anything starts
        CommandLine cl = Main.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        cl.setOut(new PrintWriter(new StringWriter()));
        assertThat(cl.execute("server", "--data-dir", "/nonexistent/server", "--cluster-cidr", "10.244.1.0/16")).isEqualTo(2);
        assertThat(err.toString().strip()).isEqualTo("kubeha: --cluster-cidr 10.244.1.0/16: host bits are set (the network is 10.244.0.0/16)");
    }

    @Test
    void theAgentsPodCidrIsOptionalButNotForSimulatedNodes() {
        AgentCommand agent = new AgentCommand();
        new CommandLine(agent).parseArgs("--kubeconfig", "k", "--node-name", "node1", "--node-ip", "127.10.103.96");
        assertThat(agent.config().podCidr()).isNull();
        AgentCommand simulated = new AgentCommand();
        new CommandLine(simulated).parseArgs("--kubeconfig", "k", "--node-name", "sim", "--node-ip", "127.10.103.96",
                "--runtime", "simulated", "--simulate-nodes", "10");
        assertThatThrownBy(simulated::config).isInstanceOf(Main.UserError.class).hasMessageContaining("simulated nodes slice --pod-cidr");
    }
}
