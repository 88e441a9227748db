package io.kubeha.dns;

import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Sends names outside the cluster to the upstream servers through the cache: the upstream that answered last is
 * asked first, then the others in order; the first that answers (with anything but SERVFAIL or REFUSED) wins, and
 * one that does not answer within the timeout is skipped.
 * dnsjava's SimpleResolver does the exchange, retrying over TCP when a UDP answer comes back truncated.
 */
final class Forwarder {
    private static final Logger LOG = LoggerFactory.getLogger(Forwarder.class);

    private final List<InetSocketAddress> upstreams;
    private final List<SimpleResolver> resolvers;
    private final ResponseCache cache;
    /** the upstream that answered last: asked first, so a dead server costs one timeout, not one per query */
    private final AtomicInteger preferred = new AtomicInteger();

    Forwarder(List<InetSocketAddress> upstreams, Duration timeout, ResponseCache cache) {
        this.upstreams = List.copyOf(upstreams);
        this.cache = cache;
        List<SimpleResolver> rs = new ArrayList<>();
        for (InetSocketAddress u : upstreams) {
            SimpleResolver r = new SimpleResolver(u);
            r.setTimeout(timeout);
            r.setEDNS(0, 1232, 0, List.of());
            rs.add(r);
        }
        this.resolvers = List.copyOf(rs);
    }

    List<InetSocketAddress> upstreams() {
        return upstreams;
    }

    ResponseCache cache() {
        return cache;
    }

    /** The upstream answer (cached or fresh), or null when no upstream answered. */
    ResponseCache.Entry resolve(Name name, int type, int dclass) {
        String key = ResponseCache.key(name, type, dclass);
        ResponseCache.Entry cached = cache.get(key);
        if (cached != null) return cached;
        ResponseCache.Entry last = null;
        int first = preferred.get();
        for (int k = 0; k < resolvers.size(); k++) {
            int i = (first + k) % resolvers.size();
            Message query = Message.newQuery(Record.newRecord(name, type, dclass));
            Message reply;
            try {
                reply = resolvers.get(i).send(query);
            } catch (IOException e) {
                LOG.debug("upstream {} did not answer {} {}: {}", upstreams.get(i), name, Type.string(type), e.toString());
                continue;
            }
            ResponseCache.Entry e = new ResponseCache.Entry(reply.getRcode(), reply.getSection(Section.ANSWER),
                    reply.getSection(Section.AUTHORITY), withoutOpt(reply.getSection(Section.ADDITIONAL)));
            if (e.rcode() == Rcode.SERVFAIL || e.rcode() == Rcode.REFUSED) {
                last = e;
                continue;
            }
            preferred.set(i);
            cache.put(key, e);
            return e;
        }
        return last;
    }

    private static List<Record> withoutOpt(List<Record> records) {
        return records.stream().filter(r -> r.getType() != Type.OPT && r.getType() != Type.TSIG).toList();
    }
}
