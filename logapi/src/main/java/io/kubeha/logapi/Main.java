package io.kubeha.logapi;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.BindException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * {@code java -jar logapi-1.0.jar [--port N]}: starts the service, prints one line when it listens, one line per
 * request, and stops gracefully on SIGTERM. Bad configuration is a one-line message and exit status 2.
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        long mainStarted = System.nanoTime();
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
        long sinceMain = (System.nanoTime() - mainStarted) / 1_000_000;
        long sinceExec = processAgeMillis();
        out.println(Instant.now() + " logapi " + config.version() + " listening on " + config.bindHost() + ":"
                + api.address().getPort() + " as " + config.podName() + ", started in "
                + (sinceExec >= 0 ? sinceExec + " ms since exec (" + sinceMain + " ms in main)" : sinceMain + " ms in main")
                + "; cluster: " + api.clusterDescription());
    }

    /**
     * How long ago this process was exec'd, to 10 ms, from Linux's /proc (the process's start in clock ticks
     * since boot against the uptime; ProcessHandle's start instant rounds the boot time to the second), or -1.
     */
    static long processAgeMillis() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            // the fields after the command name, which is in parentheses and may hold spaces
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long startTicks = Long.parseLong(f[19]); // field 22 of proc(5): starttime, in clock ticks (USER_HZ = 100)
            double uptime = Double.parseDouble(Files.readString(Path.of("/proc/uptime")).split(" ")[0]);
            return Math.max(0, Math.round(uptime * 1000) - startTicks * 10);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
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
