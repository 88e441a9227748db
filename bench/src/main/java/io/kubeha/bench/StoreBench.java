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

    private final Config config;
    private final PrintStream progress;
    private final Phases phases;

    public StoreBench(Config config, PrintStream progress) {
        this.config = config;
        this.progress = progress;
        this.phases = new Phases(config.concurrency(), progress);
    }

    public List<Phases.Result> run(BenchTarget target) throws Exception {
        String run = Long.toHexString(System.nanoTime());
        String base = "/bench/" + run + "/";
        byte[] value = new byte[config.valueBytes()];
        ThreadLocalRandom.current().nextBytes(value);
        List<Phases.Result> results = new ArrayList<>();

        // warm-up: let the JIT compile the paths measured below, so the first target is not penalised
        progress.printf("  %s: warming up%n", target.name());
        int warm = Math.min(2_000, config.puts());
        phases.parallel(warm, i -> target.put(base + "warmup/" + i, value));
        phases.parallel(warm * 2, i -> target.get(base + "warmup/" + ThreadLocalRandom.current().nextInt(warm)));
        for (int i = 0; i < 20; i++) target.range(base + "warmup/");

        results.add(phases.timed(target.name(), "put", config.puts(), i -> target.put(base + "kv/" + i, value)));
        results.add(phases.timed(target.name(), "get", config.gets(),
                i -> target.get(base + "kv/" + ThreadLocalRandom.current().nextInt(config.puts()))));

        progress.printf("  %s: loading %d keys to list%n", target.name(), config.rangeKeys());
        phases.parallel(config.rangeKeys(), i -> target.put(base + "list/" + i, value));
        results.add(phases.timed(target.name(), "range " + config.rangeKeys(), config.ranges(), i -> {
            int n = target.range(base + "list/");
            if (n != config.rangeKeys()) throw new IllegalStateException("range returned " + n + " keys");
        }));

        results.add(watchPhase(target, base + "watch/", value));
        return results;
    }

    private Phases.Result watchPhase(BenchTarget target, String prefix, byte[] value) throws Exception {
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
            try (Phases.Progress p = phases.progress(target.name() + " watch", n, seen)) {
                phases.parallel(n, i -> {
                    String key = prefix + i;
                    started.put(key, System.nanoTime());
                    target.put(key, value);
                });
                if (!all.await(120, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("the watch delivered " + seen.get() + " of " + n + " events within 120 s");
                }
            }
            double secs = (System.nanoTime() - start) / 1e9;
            return new Phases.Result(target.name(), "watch delivery", n, secs, h.getValueAtPercentile(50), h.getValueAtPercentile(99));
        }
    }
}
