package io.kubeha.agent.runtime;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** A started container: running until {@link #exit()} completes. */
public interface RunningContainer {
    /** The runtime's id of it, as containerStatuses[].containerID shows it (e.g. {@code process://4711}). */
    String id();

    String podUid();

    String name();

    Instant startedAt();

    /** Completes when the container has ended, with how. */
    CompletableFuture<Exit> exit();

    /** How it ended, if it has. */
    default Optional<Exit> exited() {
        return exit().isDone() ? Optional.of(exit().join()) : Optional.empty();
    }

    /**
     * Stops it as a kubelet does: SIGTERM, then SIGKILL once {@code grace} has passed; returns at once (watch
     * {@link #exit()}).
     */
    void stop(Duration grace);

    /**
     * How a container ended.
     *
     * @param exitCode its exit code; 128 + signal when a signal ended it; -1 when the runtime could not learn it
     *                 (a process adopted after an agent restart)
     * @param reason   Completed, Error or OOMKilled, as Kubernetes reports it
     */
    record Exit(int exitCode, String reason, Instant finishedAt) {
        public static Exit of(int exitCode, Instant at) {
            return new Exit(exitCode, exitCode == 0 ? "Completed" : "Error", at);
        }
    }
}
