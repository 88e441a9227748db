package io.kubeha.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** One line saying what machine a benchmark ran on, for BENCHMARKS.md. */
public final class Machine {
    private Machine() {}

    public static String describe() {
        String cpu = "unknown CPU";
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).strip()).orElse(cpu);
        } catch (IOException ignored) {
            // not Linux: say less
        }
        long memGiB = -1;
        try {
            List<String> mem = Files.readAllLines(Path.of("/proc/meminfo"));
            memGiB = Long.parseLong(mem.get(0).replaceAll("\\D+", "")) / (1024 * 1024);
        } catch (IOException | RuntimeException ignored) {
            // not Linux
        }
        return String.format("Machine: %d cores (%s), %d GiB memory, %s %s, Java %s", Runtime.getRuntime().availableProcessors(),
                cpu, memGiB, System.getProperty("os.name"), System.getProperty("os.version"), Runtime.version());
    }
}
