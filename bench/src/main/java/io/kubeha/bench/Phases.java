package io.kubeha.bench;

import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs benchmark phases: a fixed number of operations from a number of virtual threads, each operation timed,
 * with a progress line every second.
 */
public final class Phases {
    /** One operation of a phase; {@code i} numbers the operations from 0. */
    @FunctionalInterface
    public interface Op {
        void run(int i) throws Exception;
    }

    private final int concurrency;
    private final PrintStream progress;

    public Phases(int concurrency, PrintStream progress) {
        this.concurrency = concurrency;
        this.progress = progress;
    }

    /** Runs {@code ops} operations and reports their throughput and latency percentiles. */
    public Result timed(String target, String op, int ops, Op work) throws Exception {
        Histogram h = new ConcurrentHistogram(3);
        AtomicLong done = new AtomicLong();
        long start = System.nanoTime();
        try (Progress p = progress(target + " " + op, ops, done)) {
            parallel(ops, i -> {
                long t0 = System.nanoTime();
                work.run(i);
                h.recordValue((System.nanoTime() - t0) / 1_000);
                done.incrementAndGet();
            });
        }
        double secs = (System.nanoTime() - start) / 1e9;
        return new Result(target, op, ops, secs, h.getValueAtPercentile(50), h.getValueAtPercentile(99));
    }

    /** Runs {@code ops} operations from the phase's threads, untimed (loading data, warming up). */
    public void parallel(int ops, Op work) throws Exception {
        AtomicLong next = new AtomicLong();
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < concurrency; t++) {
                fs.add(ex.submit(() -> {
                    for (long i; (i = next.getAndIncrement()) < ops; ) work.run((int) i);
                    return null;
                }));
            }
            for (Future<?> f : fs) f.get();
        }
    }

    /** Prints "label: done/total (n%)" every second until closed. */
    public Progress progress(String label, long total, AtomicLong done) {
        return new Progress(label, total, done);
    }

    public final class Progress implements AutoCloseable {
        private final Thread thread;

        Progress(String label, long total, AtomicLong done) {
            thread = Thread.ofVirtual().start(() -> {
                try {
                    while (true) {
                        Thread.sleep(Duration.ofSeconds(1));
                        long d = done.get();
                        progress.printf("  %s: %,d/%,d (%d%%)%n", label, d, total, d * 100 / total);
                    }
                } catch (InterruptedException ignored) {
                    // phase over
                }
            });
        }

        @Override
        public void close() {
            thread.interrupt();
        }
    }

    /** One phase's figures. */
    public record Result(String target, String op, long ops, double seconds, double p50Micros, double p99Micros) {
        public double perSecond() {
            return ops / seconds;
        }
    }

    /** Per target and operation, the median of each figure over repeated runs (in first-seen order). */
    public static List<Result> medians(List<Result> runs) {
        java.util.Map<String, List<Result>> groups = new java.util.LinkedHashMap<>();
        for (Result r : runs) groups.computeIfAbsent(r.target() + "\u0000" + r.op(), k -> new ArrayList<>()).add(r);
        List<Result> out = new ArrayList<>();
        for (List<Result> g : groups.values()) {
            Result first = g.get(0);
            double perSecond = median(g.stream().mapToDouble(Result::perSecond).toArray());
            out.add(new Result(first.target(), first.op(), first.ops(), first.ops() / perSecond,
                    median(g.stream().mapToDouble(Result::p50Micros).toArray()),
                    median(g.stream().mapToDouble(Result::p99Micros).toArray())));
        }
        return out;
    }

    static double median(double[] xs) {
        double[] s = xs.clone();
        java.util.Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /** The results as a Markdown table. */
    public static String table(List<Result> results) {
        StringBuilder sb = new StringBuilder();
        sb.append("| store | operation | ops | ops/s | p50 (ms) | p99 (ms) |\n");
        sb.append("|---|---|---:|---:|---:|---:|\n");
        for (Result r : results) {
            sb.append(String.format("| %s | %s | %,d | %,.0f | %.2f | %.2f |%n", r.target(), r.op(), r.ops(), r.perSecond(),
                    r.p50Micros() / 1000, r.p99Micros() / 1000));
        }
        return sb.toString();
    }
}
