package io.kubeha.client.net;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs the system commands (iproute2, arping, nsenter) that set up pod networks and hold the VIP, with a bounded wait and the command's own stderr in the
 * error: a failed {@code ip} says exactly what the kernel refused (no netlink library: the commands are the ones an
 * operator would type, and their messages are the ones an operator knows).
 */
public final class Commands {
    public static final String IP = "/usr/sbin/ip";
    public static final String NSENTER = "/usr/bin/nsenter";
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    private Commands() {
    }

    /** {@code ip ARGS...}: its stdout, or an IOException naming the command and carrying its stderr. */
    public static String ip(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(ip()));
        cmd.addAll(List.of(args));
        return run(cmd, null);
    }

    /**
     * {@code ip -force -batch -} (optionally {@code -n NETNS}) with one command a line: one process for many changes.
     * {@code -force} goes on past a line that fails (one node's unreachable gateway must not hold back the routes to
     * the others); the error then names what failed.
     */
    public static void batch(String netns, List<String> lines) throws IOException {
        if (lines.isEmpty()) return;
        List<String> cmd = new ArrayList<>(List.of(ip()));
        if (netns != null) cmd.addAll(List.of("-n", netns));
        cmd.addAll(List.of("-force", "-batch", "-"));
        run(cmd, String.join("\n", lines) + "\n");
    }

    public static String run(List<String> cmd, String stdin) throws IOException {
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectInput(stdin == null ? ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())
                    : ProcessBuilder.Redirect.PIPE).start();
        } catch (IOException e) {
            throw new IOException("cannot run " + cmd.getFirst() + ": " + e.getMessage() + " (install iproute2)", e);
        }
        // read what it says before feeding it: a command that fills its stderr pipe must not block our write
        CompletableFuture<String> out = drain(p.getInputStream());
        CompletableFuture<String> err = drain(p.getErrorStream());
        if (stdin != null) {
            try (var in = p.getOutputStream()) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                // it stopped reading (exited early): its exit status and stderr below say why
            }
        }
        try {
            if (!p.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", cmd) + ": no answer within " + TIMEOUT.toSeconds() + "s");
            }
            if (p.exitValue() != 0) {
                String why = err.get(5, TimeUnit.SECONDS).strip();
                throw new IOException(String.join(" ", cmd) + (stdin == null ? "" : " <<< " + stdin.strip().replace('\n', ';'))
                        + ": " + (why.isEmpty() ? "exit status " + p.exitValue() : why));
            }
            return out.get(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException(String.join(" ", cmd) + ": interrupted", e);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IOException(String.join(" ", cmd) + ": output unreadable: " + e, e);
        }
    }

    private static CompletableFuture<String> drain(InputStream in) {
        CompletableFuture<String> f = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try (in) {
                f.complete(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                f.complete("");
            }
        });
        return f;
    }

    private static String ip() {
        return Files.isExecutable(Path.of(IP)) ? IP : "ip";
    }
}
