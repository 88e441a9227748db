package io.kubeha.store;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings common to every store.
 *
 * @param requestTimeout   a read or write that has not completed by then fails {@link StoreException.Unavailable}
 * @param fsync            embedded store: flush every commit to disk before acknowledging it (as etcd does);
 *                         off, an acknowledged write still survives the process being killed, not the machine
 * @param progressInterval how often an idle watch reports progress
 * @param etcdTls          etcd store: the CA and client certificate for https:// endpoints; null for plain http
 *                         (the embedded store has no network to protect and ignores it)
 */
public record StoreOptions(Duration requestTimeout, boolean fsync, Duration progressInterval, EtcdTls etcdTls) {
    public static final StoreOptions DEFAULTS = new StoreOptions(Duration.ofSeconds(5), true, Duration.ofSeconds(5));

    /** Options without TLS settings for etcd. */
    public StoreOptions(Duration requestTimeout, boolean fsync, Duration progressInterval) {
        this(requestTimeout, fsync, progressInterval, null);
    }

    public StoreOptions {
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        Objects.requireNonNull(progressInterval, "progressInterval");
        if (requestTimeout.isNegative() || requestTimeout.isZero()) {
            throw new IllegalArgumentException("requestTimeout must be positive, was " + requestTimeout);
        }
        if (progressInterval.isNegative() || progressInterval.isZero()) {
            throw new IllegalArgumentException("progressInterval must be positive, was " + progressInterval);
        }
    }

    public StoreOptions withRequestTimeout(Duration timeout) {
        return new StoreOptions(timeout, fsync, progressInterval, etcdTls);
    }

    public StoreOptions withFsync(boolean fsync) {
        return new StoreOptions(requestTimeout, fsync, progressInterval, etcdTls);
    }

    public StoreOptions withProgressInterval(Duration interval) {
        return new StoreOptions(requestTimeout, fsync, interval, etcdTls);
    }

    /** With TLS settings for etcd ({@link EtcdTls#of} gives null, plain http, when no flag is set). */
    public StoreOptions withEtcdTls(EtcdTls tls) {
        return new StoreOptions(requestTimeout, fsync, progressInterval, tls);
    }
}
