package io.kubeha.cli;

import io.kubeha.bench.PodBench;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code kubeha bench pods} at tiny sizes: a real kubeha server and agent as child processes, pods that turn Ready on
 * simulated nodes and as real processes, the figures and memory it reports, and nothing left running after.
 */
class PodBenchTest {
    private static PodBench bench(String runtime, int nodes, int pods, ByteArrayOutputStream progress) {
        return new PodBench(new PodBench.Config(runtime, nodes, pods, 4, null, Main.class.getName(), "384m", null),
                new PrintStream(progress, true, StandardCharsets.UTF_8));
    }

    @Test
    void simulatedNodesRunPodsWithoutProcesses() throws Exception {
        ByteArrayOutputStream progress = new ByteArrayOutputStream();
        PodBench.Result r = bench("simulated", 3, 9, progress).run();
        assertThat(r.nodes()).isEqualTo(3);
        assertThat(r.pods()).isEqualTo(9);
        assertThat(r.readyPerSecond()).isPositive();
        assertThat(r.p99Micros()).isGreaterThanOrEqualTo(r.p50Micros());
        assertThat(r.serverRssKib()).as("server memory").isPositive();
        assertThat(r.agentRssKib()).as("agent memory").isPositive();
        assertThat(r.agentHwmKib()).isGreaterThanOrEqualTo(r.agentRssKib());
        assertThat(r.podProcesses()).as("simulated pods have no process").isZero();
        assertThat(progress.toString(StandardCharsets.UTF_8)).contains("3 nodes Ready");
        assertThat(ProcessHandle.current().descendants().filter(ProcessHandle::isAlive).toList()).as("processes left behind").isEmpty();

        String table = PodBench.table(PodBench.medians(List.of(r)));
        assertThat(table).contains("| simulated | 3 | 9 |").contains("server RSS (MiB)");
    }

    @Test
    void processRuntimeRunsAProcessPerPodAndKillsThemAfter() throws Exception {
        PodBench.Result r = bench("process", 1, 3, new ByteArrayOutputStream()).run();
        assertThat(r.pods()).isEqualTo(3);
        assertThat(r.podProcesses()).as("one sleeping shell per pod").isEqualTo(3);
        assertThat(r.podsRssKib()).isPositive();
        assertThat(ProcessHandle.current().descendants().filter(ProcessHandle::isAlive).toList()).as("processes left behind").isEmpty();
    }

    @Test
    void badOptionsAreOneClearLine() {
        for (String[] args : List.of(new String[] {"bench", "pods", "--runtime", "process", "--nodes", "3"},
                new String[] {"bench", "pods", "--runtime", "docker"}, new String[] {"bench", "pods", "--rounds", "0"},
                new String[] {"bench", "pods", "--runtime", "simulated", "--image", "logapi:1.0"})) {
            CommandLine cl = Main.commandLine();
            StringWriter err = new StringWriter();
            cl.setErr(new PrintWriter(err));
            cl.setOut(new PrintWriter(new StringWriter()));
            int code = cl.execute(args);
            assertThat(code).as(String.join(" ", args)).isEqualTo(2);
            assertThat(err.toString()).as(String.join(" ", args)).startsWith("kubeha: ").doesNotContain("Exception");
            assertThat(err.toString().strip().lines()).hasSize(1);
        }
    }
}
