package io.kubeha.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The real kubectl, run as a process against a kubeconfig, with a bounded time. A missing kubectl fails
 * the test with what to install; it never skips.
 */
public final class Kubectl {
    public static final Path DEFAULT = Path.of("/usr/bin/kubectl");
    /** The oldest kubectl this project supports, shipped with the Google Cloud SDK on these machines. */
    public static final Path OLDEST = Path.of("/usr/lib/google-cloud-sdk/bin/kubectl.1.27");

    private final Path binary;
    private final Path kubeconfig;

    public Kubectl(Path binary, Path kubeconfig) {
        if (!Files.isExecutable(binary)) {
            throw new IllegalStateException("kubectl not found at " + binary + ": install it (for example "
                    + "`apt-get install -y kubectl` from the Kubernetes apt repository) — these tests need the real kubectl");
        }
        this.binary = binary;
        this.kubeconfig = kubeconfig;
    }

    public record Result(int exit, String out, String err) {
        public Result orFail() {
            if (exit != 0) throw new AssertionError("kubectl exited " + exit + "\nstdout: " + out + "\nstderr: " + err);
            return this;
        }

        @Override
        public String toString() {
            return "exit " + exit + "\nstdout:\n" + out + "\nstderr:\n" + err;
        }
    }

    public Result run(String... args) {
        return run(null, Duration.ofSeconds(60), args);
    }

    /** Runs kubectl with {@code stdin} (may be null) and returns when it exits, killing it after {@code timeout}. */
    public Result run(String stdin, Duration timeout, String... args) {
        List<String> cmd = new ArrayList<>(List.of(binary.toString(), "--kubeconfig", kubeconfig.toString()));
        cmd.addAll(List.of(args));
        try {
            Path out = Files.createTempFile("kubectl-out", ".txt");
            Path err = Files.createTempFile("kubectl-err", ".txt");
            try {
                ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
                pb.environment().remove("KUBECONFIG");
                Process p = pb.start();
                if (stdin != null) {
                    p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
                }
                p.getOutputStream().close();
                if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    Processes.kill9(p.toHandle());
                    return new Result(-1, Files.readString(out), Files.readString(err) + "\n(killed after " + timeout + ")");
                }
                return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new IllegalStateException("could not run " + cmd + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Starts kubectl without waiting (for {@code get -w}); the caller kills it. */
    public Process start(Path stdout, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(binary.toString(), "--kubeconfig", kubeconfig.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(stdout.toFile()).redirectErrorStream(true);
        pb.environment().remove("KUBECONFIG");
        return pb.start();
    }

    /** A kubeconfig for a plain-HTTP server at {@code url}. */
    public static Path writeKubeconfig(Path file, String url) throws IOException {
        Files.writeString(file, """
                apiVersion: v1
                kind: Config
                clusters:
                - name: test
                  cluster:
                    server: %s
                contexts:
                - name: test
                  context:
                    cluster: test
                    user: admin
                    namespace: default
                current-context: test
                users:
                - name: admin
                  user: {}
                """.formatted(url));
        return file;
    }
}
