package io.kubeha.logapi;

import java.io.PrintStream;
import java.io.FileOutputStream;
import java.io.FileDescriptor;
import java.io.BufferedOutputStream;
import java.net.BindException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * {@code java -jar logapi-1.0.jar [--port N]}: starts the service, prints one line when it listens, one line per
 * request, and stops gracefully on SIGTERM. Bad configuration is a one-line message and exit status 2.
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        List<String> argList = List.of(args);
        if (argList.contains("--help") || argList.contains("-h")) {
            System.out.print(LogApiConfig.USAGE);
            return;
        }
        LogApiConfig config;
        try {
            config = LogApiConfig.fromEnvironment(System.getenv(), argList, version());
        } catch (IllegalArgumentException e) {
            System.err.println("logapi: " + e.getMessage());
            System.err.print(LogApiConfig.USAGE);
            System.exit(2);
            return;
        }
        PrintStream out = new PrintStream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 14), true, StandardCharsets.UTF_8);
        LogApi api = new LogApi(config, out);
        try {
            api.start();
        } catch (BindException e) {
            System.err.println("logapi: cannot listen on " + config.bindHost() + ":" + config.port() + ": " + e.getMessage());
            System.exit(1);
            return;
        } catch (Exception e) {
            System.err.println("logapi: cannot start: " + e);
            System.exit(1);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            out.println(Instant.now() + " logapi: stopping (SIGTERM): no new connections, finishing requests in flight");
            api.shutdown();
            out.println(Instant.now() + " logapi: stopped");
        }, "logapi-shutdown"));
        String since = ProcessHandle.current().info().startInstant()
                .map(t -> ", started in " + Duration.between(t, Instant.now()).toMillis() + " ms").orElse("");
        out.println(Instant.now() + " logapi " + config.version() + " listening on " + config.bindHost() + ":"
                + api.address().getPort() + " as " + config.podName() + since + "; cluster: " + api.clusterDescription());
    }

    /**
     * The image's version: the manifest of the jar this runs from ({@code Implementation-Version}, set by the build
     * for each image), or {@code -Dlogapi.version}, or "dev" when running from classes.
     */
    static String version() {
        String v = System.getProperty("logapi.version");
        if (v != null && !v.isBlank()) return v.trim();
        v = Main.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
