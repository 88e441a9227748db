package io.kubeha.store.etcd;

import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.common.exception.ErrorCode;
import io.etcd.jetcd.common.exception.EtcdException;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * Sorts etcd's failures into what the store reports. etcd names most conditions only in the message of a
 * gRPC status (for example {@code etcdserver: mvcc: required revision has been compacted}), so the messages
 * are matched; they have been stable since etcd 3.0.
 */
final class EtcdErrors {
    private EtcdErrors() {
    }

    enum Kind {
        /** The revision asked for is older than the compaction revision. */
        COMPACTED,
        /** The revision asked for is newer than the store's. */
        FUTURE_REVISION,
        /** The request exceeds etcd's --max-request-bytes (or gRPC's message limit derived from it). */
        TOO_LARGE,
        /** etcd refused the request as malformed (for example too many operations in one txn). */
        INVALID,
        /** Anything else: unreachable, no leader, timed out, closed. Retrying later may work. */
        UNAVAILABLE
    }

    static Kind classify(Throwable failure) {
        Throwable t = unwrap(failure);
        if (t instanceof CompactedException) return Kind.COMPACTED;
        String message = messages(t);
        if (message.contains("required revision has been compacted")) return Kind.COMPACTED;
        if (message.contains("required revision is a future revision")) return Kind.FUTURE_REVISION;
        if (message.contains("request is too large") || message.contains("larger than max")
                || message.contains("exceeds maximum size")) {
            return Kind.TOO_LARGE;
        }
        if (t instanceof EtcdException e && e.getErrorCode() == ErrorCode.INVALID_ARGUMENT) return Kind.INVALID;
        return Kind.UNAVAILABLE;
    }

    /** The failure itself, without the wrappers futures put around it. */
    static Throwable unwrap(Throwable t) {
        while ((t instanceof ExecutionException || t instanceof CompletionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /** Every message down the cause chain, for matching and for telling the user what etcd said. */
    static String messages(Throwable t) {
        StringBuilder out = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            String m = c.getMessage();
            if (m != null && !m.isBlank() && out.indexOf(m) < 0) {
                if (!out.isEmpty()) out.append(": ");
                out.append(m);
            }
        }
        return out.isEmpty() ? unwrap(t).getClass().getSimpleName() : out.toString();
    }
}
