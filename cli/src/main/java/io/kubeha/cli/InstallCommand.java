package io.kubeha.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

/**
 * systemd units for real hosts, as k3s's install script writes k3s.service and kubeadm's packages ship kubelet.service:
 * one unit per component, restarted whenever it ends, the agent's with KillMode=process so that its pods, its
 * children, outlive a restart of it (the kubelet's unit does the same).
 */
@Command(name = "install", mixinStandardHelpOptions = true,
        description = {"Writes a systemd unit for a kubeha component on this host: kubeha-server.service, kubeha-agent.service or"
                + " kubeha-vip.service (run once per component you want), starting `kubeha COMPONENT ARGS...` with the ARGS after --,"
                + " restarted 2 s after it ends (Restart=always), after the network is online; the agent's (and a server's with its"
                + " local agent) with KillMode=process, so that pods outlive a restart.",
                "Example: kubeha install --systemd server -- --store etcd:http://10.10.101.1:2379 --bind 10.10.102.91:6443 --vip 10.10.102.21:6443",
                "Give absolute paths in ARGS: a unit runs in /. Then: systemctl daemon-reload && systemctl enable --now kubeha-COMPONENT"},
        sortOptions = false)
final class InstallCommand implements Callable<Integer> {
    /** The components, the command that parses their arguments, and what the unit says they are. */
    private static final Map<String, Supplier<Object>> COMMANDS = Map.of(
            "server", ServerCommand::new, "agent", AgentCommand::new, "vip", VipCommand::new);
    private static final Map<String, String> WHAT = Map.of(
            "server", "kubeha server: the API server, controller-manager, scheduler (and a local node agent)",
            "agent", "kubeha agent: the node agent (the kubelet's role) and its service proxy",
            "vip", "kubeha vip: a candidate for the control-plane virtual IP");

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--systemd", description = "Write systemd units (the only kind there is so far).")
    boolean systemd;

    @Option(names = "--unit-dir", paramLabel = "DIR", defaultValue = "/etc/systemd/system",
            description = "Where the unit goes (default: ${DEFAULT-VALUE}).")
    Path unitDir;

    @Option(names = "--launcher", paramLabel = "FILE",
            description = "The kubeha launcher the unit runs (default: the one this command runs from; else this JVM's java"
                    + " command line with its classpath).")
    Path launcher;

    @Option(names = "--limit-nofile", defaultValue = "1048576", paramLabel = "N",
            description = "The unit's LimitNOFILE: open files for it and its pods (default: ${DEFAULT-VALUE}, as k3s's unit).")
    long limitNofile;

    @Parameters(index = "0", paramLabel = "COMPONENT", description = "server, agent or vip.")
    String component;

    @Parameters(index = "1..*", paramLabel = "ARG", description = "The component's arguments, after -- (as for kubeha COMPONENT).")
    List<String> args = new ArrayList<>();

    @Override
    public Integer call() {
        if (!systemd) throw new Main.UserError("kubeha install writes systemd units: add --systemd (e.g. kubeha install --systemd server)");
        if (!COMMANDS.containsKey(component)) {
            throw new Main.UserError("install: unknown component '" + component + "'; it can be: server, agent, vip");
        }
        if (limitNofile < 1) throw new Main.UserError("--limit-nofile must be positive, not " + limitNofile);
        // the arguments are checked now, as kubeha COMPONENT parses them, not at the unit's first start
        try {
            new CommandLine(COMMANDS.get(component).get()).parseArgs(args.toArray(String[]::new));
        } catch (CommandLine.ParameterException e) {
            throw new Main.UserError("kubeha " + component + " " + String.join(" ", args) + ": " + e.getMessage());
        }
        List<String> exec = new ArrayList<>(command());
        exec.add(component);
        exec.addAll(args);
        String name = "kubeha-" + component + ".service";
        Path file = unitDir.resolve(name);
        try {
            Files.createDirectories(unitDir);
            Files.writeString(file, unit(component, exec, runsPods(component, args), limitNofile));
        } catch (IOException | SecurityException e) {
            String why = e instanceof java.nio.file.AccessDeniedException ? "permission denied"
                    : e.getMessage() == null ? e.toString() : e.getMessage();
            throw new Main.UserError("cannot write " + file + " (" + why + "): run it as root (sudo), or give --unit-dir DIR");
        }
        java.io.PrintWriter out = spec.commandLine().getOut();
        out.println("kubeha install: wrote " + file.toAbsolutePath());
        out.println("systemctl daemon-reload && systemctl enable --now kubeha-" + component);
        out.flush();
        return 0;
    }

    /** The command line that runs kubeha: the launcher, or this JVM's java with its options and classpath, all absolute. */
    private List<String> command() {
        Path l = launcher;
        if (l == null && System.getProperty("kubeha.launcher") != null) l = Path.of(System.getProperty("kubeha.launcher"));
        if (l != null) {
            if (!Files.isExecutable(l)) throw new Main.UserError("--launcher: " + l + " is not an executable file");
            return List.of(l.toAbsolutePath().toString());
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-opens") || a.startsWith("--enable-native-access") || a.startsWith("--sun-misc-unsafe")
                    || a.startsWith("-Dkubeha.images=")) cmd.add(a);
        }
        List<String> cp = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            if (!e.isEmpty()) cp.add(e.endsWith("*") ? Path.of(e.substring(0, e.length() - 1)).toAbsolutePath() + "/*" : Path.of(e).toAbsolutePath().toString());
        }
        cmd.addAll(List.of("-cp", String.join(java.io.File.pathSeparator, cp), Main.class.getName()));
        return cmd;
    }

    /** Whether the component's process is the parent of pods: an agent, and a server with its local agent. */
    static boolean runsPods(String component, List<String> args) {
        return component.equals("agent") || component.equals("server") && !args.contains("--disable-agent");
    }

    /** The unit's text. */
    static String unit(String component, List<String> exec, boolean runsPods, long limitNofile) {
        StringBuilder u = new StringBuilder();
        u.append("# written by kubeha install --systemd ").append(component).append("\n");
        u.append("[Unit]\n");
        u.append("Description=").append(WHAT.get(component)).append("\n");
        u.append("Wants=network-online.target\n");
        u.append("After=network-online.target\n\n");
        u.append("[Service]\n");
        u.append("Type=simple\n");
        u.append("ExecStart=").append(String.join(" ", exec.stream().map(InstallCommand::quote).toList())).append("\n");
        u.append("Restart=always\n");
        u.append("RestartSec=2\n");
        if (runsPods) {
            u.append("# the pods are this process's children: they keep running while it restarts, and it takes them back\n");
            u.append("KillMode=process\n");
            u.append("TasksMax=infinity\n");
        }
        u.append("LimitNOFILE=").append(limitNofile).append("\n\n");
        u.append("[Install]\n");
        u.append("WantedBy=multi-user.target\n");
        return u.toString();
    }

    /** One word of ExecStart, as systemd splits it: quoted when it must be, its % and $ doubled (no specifiers, no variables). */
    static String quote(String word) {
        String w = word.replace("%", "%%").replace("$", "$$");
        if (!w.isEmpty() && w.chars().noneMatch(c -> Character.isWhitespace(c) || c == '"' || c == '\'' || c == '\\' || c == ';')) return w;
        return "\"" + w.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
