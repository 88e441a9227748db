package io.kubeha.store;

/** A running watch. */
public interface Watch extends AutoCloseable {
    /** Ask for a {@link WatchEvent.Progress} as soon as every change so far has been delivered. */
    void requestProgress();

    /** Stop delivering; no event or error reaches the listener after this returns. */
    @Override
    void close();
}
