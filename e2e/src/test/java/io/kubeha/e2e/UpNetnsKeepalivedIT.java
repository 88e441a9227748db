package io.kubeha.e2e;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

/**
 * {@link UpNetnsScenario} with the real keepalived holding the VIP (VRRP unicast between the masters, {@code kubeha
 * health} as its vrrp_script): the agent kill and the partition of the holder, then kill -9 of every process of the
 * VIP holder (keepalived with them) and a 2-minute watch.
 */
@Tag("scenario")
class UpNetnsKeepalivedIT extends UpNetnsScenario {
    @Override
    String vipMode() {
        return "keepalived";
    }

    @Override
    List<String> killed() {
        return Arrays.asList((String) null); // the holder at that moment
    }

    @Test
    void theSeedsClusterWithKeepalivedSurvivesTheHoldersDeathAndPartition() throws Exception {
        run();
    }
}
