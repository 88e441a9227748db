package io.kubeha.controllers.nodeipam;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RangeAllocatorTest {
    @Test
    void givesTheLowestFreeRangeAndTheSameOneToTheSameNode() {
        RangeAllocator a = new RangeAllocator("10.244.0.0/16", 24);
        assertThat(a.capacity()).isEqualTo(256);
        assertThat(a.allocate("n1")).contains("10.244.0.0/24");
        assertThat(a.allocate("n2")).contains("10.244.1.0/24");
        assertThat(a.allocate("n1")).as("a retried patch gets the same range, never a second").contains("10.244.0.0/24");
        assertThat(a.allocate("n3")).contains("10.244.2.0/24");
        a.release("n2");
        assertThat(a.allocate("n4")).as("the lowest free: the one released").contains("10.244.1.0/24");
        assertThat(a.allocate("n5")).contains("10.244.3.0/24");
        assertThat(a.free()).isEqualTo(252);
    }

    @Test
    void exhaustedUntilARangeIsReleased() {
        RangeAllocator a = new RangeAllocator("127.64.0.0/23", 24);
        assertThat(a.allocate("a")).contains("127.64.0.0/24");
        assertThat(a.allocate("b")).contains("127.64.1.0/24");
        assertThat(a.allocate("c")).isEmpty();
        assertThat(a.free()).isZero();
        a.release("a");
        assertThat(a.allocate("c")).contains("127.64.0.0/24");
        a.release("nobody"); // no-op
        assertThat(a.free()).isZero();
    }

    @Test
    void aRangeHeldByAnExistingNodeIsNeverGiven() {
        RangeAllocator a = new RangeAllocator("10.244.0.0/16", 24);
        assertThat(a.occupy("old-1", "10.244.0.0/24")).isEqualTo(new RangeAllocator.Occupied(true, List.of()));
        assertThat(a.occupy("old-2", "10.244.2.0/24").inCluster()).isTrue();
        // a wider range held by hand covers several node ranges
        assertThat(a.occupy("wide", "10.244.4.0/23").inCluster()).isTrue();
        // outside the cluster CIDR: kept by its node, nothing marked here
        assertThat(a.occupy("loopback", "127.64.1.0/24")).isEqualTo(new RangeAllocator.Occupied(false, List.of()));
        List<String> given = new ArrayList<>();
        for (int i = 0; i < 4; i++) given.add(a.allocate("new-" + i).orElseThrow());
        assertThat(given).containsExactly("10.244.1.0/24", "10.244.3.0/24", "10.244.6.0/24", "10.244.7.0/24");
    }

    @Test
    void everyRangeOnceUntilExhausted() {
        RangeAllocator a = new RangeAllocator("10.0.0.0/16", 26);
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < a.capacity(); i++) assertThat(seen.add(a.allocate("n" + i).orElseThrow())).isTrue();
        assertThat(a.allocate("one-more")).isEqualTo(Optional.empty());
        assertThat(seen).contains("10.0.0.0/26", "10.0.0.64/26", "10.0.255.192/26").hasSize(1024);
    }

    @Test
    void overlappingClaimsAreReportedAndTheRangeStaysUsedUntilTheLastGoes() {
        RangeAllocator a = new RangeAllocator("10.244.0.0/16", 24);
        assertThat(a.allocate("auto")).contains("10.244.0.0/24");
        assertThat(a.occupy("by-hand", "10.244.0.0/24").conflicts()).containsExactly("auto");
        assertThat(a.occupy("narrow", "10.244.0.128/25").conflicts()).containsExactly("auto", "by-hand");
        a.release("auto");
        a.release("by-hand");
        assertThat(a.allocate("next")).as("still held by 'narrow'").contains("10.244.1.0/24");
        a.release("narrow");
        assertThat(a.allocate("last")).contains("10.244.0.0/24");
        // the same claim again is no change; a changed one replaces it
        assertThat(a.occupy("last", "10.244.0.0/24").conflicts()).isEmpty();
        assertThat(a.occupy("last", "10.244.9.0/24").conflicts()).isEmpty();
        assertThat(a.allocate("again")).contains("10.244.0.0/24");
    }

    @Test
    void badInputIsRefusedWithWhatIsWrong() {
        assertThatThrownBy(() -> new RangeAllocator("10.244.0.0/16", 8)).hasMessageContaining("smaller than the cluster CIDR");
        assertThatThrownBy(() -> new RangeAllocator("10.244.0.0/16", 31)).hasMessageContaining("at most 30");
        assertThatThrownBy(() -> new RangeAllocator("10.0.0.0/8", 25)).hasMessageContaining("more than 2^16");
        assertThatThrownBy(() -> new RangeAllocator("10.244.1.0/16", 24)).hasMessageContaining("host bits are set");
        assertThatThrownBy(() -> new RangeAllocator("fd00::/48", 64)).hasMessageContaining("only IPv4");
        assertThatThrownBy(() -> new RangeAllocator("10.244.0/16", 24)).hasMessageContaining("not an IPv4 CIDR");
        assertThatThrownBy(() -> new RangeAllocator("10.244.0.300/16", 24)).hasMessageContaining("not an IPv4 CIDR");
        RangeAllocator a = new RangeAllocator("10.244.0.0/16", 24);
        assertThatThrownBy(() -> a.occupy("n", "garbage")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("node n");
        assertThat(new NodeIpamOptions("127.64.0.0/16", 24).clusterCidr()).isEqualTo("127.64.0.0/16");
        assertThatThrownBy(() -> new NodeIpamOptions("127.64.0.0/16", 33)).hasMessageContaining("--node-cidr-mask-size");
    }
}
