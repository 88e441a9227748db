package io.kubeha.scheduler;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static io.kubeha.scheduler.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** percentageOfNodesToScore: a cycle stops filtering once it found enough feasible nodes, starting where the last stopped. */
class PartialScoringTest {
    /** Records the nodes it is asked about, in order, and lets only the listed ones (or all) through. */
    private static final class Recording implements Plugin.Filter {
        final List<String> seen = new ArrayList<>();
        private final java.util.function.Predicate<String> fits;

        Recording(java.util.function.Predicate<String> fits) {
            this.fits = fits;
        }

        @Override
        public String name() {
            return "Recording";
        }

        @Override
        public Status filter(Pod pod, NodeInfo node) {
            seen.add(node.name());
            return fits.test(node.name()) ? Status.SUCCESS : Status.unschedulable(name(), "node(s) were not wanted");
        }
    }

    private static ClusterSnapshot nodes(int n) {
        List<NodeInfo> infos = new ArrayList<>();
        for (int i = 0; i < n; i++) infos.add(new NodeInfo(worker(String.format("n%05d", i))));
        return new ClusterSnapshot(infos, List.of());
    }

    private static Framework framework(Recording filter, int percentage) {
        return new Framework(List.of(filter), List.of(new Framework.WeightedScore(new LeastAllocated(), 1)), new Random(7), percentage);
    }

    @ParameterizedTest(name = "{0} nodes, percentage {1}: look for {2}")
    @CsvSource({
            "1, 0, 1", "50, 0, 50", "99, 0, 99",
            "100, 0, 100",   // 50% would be 50: never fewer than 100
            "200, 0, 100",   // 49% of 200 = 98 -> 100
            "500, 0, 230",   // 50 - 4 = 46%
            "1000, 0, 420",  // 50 - 8 = 42%
            "5000, 0, 500",  // 50 - 40 = 10%
            "6000, 0, 300",  // 50 - 48 = 2% -> at least 5%
            "15000, 0, 750", // 5%
            "1000, 100, 1000", "1000, 30, 300", "1000, 5, 100", "50, 10, 50"})
    void numFeasibleNodesToFindAsKubeScheduler(int nodes, int percentage, int expected) {
        assertThat(Framework.numFeasibleNodesToFind(percentage, nodes)).isEqualTo(expected);
    }

    @Test
    void aCycleStopsAtEnoughFeasibleNodesAndTheNextStartsWhereItStopped() {
        Recording filter = new Recording(name -> true);
        Framework framework = framework(filter, 0);
        ClusterSnapshot snapshot = nodes(1000);

        var first = (Framework.Result.Fit) framework.schedule(pod("a").build(), snapshot);
        assertThat(first.evaluated()).isEqualTo(420);
        assertThat(first.feasible()).isEqualTo(420);
        assertThat(filter.seen).hasSize(420).first().isEqualTo("n00000");
        assertThat(filter.seen).last().isEqualTo("n00419");
        assertThat(first.node()).isIn(filter.seen); // only what was filtered is scored

        filter.seen.clear();
        framework.schedule(pod("b").build(), snapshot);
        assertThat(filter.seen).first().isEqualTo("n00420");
        assertThat(filter.seen).last().isEqualTo("n00839");

        filter.seen.clear();
        framework.schedule(pod("c").build(), snapshot); // wraps around
        assertThat(filter.seen).hasSize(420).first().isEqualTo("n00840");
        assertThat(filter.seen).contains("n00999", "n00000").last().isEqualTo("n00259");
    }

    @Test
    void nodesThatDoNotFitAreSkippedUntilEnoughThatDoAreFound() {
        // only even nodes fit: 420 feasible nodes take 839 evaluations
        Recording filter = new Recording(name -> Integer.parseInt(name.substring(1)) % 2 == 0);
        var fit = (Framework.Result.Fit) framework(filter, 0).schedule(pod("a").build(), nodes(1000));
        assertThat(fit.feasible()).isEqualTo(420);
        assertThat(fit.evaluated()).isEqualTo(839);
        assertThat(Integer.parseInt(fit.node().substring(1)) % 2).isZero();
    }

    @Test
    void fewerFeasibleNodesThanWantedMeansEveryNodeIsTriedAndAllCountInTheMessage() {
        Recording filter = new Recording(name -> name.equals("n00777"));
        var fit = (Framework.Result.Fit) framework(filter, 0).schedule(pod("a").build(), nodes(1000));
        assertThat(fit.node()).isEqualTo("n00777");
        assertThat(fit.evaluated()).isEqualTo(1000);
        assertThat(filter.seen).doesNotHaveDuplicates().hasSize(1000);

        Recording none = new Recording(name -> false);
        var noFit = (Framework.Result.NoFit) framework(none, 0).schedule(pod("b").build(), nodes(1000));
        assertThat(noFit.message()).isEqualTo("0/1000 nodes are available: 1000 node(s) were not wanted. "
                + "preemption: 0/1000 nodes are available: 1000 No preemption victims found for incoming pod.");
    }

    @Test
    void theDefaultPluginsAtFiveThousandNodesScoreATenthAndStillSaySoExactlyWhenNothingFits() {
        List<Node> workers = new ArrayList<>();
        for (int i = 0; i < 5000; i++) workers.add(worker(String.format("w%05d", i)));
        List<NodeInfo> infos = workers.stream().map(NodeInfo::new).toList();
        Framework framework = Framework.defaults(new Random(3));
        var fit = (Framework.Result.Fit) framework.schedule(podRequesting("p", "100m", "500Mi").build(), new ClusterSnapshot(infos, List.of()));
        assertThat(fit.evaluated()).isEqualTo(500);
        assertThat(fit.feasible()).isEqualTo(500);
        var noFit = (Framework.Result.NoFit) framework.schedule(podRequesting("q", "8", "1Gi")
                .editSpec().withNodeSelector(Map.of(ROLE, "node")).endSpec().build(), new ClusterSnapshot(infos, List.of()));
        assertThat(noFit.message()).isEqualTo("0/5000 nodes are available: 5000 Insufficient cpu. "
                + "preemption: 0/5000 nodes are available: 5000 No preemption victims found for incoming pod.");
    }

    @Test
    void aPercentageOutsideZeroToHundredIsRefused() {
        assertThatThrownBy(() -> SchedulerConfig.defaults().withPercentageOfNodesToScore(101))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("percentageOfNodesToScore");
        assertThatThrownBy(() -> Framework.defaults(new Random(), -1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(SchedulerConfig.defaults().percentageOfNodesToScore()).isZero();
    }
}
