package io.kubeha.vip;

import java.io.IOException;

/**
 * How a holder holds the address: {@link #hold()} when it wins, {@link #release()} when it loses or gives up (both
 * idempotent). A hold that fails (the address is taken elsewhere, not configured on any interface) is an
 * {@link IOException} saying what to do; the election then gives the Lease back.
 */
public interface Announcer extends AutoCloseable {
    /** A short name for logs: loopback, ip. */
    String mode();

    void hold() throws IOException;

    void release();

    boolean holding();

    @Override
    default void close() {
        release();
    }
}
