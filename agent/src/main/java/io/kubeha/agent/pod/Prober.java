package io.kubeha.agent.pod;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Probe;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One probe of one container, run as the kubelet's prober does: after initialDelaySeconds, every periodSeconds,
 * each attempt bounded by timeoutSeconds; the result flips after successThreshold successes or failureThreshold
 * failures in a row. httpGet (2xx and 3xx succeed), tcpSocket (a connection succeeds) and exec (exit 0 succeeds).
 */
final class Prober {
    enum Kind { LIVENESS, READINESS, STARTUP }

    /** What the prober tells its container's worker. */
    interface Listener {
        void changed(Prober prober, boolean success, String message);
    }

    final Kind kind;
    private final Probe probe;
    private final Container container;
    private final String podIp;
    private final Map<String, String> env;
    private final Listener listener;
    private volatile boolean closed;
    private volatile boolean result;
    private Thread thread;

    Prober(Kind kind, Probe probe, Container container, String podIp, Map<String, String> env, Listener listener) {
        this.kind = kind;
        this.probe = probe;
        this.container = container;
        this.podIp = podIp;
        this.env = env;
        this.listener = listener;
        // readiness starts false, liveness true (a container is alive until proven otherwise), startup false
        this.result = kind == Kind.LIVENESS;
    }

    Prober start() {
        thread = Thread.ofVirtual().name("probe-" + kind.name().toLowerCase() + "-" + container.getName()).start(this::loop);
        return this;
    }

    void close() {
        closed = true;
        if (thread != null) thread.interrupt();
    }

    boolean result() {
        return result;
    }

    private static int or(Integer v, int dflt) {
        return v == null ? dflt : v;
    }

    private void loop() {
        int period = Math.max(1, or(probe.getPeriodSeconds(), 10));
        int timeout = Math.max(1, or(probe.getTimeoutSeconds(), 1));
        int successThreshold = Math.max(1, or(probe.getSuccessThreshold(), 1));
        int failureThreshold = Math.max(1, or(probe.getFailureThreshold(), 3));
        int successes = 0;
        int failures = 0;
        try {
            Thread.sleep(TimeUnit.SECONDS.toMillis(or(probe.getInitialDelaySeconds(), 0)));
            while (!closed) {
                String failure = attempt(Duration.ofSeconds(timeout));
                if (closed) return;
                if (failure == null) {
                    failures = 0;
                    successes++;
                    if (!result && successes >= successThreshold) {
                        result = true;
                        listener.changed(this, true, null);
                    }
                } else {
                    successes = 0;
                    failures++;
                    if (failures >= failureThreshold) {
                        if (kind == Kind.READINESS) {
                            if (result) {
                                result = false;
                                listener.changed(this, false, failure);
                            }
                        } else {
                            // liveness or startup: the container is killed and restarted; count afresh
                            result = false;
                            failures = 0;
                            listener.changed(this, false, failure);
                        }
                    }
                }
                Thread.sleep(TimeUnit.SECONDS.toMillis(period));
            }
        } catch (InterruptedException e) {
            // closed
        }
    }

    /** One attempt: null on success, else what failed, in the kubelet's words. */
    String attempt(Duration timeout) throws InterruptedException {
        if (probe.getHttpGet() != null) return Handlers.httpGet(probe.getHttpGet(), container, podIp, timeout, "kube-probe/1.33", false);
        if (probe.getTcpSocket() != null) return Handlers.tcp(probe.getTcpSocket(), container, podIp, timeout);
        if (probe.getExec() != null) return Handlers.exec(probe.getExec().getCommand(), env, timeout);
        if (probe.getGrpc() != null) return "grpc probes are not supported by kubeha's agent";
        return "the probe names no handler";
    }
}
