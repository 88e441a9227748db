package io.kubeha.agent.runtime;

import java.io.IOException;
import java.util.List;

/**
 * Where containers run: OS processes ({@link ProcessRuntime}) or nowhere at all ({@link SimulatedRuntime}, for
 * scale tests, as KWOK does). The agent decides what runs; a runtime only starts, watches and stops.
 */
public interface ContainerRuntime extends AutoCloseable {
    /** "process" or "simulated". */
    String name();

    /** Starts the container; fails with a message fit for a pod's status when it cannot. */
    RunningContainer start(ContainerSpec spec) throws IOException;

    /**
     * The containers still running from an earlier life of this agent (it restarted): the agent takes them back
     * instead of starting duplicates.
     */
    List<RunningContainer> recover();

    /** Forgets a container that has ended and that the agent no longer needs (its pod is gone or it restarted). */
    void forget(RunningContainer container);

    @Override
    void close();
}
