package io.kubeha.agent.runtime;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Containers that run nowhere, as KWOK's nodes do: they start at once and run until stopped, when they exit 0
 * (143 had they been real). For scale tests of everything but the runtime: one agent can stand for many nodes.
 */
public final class SimulatedRuntime implements ContainerRuntime {
    private final AtomicLong ids = new AtomicLong();

    @Override
    public String name() {
        return "simulated";
    }

    @Override
    public RunningContainer start(ContainerSpec spec) {
        String id = "simulated://" + ids.incrementAndGet();
        Instant started = Instant.now();
        CompletableFuture<RunningContainer.Exit> exit = new CompletableFuture<>();
        return new RunningContainer() {
            @Override
            public String id() {
                return id;
            }

            @Override
            public String podUid() {
                return spec.podUid();
            }

            @Override
            public String name() {
                return spec.container();
            }

            @Override
            public Instant startedAt() {
                return started;
            }

            @Override
            public CompletableFuture<Exit> exit() {
                return exit;
            }

            @Override
            public void stop(Duration grace) {
                exit.complete(new Exit(0, "Completed", Instant.now()));
            }
        };
    }

    @Override
    public List<RunningContainer> recover() {
        return List.of(); // nothing survives: the pods are started afresh
    }

    @Override
    public void forget(RunningContainer container) {
    }

    @Override
    public void close() {
    }
}
