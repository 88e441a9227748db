package io.kubeha.cli;

import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code kubeha server}'s node agent in the same process, as {@code k3s server} runs one: the very {@code kubeha agent}
 * (its options, defaults and checks), on DATA_DIR/agent, as {@code system:node:NAME} with a client certificate the
 * server's CA issues, talking to its own API server (kubeadm since kubeadm#1955), its Node's pod range from node IPAM.
 */
final class LocalAgent {
    @Option(names = "--disable-agent",
            description = "Run no node agent in this process (as k3s server's flag): a control plane only; nodes come from `kubeha agent`s.")
    boolean disabled;

    @Option(names = "--node-name", paramLabel = "NAME", description = "The local agent's node name (default: this machine's hostname).")
    String nodeName;

    @Option(names = "--node-labels", split = ",", paramLabel = "KEY=VALUE",
            description = "Labels the local agent's node registers with (default: none; the node takes pods, untainted, as k3s's server node).")
    List<String> labels = List.of();

    @Option(names = "--agent-port", defaultValue = "10250", paramLabel = "PORT",
            description = "The local agent's endpoint port (logs, exec, /healthz) on the node IP, the kubelet's (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--image-store", paramLabel = "DIR", defaultValue = "${sys:user.home}/.kubeha/images",
            description = "Where the local agent's images are (default: ${DEFAULT-VALUE}, shared with kubeha agent and kubeha image).")
    Path imageStore;

    @Option(names = "--cluster-dns", paramLabel = "IP", description = "The cluster DNS service's address, put in the local agent's pods' resolv.conf.")
    String clusterDns;

    /** The node's address: the server's advertise address, else its bind address, else (0.0.0.0) the first non-loopback IPv4. */
    static String nodeIp(String advertiseAddress, InetSocketAddress bind) {
        if (advertiseAddress != null) return advertiseAddress;
        return bind.getAddress().isAnyLocalAddress() ? Hosts.nodeIp() : bind.getAddress().getHostAddress();
    }

    /** The agent, checked before anything starts: a bad label, a taken port or an address it cannot use is one line. */
    AgentCommand prepare(Path dataDir, String nodeIp) {
        String name = nodeName != null ? nodeName : Hosts.nodeName("--node-name");
        if (!nodeIp.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
            throw new Main.UserError("the local agent needs an IPv4 node address, and the server's is " + nodeIp
                    + ": give --advertise-address IPv4, or --disable-agent");
        }
        if (port < 1 || port > 65535) throw new Main.UserError("--agent-port must be 1-65535, not " + port);
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(nodeIp, port));
        } catch (IOException e) {
            throw new Main.UserError("--agent-port: " + nodeIp + ":" + port + " is in use (a kubelet or another kubeha agent?):"
                    + " give another --agent-port, or --disable-agent");
        }
        List<String> args = new ArrayList<>(List.of("--node-name", name, "--node-ip", nodeIp, "--port", Integer.toString(port),
                "--data-dir", dataDir.resolve("agent").toString(), "--image-store", imageStore.toString(),
                "--kubeconfig", kubeconfig(dataDir).toString(), "--no-apiserver-load-balancer"));
        if (!labels.isEmpty()) args.addAll(List.of("--node-labels", String.join(",", labels)));
        if (clusterDns != null) args.addAll(List.of("--cluster-dns", clusterDns));
        AgentCommand agent = new AgentCommand();
        try {
            new CommandLine(agent).parseArgs(args.toArray(String[]::new));
        } catch (CommandLine.ParameterException e) {
            throw new Main.UserError(e.getMessage());
        }
        agent.rotateKubeconfigCertificate = true;
        agent.config(); // the same checks as kubeha agent's, now rather than after the store opened
        return agent;
    }

    static Path kubeconfig(Path dataDir) {
        return dataDir.resolve("agent").resolve("kubelet.kubeconfig");
    }

    /** Writes the node's credentials for the API server at {@code url} and starts the agent. */
    static AgentCommand.Running start(AgentCommand agent, Security security, String url, Path dataDir) throws Exception {
        security.writeNodeKubeconfig(kubeconfig(dataDir), url, agent.nodeName);
        return agent.start();
    }
}
