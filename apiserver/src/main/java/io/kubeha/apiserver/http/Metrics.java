package io.kubeha.apiserver.http;

import io.kubeha.apiserver.storage.WatchCache;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.time.Duration;
import java.util.List;

/**
 * The API server's metrics, served at {@code /metrics} in Prometheus' text format, named after
 * kube-apiserver's: {@code apiserver_request_total} and {@code apiserver_request_duration_seconds} by verb,
 * resource and code, and {@code apiserver_longrunning_requests} (open watches).
 */
final class Metrics {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

    Metrics(List<WatchCache> caches) {
        registry.gauge("apiserver_longrunning_requests", List.of(io.micrometer.core.instrument.Tag.of("verb", "WATCH")), caches,
                cs -> cs.stream().mapToInt(WatchCache::watcherCount).sum());
    }

    void record(String verb, String resource, int code, long nanos) {
        String c = Integer.toString(code);
        registry.counter("apiserver_request_total", "verb", verb, "resource", resource, "code", c).increment();
        if (!verb.equals("WATCH")) {
            Timer.builder("apiserver_request_duration_seconds").tags("verb", verb, "resource", resource)
                    .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(60))
                    .register(registry).record(Duration.ofNanos(nanos));
        }
    }

    String scrape() {
        return registry.scrape();
    }
}
