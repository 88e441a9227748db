package io.kubeha.e2e;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.List;

/**
 * {@link UpNetnsScenario} with the VIP in ip mode (the Lease elects, the holder puts the address on its interface and
 * sends gratuitous ARP): the agent kill and the partition of the holder, then kill -9 of every process of master1,
 * master2 and master3 in turn, each followed by a 2-minute watch.
 */
@Tag("scenario")
class UpNetnsIpIT extends UpNetnsScenario {
    @Override
    String vipMode() {
        return "ip";
    }

    @Override
    List<String> killed() {
        return List.of("master1", "master2", "master3");
    }

    @Test
    void theSeedsClusterInNamespacesSurvivesEachMastersDeathAndTheHoldersPartition() throws Exception {
        run();
    }
}
