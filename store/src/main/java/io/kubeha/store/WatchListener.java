package io.kubeha.store;

/**
 * Receives a watch's events, one at a time, in revision order, from one thread at a time. Must not block for
 * long: a slow listener delays only its own watch, but it does delay it.
 */
public interface WatchListener {
    void onEvent(WatchEvent event);

    /**
     * The watch ended and will deliver nothing more: {@link StoreException.Compacted} when the start
     * revision is no longer kept, {@link StoreException.Unavailable} when the store cannot continue it.
     * Not called after {@link Watch#close()}.
     */
    void onError(StoreException error);
}
