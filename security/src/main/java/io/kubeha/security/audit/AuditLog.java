package io.kubeha.security.audit;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * kube-apiserver's log backend ({@code --audit-log-path}): one audit.k8s.io/v1 Event JSON object per line, to a file
 * or to standard output ({@code -}).
 *
 * <p>{@link #record} never blocks a request: it asks the policy for the level on the caller's thread (cheap) and puts
 * the record on a bounded queue; one background thread turns records into JSON lines and writes them, flushing
 * whenever the queue is empty. When the queue is full the event is dropped and counted ({@link #dropped()}), the way
 * kube's batching backend drops events when its buffer is full; the request itself never fails for it. An event the
 * writer cannot write (disk full) is logged and counted as dropped too.
 *
 * <p>Rotation ({@code --audit-log-maxsize}, {@code --audit-log-maxbackup}): before a line would take the file past
 * {@code maxSizeBytes}, the file is renamed {@code FILE.1}, an existing {@code FILE.1} becomes {@code FILE.2} and so on,
 * and the oldest beyond {@code maxBackups} is deleted; {@code maxBackups} 0 keeps every backup, as kube's 0 does. A
 * {@code maxSizeBytes} of 0 or less never rotates. (kube's lumberjack names backups by timestamp; kubeha numbers them.)
 * A new file is created readable by its owner only (0600), as kube's is; an existing one is appended to.
 */
public final class AuditLog implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AuditLog.class);
    /** kube's --audit-log-batch-buffer-size default. */
    public static final int DEFAULT_QUEUE_CAPACITY = 10_000;

    /** Where lines go; used by the writer thread only. */
    interface Sink {
        void write(byte[] line) throws IOException;

        void flush() throws IOException;

        void close() throws IOException;
    }

    private record Item(AuditRecord record, AuditPolicy.Decision decision) {
    }

    private static final Item STOP = new Item(null, null);

    private final AuditPolicy policy;
    private final BlockingQueue<Item> queue;
    private final Sink sink;
    private final Thread writer;
    private final AtomicLong dropped = new AtomicLong();
    private final String where;
    private volatile boolean closed;

    private AuditLog(AuditPolicy policy, Sink sink, int capacity, String where) {
        this.policy = policy;
        this.sink = sink;
        this.where = where;
        this.queue = sink == null ? null : new ArrayBlockingQueue<>(capacity);
        if (sink == null) {
            this.writer = null;
            this.closed = true;
        } else {
            this.writer = Thread.ofPlatform().name("audit-log-writer").daemon().unstarted(this::run);
            this.writer.start();
        }
    }

    /** {@link #open(Path, AuditPolicy, long, int, int)} with kube's default queue of 10,000 events. */
    public static AuditLog open(Path fileOrDash, AuditPolicy policy, long maxSizeBytes, int maxBackups) {
        return open(fileOrDash, policy, maxSizeBytes, maxBackups, DEFAULT_QUEUE_CAPACITY);
    }

    /**
     * Opens (creating it and its folder if need be) the log file, or standard output for {@code -}.
     *
     * @throws UncheckedIOException if the file cannot be opened for appending
     */
    public static AuditLog open(Path fileOrDash, AuditPolicy policy, long maxSizeBytes, int maxBackups,
            int queueCapacity) {
        Objects.requireNonNull(fileOrDash, "fileOrDash");
        Objects.requireNonNull(policy, "policy");
        if (maxBackups < 0) {
            throw new IllegalArgumentException("--audit-log-maxbackup must not be negative, got " + maxBackups);
        }
        if (queueCapacity < 1) {
            throw new IllegalArgumentException("the audit queue capacity must be positive, got " + queueCapacity);
        }
        if (fileOrDash.toString().equals("-")) {
            return new AuditLog(policy, new StreamSink(System.out), queueCapacity, "standard output");
        }
        try {
            return new AuditLog(policy, new FileSink(fileOrDash, maxSizeBytes, maxBackups), queueCapacity,
                    fileOrDash.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the audit log " + fileOrDash + ": " + e, e);
        }
    }

    /** For tests: any sink. */
    static AuditLog toSink(Sink sink, AuditPolicy policy, int queueCapacity) {
        return new AuditLog(policy, sink, queueCapacity, "test sink");
    }

    /** No audit log: {@link #record} does nothing. */
    public static AuditLog disabled() {
        return new AuditLog(AuditPolicy.metadataForAll(), null, 1, "nowhere");
    }

    /** Queues the request's event, at the level the policy gives it; never blocks, drops when the queue is full. */
    public void record(AuditRecord r) {
        if (sink == null) {
            return;
        }
        AuditPolicy.Decision d = policy.decide(r);
        if (d.level() == AuditPolicy.Level.NONE) {
            return;
        }
        if (closed || !queue.offer(new Item(r, d))) {
            long n = dropped.incrementAndGet();
            if (Long.bitCount(n) == 1) { // 1, 2, 4, 8...: say so without flooding the log
                LOG.warn("audit log {}: {}; dropped {} event(s) so far", where,
                        closed ? "closed" : "queue full (" + (queue.size() + queue.remainingCapacity()) + " events)", n);
            }
        }
    }

    /** Events dropped so far: queue full, log closed, or a write that failed. */
    public long dropped() {
        return dropped.get();
    }

    /** Writes out every event recorded before, flushes and closes the file. */
    @Override
    public void close() {
        if (sink == null || closed) {
            return;
        }
        closed = true;
        try {
            queue.put(STOP);
            writer.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            LOG.warn("audit log {}: interrupted while closing; {} event(s) not written", where, queue.size());
        }
        // a record() racing with close may have queued after STOP
        List<Item> rest = new ArrayList<>();
        queue.drainTo(rest);
        rest.forEach(this::write);
        try {
            sink.flush();
            sink.close();
        } catch (IOException e) {
            LOG.error("audit log {}: closing failed: {}", where, e.toString());
        }
    }

    private void run() {
        try {
            while (true) {
                Item item = queue.poll();
                if (item == null) {
                    flush();
                    item = queue.take();
                }
                if (item == STOP) {
                    return;
                }
                write(item);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void write(Item item) {
        if (item == STOP) {
            return;
        }
        try {
            byte[] json = AuditEvents.JSON.writeValueAsBytes(AuditEvents.toJson(item.record(), item.decision()));
            byte[] line = new byte[json.length + 1];
            System.arraycopy(json, 0, line, 0, json.length);
            line[json.length] = '\n';
            sink.write(line);
        } catch (IOException | RuntimeException e) {
            long n = dropped.incrementAndGet();
            if (Long.bitCount(n) == 1) {
                LOG.error("audit log {}: cannot write an event: {}; dropped {} event(s) so far", where, e.toString(), n);
            }
        }
    }

    private void flush() {
        try {
            sink.flush();
        } catch (IOException e) {
            LOG.error("audit log {}: flush failed: {}", where, e.toString());
        }
    }

    /** Standard output: flushed, never closed. */
    private static final class StreamSink implements Sink {
        private final PrintStream out;

        StreamSink(PrintStream out) {
            this.out = out;
        }

        @Override
        public void write(byte[] line) {
            out.write(line, 0, line.length);
        }

        @Override
        public void flush() {
            out.flush();
        }

        @Override
        public void close() {
            out.flush();
        }
    }

    /** A file, appended to, rotated by size. */
    static final class FileSink implements Sink {
        private final Path file;
        private final long maxSize;
        private final int maxBackups;
        private OutputStream out;
        private long size;

        FileSink(Path file, long maxSize, int maxBackups) throws IOException {
            this.file = file.toAbsolutePath();
            this.maxSize = maxSize;
            this.maxBackups = maxBackups;
            Path parent = this.file.getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            openFile();
        }

        private void openFile() throws IOException {
            if (!Files.exists(file)
                    && FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            }
            out = new BufferedOutputStream(Files.newOutputStream(file, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND, StandardOpenOption.WRITE), 64 * 1024);
            size = Files.size(file);
        }

        @Override
        public void write(byte[] line) throws IOException {
            if (maxSize > 0 && size > 0 && size + line.length > maxSize) {
                rotate();
            }
            out.write(line);
            size += line.length;
        }

        private void rotate() throws IOException {
            out.close();
            try {
                shiftBackups();
            } finally {
                openFile(); // keep writing, to the old file if the renames failed
            }
        }

        private void shiftBackups() throws IOException {
            int last = maxBackups;
            if (last == 0) { // keep all: shift as many as there are
                last = 1;
                while (Files.exists(backup(last))) {
                    last++;
                }
            } else {
                Files.deleteIfExists(backup(last));
            }
            for (int i = last - 1; i >= 1; i--) {
                if (Files.exists(backup(i))) {
                    Files.move(backup(i), backup(i + 1), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            Files.move(file, backup(1), StandardCopyOption.REPLACE_EXISTING);
        }

        private Path backup(int n) {
            return file.resolveSibling(file.getFileName() + "." + n);
        }

        @Override
        public void flush() throws IOException {
            out.flush();
        }

        @Override
        public void close() throws IOException {
            out.close();
        }
    }

    @Override
    public String toString() {
        return "AuditLog[" + where + "]";
    }
}
