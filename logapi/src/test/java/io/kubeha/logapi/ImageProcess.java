package io.kubeha.logapi;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One of the built images run as the node agent will run it: {@code java -jar target/images/logapi-V.jar} in a
 * child process with a pod's environment. Its stdout lines are queued for the test, stderr goes to a file.
 */
final class ImageProcess implements AutoCloseable {
    private static final String EOF = "\u0000EOF";
    final Process process;
    final Path stderr;
    final long startedNanos;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

    private ImageProcess(Process process, Path stderr, long startedNanos) {
        this.process = process;
        this.stderr = stderr;
        this.startedNanos = startedNanos;
        Thread.ofVirtual().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) lines.add(line);
            } catch (IOException ignored) {
                // the process ended
            } finally {
                lines.add(EOF);
            }
        });
    }

    /** The image jar the build made, e.g. {@code image("1.0")}. */
    static Path image(String version) {
        Path jar = Path.of("target", "images", "logapi-" + version + ".jar").toAbsolutePath();
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: the build makes it (mvn -pl logapi process-classes or later)");
        }
        return jar;
    }

    static ImageProcess start(String version, Map<String, String> env, String... args) throws IOException {
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx64m", "-jar", image(version).toString()));
        cmd.addAll(List.of(args));
        Path stderr = Files.createTempFile("logapi-" + version + "-", ".stderr");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(stderr.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("KUBERNETES_") || k.equals("KUBECONFIG") || k.equals("PORT"));
        pb.environment().putAll(env);
        long t0 = System.nanoTime();
        return new ImageProcess(pb.start(), stderr, t0);
    }

    /** The next stdout line, or null at the end of output or after {@code timeout}. */
    String nextLine(Duration timeout) throws InterruptedException {
        String line = lines.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (EOF.equals(line)) {
            lines.add(EOF);
            return null;
        }
        return line;
    }

    /** Skips stdout lines up to the first that contains {@code text}, and returns it (null if none came in time). */
    String awaitLine(String text, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (String line; (line = nextLine(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())))) != null; ) {
            if (line.contains(text)) return line;
        }
        return null;
    }

    String stderrText() throws IOException {
        return Files.readString(stderr);
    }

    @Override
    public void close() throws Exception {
        if (process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
        Files.deleteIfExists(stderr);
    }
}
