package io.kubeha.agent.proxy;

import org.slf4j.Logger;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Logs a problem once per subject and cause, not once per connection: a dead endpoint that refuses a thousand
 * connections is one line, and one more when it recovers. Subjects are forgotten when they recover, and the
 * map is bounded so that many short-lived subjects (clients, endpoints) cannot grow it without limit.
 */
final class LogOnce {
    private static final int MAX = 10_000;
    private final Logger log;
    private final Map<String, String> current = new ConcurrentHashMap<>();

    LogOnce(Logger log) {
        this.log = log;
    }

    /** Logs {@code message} at WARN unless this subject's last logged problem was the same cause. */
    void warn(String subject, String cause, String message) {
        if (current.size() >= MAX) current.clear();
        String before = current.put(subject, cause);
        if (!cause.equals(before)) log.warn(message);
    }

    /** The subject works again: logs {@code message} at INFO when a problem had been logged. */
    void recovered(String subject, String message) {
        if (current.remove(subject) != null && message != null) log.info(message);
    }

    /** A short cause for an exception: its class and message, never a stack trace. */
    static String cause(Throwable e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }
}
