package io.kubeha.apiserver.table;

import tools.jackson.databind.JsonNode;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static io.kubeha.apiserver.table.Fields.list;
import static io.kubeha.apiserver.table.Fields.str;

/**
 * Endpoints (NAME, ENDPOINTS, AGE) and EndpointSlices (NAME, ADDRESSTYPE, PORTS, ENDPOINTS, AGE). Both list
 * at most three entries and then "+ N more..." ("10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 2 more...").
 */
final class EndpointsPrinter {
    private static final int MAX = 3;

    static final Printer ENDPOINTS = Printer.of(List.of(
            Column.NAME,
            Column.string("Endpoints", Descriptions.ENDPOINTS_SUBSETS),
            Column.AGE),
            (ep, now) -> List.of(Fields.name(ep), formatEndpoints(ep), Fields.age(ep, now)));

    static final Printer ENDPOINT_SLICES = Printer.of(List.of(
            Column.NAME,
            Column.string("AddressType", Descriptions.SLICE_ADDRESS_TYPE),
            Column.string("Ports", Descriptions.SLICE_PORTS),
            Column.string("Endpoints", Descriptions.SLICE_ENDPOINTS),
            Column.AGE),
            EndpointsPrinter::sliceCells);

    private EndpointsPrinter() {}

    /**
     * Ready addresses only, one "ip:port" per address and port ("[::1]:80" for IPv6), bare IPs for a
     * subset without ports (headless services). "&lt;none&gt;" without subsets; an empty cell when the
     * subsets hold only not-ready addresses, as kube prints it.
     */
    static String formatEndpoints(JsonNode endpoints) {
        List<JsonNode> subsets = list(endpoints, "subsets");
        if (subsets.isEmpty()) {
            return "<none>";
        }
        List<String> shown = new ArrayList<>();
        boolean more = false;
        int count = 0;
        for (JsonNode ss : subsets) {
            List<JsonNode> addresses = list(ss, "addresses");
            List<JsonNode> ports = list(ss, "ports");
            if (ports.isEmpty()) {
                count += addresses.size();
                for (JsonNode a : addresses) {
                    if (shown.size() == MAX) {
                        more = true;
                        break;
                    }
                    shown.add(str(a, "ip"));
                }
                continue;
            }
            for (JsonNode port : ports) {
                count += addresses.size();
                for (JsonNode a : addresses) {
                    if (shown.size() == MAX) {
                        more = true;
                        break;
                    }
                    shown.add(joinHostPort(str(a, "ip"), Fields.num(port, "port")));
                }
            }
        }
        String ret = String.join(",", shown);
        return more ? ret + " + " + (count - MAX) + " more..." : ret;
    }

    static List<Object> sliceCells(JsonNode slice, Instant now) {
        List<String> ports = new ArrayList<>();
        boolean morePorts = false;
        int portCount = 0;
        for (JsonNode p : list(slice, "ports")) {
            if (ports.size() < MAX) {
                // A port without a number means "all ports": print its name, or "*".
                String port = Fields.isSet(p, "port") ? Long.toString(Fields.num(p, "port"))
                        : Fields.isSet(p, "name") ? str(p, "name") : "*";
                ports.add(port);
            } else if (ports.size() == MAX) {
                morePorts = true;
            }
            portCount++;
        }
        List<String> addresses = new ArrayList<>();
        boolean moreAddresses = false;
        int addressCount = 0;
        for (JsonNode e : list(slice, "endpoints")) {
            for (JsonNode a : list(e, "addresses")) {
                if (addresses.size() < MAX) {
                    addresses.add(Fields.str(a));
                } else if (addresses.size() == MAX) {
                    moreAddresses = true;
                }
                addressCount++;
            }
        }
        return List.of(
                Fields.name(slice),
                str(slice, "addressType"),
                listWithMore(ports, morePorts, portCount),
                listWithMore(addresses, moreAddresses, addressCount),
                Fields.age(slice, now));
    }

    private static String listWithMore(List<String> list, boolean more, int count) {
        String ret = String.join(",", list);
        if (more) {
            return ret + " + " + (count - MAX) + " more...";
        }
        return ret.isEmpty() ? "<unset>" : ret;
    }

    /** Go's net.JoinHostPort: IPv6 addresses go in brackets. */
    private static String joinHostPort(String host, long port) {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }
}
