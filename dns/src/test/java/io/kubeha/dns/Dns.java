package io.kubeha.dns;

import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.SimpleResolver;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

/** The test client: dnsjava's SimpleResolver against one server, over UDP or TCP. */
final class Dns {
    private Dns() {}

    static Message query(InetSocketAddress server, String name, int type, boolean tcp) {
        SimpleResolver r = new SimpleResolver(server);
        r.setTimeout(Duration.ofSeconds(5));
        r.setTCP(tcp);
        try {
            return r.send(Message.newQuery(Record.newRecord(Name.fromConstantString(name), type, DClass.IN)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Message query(InetSocketAddress server, String name, int type) {
        return query(server, name, type, false);
    }

    /** "TYPE RDATA" of each record in a section, sorted, to compare sets. */
    static List<String> rdata(Message m, int section) {
        return m.getSection(section).stream()
                .map(r -> org.xbill.DNS.Type.string(r.getType()) + " " + r.rdataToString())
                .sorted().toList();
    }
}
