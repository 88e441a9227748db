package io.kubeha.vip;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class IpAnnouncerTest {
    static final String IP_ADDR = """
            1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever
            2: eth0    inet 10.10.102.91/16 scope global eth0\\       valid_lft forever preferred_lft forever
            2: eth0    inet 10.10.102.21/32 scope global dynamic eth0\\       valid_lft 2sec preferred_lft 2sec
            5: khb1a2b3c4d    inet 10.244.1.1/24 scope global khb1a2b3c4d\\       valid_lft forever preferred_lft forever
            """;

    @Test
    void readsTheInterfacesAndTheirNetworks() throws Exception {
        List<IpAnnouncer.Addr> addrs = IpAnnouncer.parse(IP_ADDR);
        assertThat(addrs).extracting(Object::toString)
                .containsExactly("lo 127.0.0.1/8", "eth0 10.10.102.91/16", "eth0 10.10.102.21/32", "khb1a2b3c4d 10.244.1.1/24");
        IpAnnouncer.Addr lan = addrs.get(1);
        assertThat(lan.contains(InetAddress.getByName("10.10.102.21"))).isTrue();
        assertThat(lan.contains(InetAddress.getByName("10.10.103.97"))).isTrue();
        assertThat(lan.contains(InetAddress.getByName("10.11.0.1"))).isFalse();
        assertThat(addrs.get(0).contains(InetAddress.getByName("127.10.102.21"))).isTrue();
    }
}
