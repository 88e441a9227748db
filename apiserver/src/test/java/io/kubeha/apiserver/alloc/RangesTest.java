package io.kubeha.apiserver.alloc;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The ranges as the flags give them, and how random allocation splits them. */
class RangesTest {

    @Test
    void theSeedsServiceRange() {
        ServiceCidr cidr = ServiceCidr.parse("10.0.0.0/24");
        assertThat(cidr.size()).isEqualTo(254);
        assertThat(cidr.firstAddress()).isEqualTo("10.0.0.1");
        assertThat(cidr.contains("10.0.0.10")).isTrue();
        assertThat(cidr.contains("10.0.0.254")).isTrue();
        assertThat(cidr.contains("10.0.0.0")).as("network address").isFalse();
        assertThat(cidr.contains("10.0.0.255")).as("broadcast address").isFalse();
        assertThat(cidr.contains("10.0.1.5")).isFalse();
        assertThat(cidr).hasToString("10.0.0.0/24");
    }

    @Test
    void aLoopbackServiceRange() {
        ServiceCidr cidr = ServiceCidr.parse("127.20.0.0/16");
        assertThat(cidr.size()).isEqualTo(65534);
        assertThat(cidr.firstAddress()).isEqualTo("127.20.0.1");
        assertThat(cidr.contains("127.20.255.254")).isTrue();
        assertThat(cidr.contains("127.21.0.1")).isFalse();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "10.0.0.1/24   | has host bits set; the network is 10.0.0.0/24",
            "10.0.0.0/31   | between /12 and /30",
            "10.0.0.0/8    | between /12 and /30",
            "fd00::/108    | only IPv4 service ranges are supported",
            "10.0.0.0      | needs a prefix length",
            "10.0.0/24     | is not an IPv4 address",
            "10.0.0.0/x    | the prefix length is not a number",
    })
    void badServiceRangesSayWhatIsWrong(String cidr, String why) {
        assertThatThrownBy(() -> ServiceCidr.parse(cidr)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(why);
    }

    @Test
    void nodePortRanges() {
        PortRange r = PortRange.parse("30000-32767");
        assertThat(r).isEqualTo(PortRange.DEFAULT);
        assertThat(r.size()).isEqualTo(2768);
        assertThat(r.contains(31070)).isTrue();
        assertThat(r.contains(29999)).isFalse();
        assertThat(r).hasToString("30000-32767");
        assertThat(PortRange.parse("31070").size()).isEqualTo(1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"32767-30000", "0-10", "30000-70000", "abc", "30000-", ""})
    void badPortRangesAreRefused(String range) {
        assertThatThrownBy(() -> PortRange.parse(range)).isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @CsvSource({"10.0.0.0/24, 16", "10.0.0.0/20, 256", "127.20.0.0/16, 256", "10.0.0.0/27, 16", "10.0.0.0/28, 0"})
    void clusterIPStaticBandAsKep3070(String cidr, int band) {
        assertThat(StoreServiceAllocator.ipStaticBand(ServiceCidr.parse(cidr))).isEqualTo(band);
    }

    @ParameterizedTest
    @CsvSource({"30000-32767, 86", "30000-30015, 0", "30000-30099, 16", "20000-32767, 128"})
    void nodePortStaticBandAsKep3668(String range, int band) {
        assertThat(StoreServiceAllocator.portStaticBand(PortRange.parse(range))).isEqualTo(band);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "10.0.0.10    | 10.0.0.10",
            "10.0.0.010   | 10.0.0.10",
            "0.0.0.0      | 0.0.0.0",
            "255.255.255.255 | 255.255.255.255",
    })
    void ipv4Addresses(String text, String canonical) {
        assertThat(Ipv4.format(Ipv4.parse(text))).isEqualTo(canonical);
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0", "10.0.0.256", "10.0.0.1.", ".10.0.0.1", "10..0.1", "a.b.c.d", "10.0.0.1/24", "1000.0.0.1", " 10.0.0.1"})
    void notIpv4Addresses(String text) {
        assertThat(Ipv4.parse(text)).isEqualTo(-1);
    }
}
