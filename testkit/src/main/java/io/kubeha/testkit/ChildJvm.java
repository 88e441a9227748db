package io.kubeha.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A Java main class run in a child JVM with this JVM's java and class path, so a test can kill it for real
 * (kill -9 by PID) and look at what survived. Its stdout lines are queued for the test; stderr goes to a
 * file. {@link #close()} kills it if it still runs.
 */
public final class ChildJvm implements AutoCloseable {
    private static final String EOF = "\u0000EOF";
    private final Process process;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final Path stderr;

    private ChildJvm(Process process, Path stderr) {
        this.process = process;
        this.stderr = stderr;
        Thread.ofVirtual().name("child-jvm-stdout-" + process.pid()).start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) lines.add(line);
            } catch (IOException ignored) {
                // the process died; what was read is queued
            } finally {
                lines.add(EOF);
            }
        });
    }

    /** Starts {@code mainClass} with {@code args}; stderr goes to {@code stderr}. */
    public static ChildJvm start(Class<?> mainClass, Path stderr, String... args) throws IOException {
        return start(List.of(), mainClass, stderr, args);
    }

    /**
     * The same, through {@code prefix}, a command that execs the JVM in the same process (so the pid is still the
     * JVM's), e.g. {@code nsenter --net=/run/netns/NAME --} to run it in a network namespace.
     */
    public static ChildJvm start(List<String> prefix, Class<?> mainClass, Path stderr, String... args) throws IOException {
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>(prefix);
        cmd.addAll(List.of(java, "-cp", System.getProperty("java.class.path"), "-Xmx256m"));
        // the same module openings as this JVM (native libraries such as LMDB's need them)
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("--add-opens") || arg.startsWith("--enable-native-access")) cmd.add(arg);
        }
        cmd.add(mainClass.getName());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(stderr.toFile());
        return new ChildJvm(pb.start(), stderr);
    }

    public long pid() {
        return process.pid();
    }

    /** The process, for signals (see {@link Processes}). */
    public ProcessHandle handle() {
        return process.toHandle();
    }

    /** The next stdout line, or null at end of output or after {@code timeout}. */
    public String nextLine(Duration timeout) throws InterruptedException {
        String line = lines.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (EOF.equals(line)) {
            lines.add(EOF);
            return null;
        }
        return line;
    }

    /** Waits (bounded) for the process to end; its exit status. */
    public int exitValue(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("process " + process.pid() + " still runs after " + timeout);
        }
        return process.exitValue();
    }

    /** kill -9, and wait until the process is gone. */
    public void kill9() throws InterruptedException {
        Processes.kill9(process.toHandle());
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** Every stdout line not yet taken, up to the end of output (call after the process ended). */
    public List<String> remainingLines(Duration timeout) throws InterruptedException {
        List<String> out = new ArrayList<>();
        for (String line; (line = nextLine(timeout)) != null; ) out.add(line);
        return out;
    }

    public Path stderr() {
        return stderr;
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) kill9();
    }
}
