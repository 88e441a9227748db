package io.kubeha.apiserver.table;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.ObjectNode;

import static io.kubeha.apiserver.table.TableTestSupport.cells;
import static io.kubeha.apiserver.table.TableTestSupport.json;
import static io.kubeha.apiserver.table.TableTestSupport.minutesAgo;
import static org.assertj.core.api.Assertions.assertThat;

class EndpointsPrinterTest {

    private static ObjectNode endpoints(String subsets) {
        return json("""
                {"apiVersion":"v1","kind":"Endpoints","metadata":{"name":"logapi","creationTimestamp":"%s"},
                 "subsets":%s}""".formatted(minutesAgo(7), subsets));
    }

    private static ObjectNode slice(String body) {
        return json("""
                {"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice",
                 "metadata":{"name":"logapi-x7k2p","creationTimestamp":"%s"},%s}""".formatted(minutesAgo(7), body));
    }

    @Test
    void columns() {
        assertThat(TableTestSupport.columns("endpoints")).containsExactly("Name", "Endpoints", "Age");
        assertThat(TableTestSupport.columns("endpointslices.discovery.k8s.io"))
                .containsExactly("Name", "AddressType", "Ports", "Endpoints", "Age");
    }

    @Test
    void readyAddressesWithTheirPorts() {
        ObjectNode ep = endpoints("""
                [{"addresses":[{"ip":"127.34.1.5"},{"ip":"127.34.2.5"}],
                  "notReadyAddresses":[{"ip":"127.34.1.9"}],
                  "ports":[{"name":"http","port":8080,"protocol":"TCP"}]}]""");

        assertThat(cells("endpoints", ep)).containsExactly("logapi", "127.34.1.5:8080,127.34.2.5:8080", "7m");
    }

    @Test
    void moreThanThreeAreCounted() {
        ObjectNode ep = endpoints("""
                [{"addresses":[{"ip":"10.0.0.1"},{"ip":"10.0.0.2"},{"ip":"10.0.0.3"},{"ip":"10.0.0.4"},{"ip":"10.0.0.5"}],
                  "ports":[{"port":80,"protocol":"TCP"}]}]""");

        assertThat(cells("endpoints", ep).get(1)).isEqualTo("10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 2 more...");
    }

    @Test
    void everyAddressOncePerPort() {
        ObjectNode ep = endpoints("""
                [{"addresses":[{"ip":"10.0.0.1"},{"ip":"10.0.0.2"}],
                  "ports":[{"name":"http","port":80},{"name":"https","port":443}]}]""");

        assertThat(cells("endpoints", ep).get(1)).isEqualTo("10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 1 more...");
    }

    @Test
    void headlessWithoutPortsAndIPv6() {
        ObjectNode headless = endpoints("""
                [{"addresses":[{"ip":"10.0.0.1"},{"ip":"10.0.0.2"}]}]""");
        ObjectNode ipv6 = endpoints("""
                [{"addresses":[{"ip":"fd00:10:244::5"}],"ports":[{"port":53,"protocol":"UDP"}]}]""");

        assertThat(cells("endpoints", headless).get(1)).isEqualTo("10.0.0.1,10.0.0.2");
        assertThat(cells("endpoints", ipv6).get(1)).isEqualTo("[fd00:10:244::5]:53");
    }

    @Test
    void noSubsetsIsNoneAndOnlyNotReadyAddressesIsEmpty() {
        ObjectNode none = json("""
                {"metadata":{"name":"logapi","creationTimestamp":"%s"}}""".formatted(minutesAgo(7)));
        ObjectNode notReady = endpoints("""
                [{"notReadyAddresses":[{"ip":"10.0.0.1"}],"ports":[{"port":80}]}]""");

        assertThat(cells("endpoints", none).get(1)).isEqualTo("<none>");
        assertThat(cells("endpoints", notReady).get(1)).isEqualTo("");
    }

    @Test
    void endpointSlice() {
        ObjectNode s = slice("""
                "addressType":"IPv4",
                "ports":[{"name":"http","port":8080,"protocol":"TCP"},{"name":"metrics","port":9090,"protocol":"TCP"}],
                "endpoints":[{"addresses":["127.34.1.5"],"conditions":{"ready":true}},
                             {"addresses":["127.34.2.5"],"conditions":{"ready":false}}]""");

        assertThat(cells("endpointslices.discovery.k8s.io", s))
                .containsExactly("logapi-x7k2p", "IPv4", "8080,9090", "127.34.1.5,127.34.2.5", "7m");
    }

    @Test
    void endpointSliceWithMoreThanThreeAndPortsWithoutNumbers() {
        ObjectNode s = slice("""
                "addressType":"IPv4",
                "ports":[{"name":"http"},{"port":81},{}, {"port":83},{"port":84}],
                "endpoints":[{"addresses":["10.0.0.1","10.0.0.2"]},{"addresses":["10.0.0.3"]},{"addresses":["10.0.0.4"]}]""");

        assertThat(cells("endpointslices.discovery.k8s.io", s).subList(2, 4))
                .containsExactly("http,81,* + 2 more...", "10.0.0.1,10.0.0.2,10.0.0.3 + 1 more...");
    }

    @Test
    void emptyEndpointSliceIsUnset() {
        ObjectNode s = slice("\"addressType\":\"IPv6\"");

        assertThat(cells("endpointslices.discovery.k8s.io", s))
                .containsExactly("logapi-x7k2p", "IPv6", "<unset>", "<unset>", "7m");
    }
}
