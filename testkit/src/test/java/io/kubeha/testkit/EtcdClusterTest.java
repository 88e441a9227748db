package io.kubeha.testkit;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EtcdClusterTest {

    @Test
    void withoutAnEtcdBinaryItFailsAndSaysHowToInstallOne() {
        assertThatThrownBy(() -> EtcdCluster.findEtcd("/nonexistent/bin", Path.of("/nonexistent/etcd")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("install it: apt-get install -y etcd-server");
    }

    @Test
    void freePortsAreDistinct() {
        List<Integer> ports = Ports.free(Ports.loopback(), 10);
        assertThat(ports).doesNotHaveDuplicates().allMatch(port -> port > 0);
    }

    @Test
    void aMemberKilledAndRestartedServesAgainAndCloseLeavesNothingBehind() {
        ProcessHandle first;
        ProcessHandle restarted;
        Path dir;
        try (EtcdCluster cluster = EtcdCluster.start(1)) {
            dir = cluster.dir();
            assertThat(cluster.clientEndpoints()).singleElement()
                    .satisfies(uri -> assertThat(uri.toString()).startsWith("http://127.0.0.1:"));
            first = ProcessHandle.of(cluster.pid(0)).orElseThrow();

            cluster.kill(0);
            assertThat(first.isAlive()).isFalse();
            assertThat(cluster.isRunning(0)).isFalse();

            cluster.restart(0);
            cluster.awaitHealthy();
            restarted = ProcessHandle.of(cluster.pid(0)).orElseThrow();
            assertThat(cluster.logTail(5)).contains("==> etcd member m0");
        }
        assertThat(restarted.isAlive()).isFalse();
        assertThat(Files.exists(dir)).isFalse();
    }
}
