package io.kubeha.bench;

import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;

/**
 * The store benchmark: put, get, range and watch-delivery throughput and latency against each target, with
 * progress on stderr. Each phase runs a fixed number of operations from {@code concurrency} virtual threads;
 * latency is per operation (for watches: from the start of the put to the event reaching the watcher).
 */
public final class StoreBench {

    /** @param puts and gets operations per phase; {@code rangeKeys} keys listed by each range */
    public record Config(int puts, int gets, int ranges, int rangeKeys, int watchEvents, int concurrency, int valueBytes) {
        public Config {
            if (puts < 1 || gets < 1 || ranges < 1 || rangeKeys < 1 || watchEvents < 1 || concurrency < 1 || valueBytes < 0) {
                throw new IllegalArgumentException("every count must be positive");
            }
        }

        public static Config defaults() {
            return new Config(10_000, 20_000, 300, 1_000, 5_000, 16, 1_024);
        }
    }

    /** One phase's figures. */
    public record Result(String target, String op, long ops, double seconds, double p50Micros, double p99Micros) {
        public double perSecond() {
            return ops / seconds;
        }
    }

    private final Config config;
    private final PrintStream progress;

    public StoreBench(Config config, PrintStream progress) {
        this.config = config;
        this.progress = progress;
    }

    public List<Result> run(BenchTarget target) throws Exception {
        String run = Long.toHexString(System.nanoTime());
        String base = "/bench/" + run + "/";
        byte[] value = new byte[config.valueBytes()];
        ThreadLocalRandom.current().nextBytes(value);
        List<Result> results = new ArrayList<>();

        // warm-up: let the JIT compile the paths measured below, so the first target is not penalised
        progress.printf("  %s: warming up%n", target.name());
        int warm = Math.min(2_000, config.puts());
        parallel(warm, i -> target.put(base + "warmup/" + i, value));
        parallel(warm * 2, i -> target.get(base + "warmup/" + ThreadLocalRandom.current().nextInt(warm)));
        for (int i = 0; i < 20; i++) target.range(base + "warmup/");

        results.add(phase(target, "put", config.puts(), i -> target.put(base + "kv/" + i, value)));
        results.add(phase(target, "get", config.gets(),
                i -> target.get(base + "kv/" + ThreadLocalRandom.current().nextInt(config.puts()))));

        progress.printf("  %s: loading %d keys to list%n", target.name(), config.rangeKeys());
        parallel(config.rangeKeys(), i -> target.put(base + "list/" + i, value));
        results.add(phase(target, "range " + config.rangeKeys(), config.ranges(), i -> {
            int n = target.range(base + "list/");
            if (n != config.rangeKeys()) throw new IllegalStateException("range returned " + n + " keys");
        }));

        results.add(watchPhase(target, base + "watch/", value));
        return results;
    }

    private Result phase(BenchTarget target, String op, int ops, IntConsumer work) throws Exception {
        Histogram h = new ConcurrentHistogram(3);
        long start = System.nanoTime();
        AtomicLong done = new AtomicLong();
        try (Progress p = new Progress(target.name() + " " + op, ops, done)) {
            parallel(ops, i -> {
                long t0 = System.nanoTime();
                work.accept(i);
                h.recordValue((System.nanoTime() - t0) / 1_000);
                done.incrementAndGet();
            });
        }
        double secs = (System.nanoTime() - start) / 1e9;
        return new Result(target.name(), op, ops, secs, h.getValueAtPercentile(50), h.getValueAtPercentile(99));
    }

    private Result watchPhase(BenchTarget target, String prefix, byte[] value) throws Exception {
        int n = config.watchEvents();
        Map<String, Long> started = new ConcurrentHashMap<>();
        Histogram h = new ConcurrentHistogram(3);
        CountDownLatch all = new CountDownLatch(n);
        AtomicLong seen = new AtomicLong();
        try (AutoCloseable w = target.watch(prefix, key -> {
            Long t0 = started.remove(key);
            if (t0 != null) {
                h.recordValue((System.nanoTime() - t0) / 1_000);
                seen.incrementAndGet();
                all.countDown();
            }
        })) {
            Thread.sleep(200); // a jetcd watch is set up asynchronously; the watch starts at a fixed revision anyway
            long start = System.nanoTime();
            try (Progress p = new Progress(target.name() + " watch", n, seen)) {
                parallel(n, i -> {
                    String key = prefix + i;
                    started.put(key, System.nanoTime());
                    target.put(key, value);
                });
                if (!all.await(120, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("the watch delivered " + seen.get() + " of " + n + " events within 120 s");
                }
            }
            double secs = (System.nanoTime() - start) / 1e9;
            return new Result(target.name(), "watch delivery", n, secs, h.getValueAtPercentile(50), h.getValueAtPercentile(99));
        }
    }

    private void parallel(int ops, IntConsumer work) throws Exception {
        AtomicLong next = new AtomicLong();
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < config.concurrency(); t++) {
                fs.add(ex.submit(() -> {
                    for (long i; (i = next.getAndIncrement()) < ops; ) work.accept((int) i);
                    return null;
                }));
            }
            for (Future<?> f : fs) f.get();
        }
    }

    /** Prints a progress line every second while a phase runs. */
    private final class Progress implements AutoCloseable {
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

    /** Per target and operation, the median of each figure over repeated runs (in first-seen order). */
    public static List<Result> medians(List<Result> runs) {
        Map<String, List<Result>> groups = new java.util.LinkedHashMap<>();
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
