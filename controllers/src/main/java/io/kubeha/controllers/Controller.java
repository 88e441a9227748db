package io.kubeha.controllers;

/**
 * One control loop. {@link #start} registers its informers and starts its workers; {@link #close} stops them.
 * A controller instance lives for one leadership term: a new one is built each time the manager becomes leader.
 */
public interface Controller extends AutoCloseable {
    String name();

    /** Starts informers and workers; returns once the informers' caches have synced. */
    void start() throws Exception;

    @Override
    void close();
}
