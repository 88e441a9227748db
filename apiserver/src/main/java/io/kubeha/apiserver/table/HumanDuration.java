package io.kubeha.apiserver.table;

import java.time.Duration;

/**
 * Kubernetes' {@code duration.HumanDuration} (k8s.io/apimachinery/pkg/util/duration), which every AGE,
 * LAST SEEN and "(5m ago)" cell uses: about two significant figures, and exact boundaries matter because
 * kubectl users read them ("119s" but "2m", "9m59s" but "10m", "7h59m" but "8h", "7d23h" but "8d").
 */
final class HumanDuration {
    private static final long SECOND = 1_000_000_000L;
    private static final long MINUTE = 60 * SECOND;
    private static final long HOUR = 60 * MINUTE;

    private HumanDuration() {}

    static String format(Duration d) {
        // Go durations are int64 nanoseconds and time.Since saturates, so do the same for far-off times.
        long nanos;
        try {
            nanos = d.toNanos();
        } catch (ArithmeticException overflow) {
            nanos = d.isNegative() ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
        // Integer division truncates toward zero, as Go's int(d.Seconds()) and d/time.Minute do.
        long seconds = nanos / SECOND;
        // Up to two seconds in the future is clock skew between machines: "0s", not "<invalid>".
        if (seconds < -1) {
            return "<invalid>";
        } else if (seconds < 0) {
            return "0s";
        } else if (seconds < 60 * 2) {
            return seconds + "s";
        }
        long minutes = nanos / MINUTE;
        if (minutes < 10) {
            long s = seconds % 60;
            return s == 0 ? minutes + "m" : minutes + "m" + s + "s";
        } else if (minutes < 60 * 3) {
            return minutes + "m";
        }
        long hours = nanos / HOUR;
        if (hours < 8) {
            long m = minutes % 60;
            return m == 0 ? hours + "h" : hours + "h" + m + "m";
        } else if (hours < 48) {
            return hours + "h";
        } else if (hours < 24 * 8) {
            long h = hours % 24;
            return h == 0 ? hours / 24 + "d" : hours / 24 + "d" + h + "h";
        } else if (hours < 24 * 365 * 2) {
            return hours / 24 + "d";
        } else if (hours < 24 * 365 * 8) {
            long dy = (hours / 24) % 365;
            return dy == 0 ? hours / 24 / 365 + "y" : hours / 24 / 365 + "y" + dy + "d";
        }
        return hours / 24 / 365 + "y";
    }
}
