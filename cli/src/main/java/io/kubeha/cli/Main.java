package io.kubeha.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The kubeha command line. */
@Command(name = "kubeha", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "A highly available, Kubernetes-compatible cluster.",
        subcommands = {UpCommand.class, DownCommand.class, StatusCommand.class, ServerCommand.class, ControllerManagerCommand.class, SchedulerCommand.class, AgentCommand.class, ImageCommand.class, DnsCommand.class, TokenCommand.class, VipCommand.class, InstallCommand.class, HealthCommand.class, BenchCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        // a user error gets one line that says what to fix, never a stack trace
        cl.setExecutionExceptionHandler((ex, line, parsed) -> {
            if (ex instanceof IllegalArgumentException || ex instanceof UserError) {
                line.getErr().println("kubeha: " + ex.getMessage());
                return 2;
            }
            line.getErr().println("kubeha: " + ex);
            return 1;
        });
        return cl;
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** An error the user can fix: printed as one line, exit code 2. */
    static final class UserError extends RuntimeException {
        UserError(String message) {
            super(message);
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"kubeha " + (v == null ? "dev" : v) + " (Java " + Runtime.version() + ")"};
        }
    }
}
