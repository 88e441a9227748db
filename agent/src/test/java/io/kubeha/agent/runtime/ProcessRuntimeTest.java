package io.kubeha.agent.runtime;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What a restarted agent finds of the processes it started: exactly those, never a stranger that got a pid. */
class ProcessRuntimeTest {
    @TempDir
    Path dir;
    final List<RunningContainer> started = new ArrayList<>();

    @AfterEach
    void killWhatRuns() {
        started.forEach(c -> c.stop(Duration.ZERO));
        started.forEach(c -> c.exit().orTimeout(10, java.util.concurrent.TimeUnit.SECONDS).join());
    }

    private RunningContainer sleeper(ProcessRuntime rt, String name) throws IOException {
        Path work = Files.createDirectories(dir.resolve("work"));
        RunningContainer c = rt.start(new ContainerSpec("uid-1", name, null, List.of("sleep", "600"), Map.of("PATH", "/usr/bin:/bin"),
                work, dir.resolve("logs").resolve(name + ".log"), 0, Map.of()));
        started.add(c);
        return c;
    }

    @Test
    void aRestartedRuntimeTakesBackTheSameProcessAndOnlyIt() throws IOException {
        RunningContainer c = sleeper(new ProcessRuntime(dir.resolve("state")), "main");
        // an agent killed while writing leaves a temporary file: it names nothing and is cleared
        Files.writeString(dir.resolve("state").resolve("torn.properties.tmp"), "podUid=uid-1\npid=");

        List<RunningContainer> found = new ProcessRuntime(dir.resolve("state")).recover();
        assertThat(found).extracting(RunningContainer::id, RunningContainer::name).containsExactly(org.assertj.core.groups.Tuple.tuple(c.id(), "main"));
        try (var files = Files.list(dir.resolve("state"))) {
            assertThat(files.map(f -> f.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
        }
    }

    @Test
    void aPidNowHeldByAnotherProcessIsNotAdopted() throws IOException {
        RunningContainer c = sleeper(new ProcessRuntime(dir.resolve("state")), "main");
        // as if the container had ended and the kernel gave its pid to a new process: another start time
        try (var files = Files.list(dir.resolve("state"))) {
            Path state = files.filter(f -> f.toString().endsWith(".properties")).findFirst().orElseThrow();
            String text = Files.readString(state);
            assertThat(text).contains("startTicks=");
            Files.writeString(state, text.replaceAll("startTicks=(\\d+)", "startTicks=1$1"));
        }
        assertThat(new ProcessRuntime(dir.resolve("state")).recover()).isEmpty();
        assertThat(c.exited()).as("the process itself is left alone").isEmpty();
    }

    @Test
    void aContainerThatCannotBeRecordedIsNotLeftRunning() throws IOException {
        ProcessRuntime rt = new ProcessRuntime(dir.resolve("state"));
        // the state folder is replaced by a file: no state can be written there
        Files.delete(dir.resolve("state"));
        Files.writeString(dir.resolve("state"), "not a folder");
        long before = ProcessHandle.current().children().count();
        assertThatThrownBy(() -> sleeper(rt, "main")).isInstanceOf(IOException.class).hasMessageContaining("cannot record it");
        assertThat(ProcessHandle.current().children().filter(ProcessHandle::isAlive).count()).isLessThanOrEqualTo(before);
    }

    @Test
    void bootTicksReadsThisProcessStartTime() {
        long pid = ProcessHandle.current().pid();
        assertThat(ProcessRuntime.bootTicks(pid)).isPresent().get().isEqualTo(ProcessRuntime.bootTicks(pid).orElseThrow());
        assertThat(ProcessRuntime.bootTicks(Long.MAX_VALUE)).isEmpty();
    }
}
