package io.kubeha.agent.logs;

import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * Containers' log files as the kubelet lays them out ({@code LOGS/NS_POD_UID/CONTAINER/N.log}, N the restart
 * count), and reading them as {@code kubectl logs} asks: the current or the previous run, the last lines, a byte
 * limit, and following the file as it grows until the container's run ends.
 */
public final class ContainerLogs {
    private final Path root;

    public ContainerLogs(Path root) {
        this.root = root;
    }

    /** The log file of a container's current run, or the run before it. */
    public Optional<Path> file(String namespace, String pod, String container, boolean previous) throws IOException {
        Optional<Path> dir = containerDir(namespace, pod, container);
        if (dir.isEmpty()) return Optional.empty();
        List<Path> runs = runs(dir.get());
        int index = runs.size() - (previous ? 2 : 1);
        return index < 0 ? Optional.empty() : Optional.of(runs.get(index));
    }

    private Optional<Path> containerDir(String namespace, String pod, String container) throws IOException {
        if (!Files.isDirectory(root)) return Optional.empty();
        String prefix = namespace + "_" + pod + "_";
        try (var dirs = Files.list(root)) {
            return dirs.filter(d -> d.getFileName().toString().startsWith(prefix)
                            && d.getFileName().toString().substring(prefix.length()).indexOf('_') < 0)
                    .map(d -> d.resolve(container)).filter(Files::isDirectory)
                    .max(Comparator.comparing(d -> d.toFile().lastModified()));
        }
    }

    private static List<Path> runs(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().matches("\\d+\\.log"))
                    .sorted(Comparator.comparingInt(f -> Integer.parseInt(f.getFileName().toString().replace(".log", ""))))
                    .toList();
        }
    }

    /**
     * Writes the log to {@code out}: from {@code tailLines} lines before the end (all when negative), at most
     * {@code limitBytes} (none when negative), then, when following, what is appended until {@code stillFollowing}
     * says stop or a newer run starts.
     */
    public void copy(Path file, long tailLines, long limitBytes, boolean follow, BooleanSupplier stillFollowing, OutputStream out)
            throws IOException, InterruptedException {
        long written = 0;
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            long pos = tailLines < 0 ? 0 : tailStart(f, tailLines);
            byte[] buf = new byte[16 * 1024];
            while (true) {
                f.seek(pos);
                int n;
                boolean any = false;
                while ((n = f.read(buf)) > 0) {
                    int take = limitBytes < 0 ? n : (int) Math.min(n, limitBytes - written);
                    out.write(buf, 0, take);
                    written += take;
                    pos += n;
                    any = true;
                    if (limitBytes >= 0 && written >= limitBytes) {
                        out.flush();
                        return;
                    }
                }
                if (any) out.flush();
                if (!follow || !stillFollowing.getAsBoolean()) return;
                if (f.length() < pos) pos = 0; // truncated (rotated by copy and truncate): start again
                Path newest = runs(file.getParent()).stream().reduce((a, b) -> b).orElse(file);
                if (!newest.equals(file) && f.length() == pos) return; // a newer run began and this one is read out
                if (!any) Thread.sleep(200);
            }
        }
    }

    /**
     * Rotates every container's current log that grew past {@code maxBytes}, as the kubelet's
     * containerLogMaxSize and containerLogMaxFiles: the file is copied to {@code N.log.TIMESTAMP} and truncated in
     * place (the container keeps appending to it, from its new end: it opened the file for appending), and of the
     * rotated copies only the newest {@code maxFiles - 1} are kept. Lines written between the copy and the truncation
     * are lost, the known price of copy-and-truncate; it keeps the container's output out of the agent's hands.
     *
     * @return how many files were rotated
     */
    public int rotate(long maxBytes, int maxFiles) throws IOException {
        if (!Files.isDirectory(root)) return 0;
        int rotated = 0;
        List<Path> containers;
        try (var pods = Files.list(root)) {
            containers = pods.filter(Files::isDirectory).flatMap(pod -> {
                try (var cs = Files.list(pod)) {
                    return cs.filter(Files::isDirectory).toList().stream();
                } catch (IOException e) {
                    return java.util.stream.Stream.empty();
                }
            }).toList();
        }
        for (Path dir : containers) {
            List<Path> runs = runs(dir);
            if (runs.isEmpty()) continue;
            Path current = runs.getLast();
            if (Files.size(current) <= maxBytes) continue;
            String stamp = java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss.SSS").withZone(java.time.ZoneOffset.UTC)
                    .format(java.time.Instant.now());
            Path copy = current.resolveSibling(current.getFileName() + "." + stamp);
            for (int i = 1; Files.exists(copy); i++) copy = current.resolveSibling(current.getFileName() + "." + stamp + "-" + i);
            Files.copy(current, copy);
            try (var ch = java.nio.channels.FileChannel.open(current, java.nio.file.StandardOpenOption.WRITE)) {
                ch.truncate(0);
            }
            rotated++;
            String prefix = current.getFileName() + ".";
            try (var files = Files.list(dir)) {
                List<Path> old = files.filter(f -> f.getFileName().toString().startsWith(prefix)).sorted().toList();
                for (int i = 0; i < old.size() - Math.max(0, maxFiles - 1); i++) Files.deleteIfExists(old.get(i));
            }
        }
        return rotated;
    }

    /** The offset of the start of the last {@code lines} lines (a final line without a newline counts). */
    static long tailStart(RandomAccessFile f, long lines) throws IOException {
        long len = f.length();
        if (lines == 0) return len;
        long pos = len;
        long seen = 0;
        byte[] buf = new byte[8192];
        // a trailing newline ends the last line; it does not start another
        boolean skipFinalNewline = true;
        while (pos > 0) {
            int chunk = (int) Math.min(buf.length, pos);
            pos -= chunk;
            f.seek(pos);
            f.readFully(buf, 0, chunk);
            for (int i = chunk - 1; i >= 0; i--) {
                if (buf[i] == '\n') {
                    if (skipFinalNewline && pos + i == len - 1) {
                        continue;
                    }
                    seen++;
                    if (seen == lines) return pos + i + 1;
                }
            }
            skipFinalNewline = false;
        }
        return 0;
    }
}
