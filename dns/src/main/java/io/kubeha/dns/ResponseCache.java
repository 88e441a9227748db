package io.kubeha.dns;

import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Type;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Upstream answers kept for as long as their TTL says and never longer than a cap (dnsmasq's role in the seed;
 * CoreDNS' {@code cache 30}). A positive answer lives for the smallest TTL among its answer records; a negative
 * one (NXDOMAIN, or NOERROR with no data) for its SOA's TTL bounded by the SOA minimum (RFC 2308), and not at all
 * without an SOA. Failures (SERVFAIL, REFUSED, ...) are not kept. What comes out of the cache has its TTLs
 * lowered by the time it spent there (and never above the time it has left there), so a client never keeps a
 * record past the upstream's intent.
 * Least recently used answers go first when the cache is full. Time comes from an injected clock.
 */
final class ResponseCache {
    /** An upstream answer's sections. */
    record Entry(int rcode, List<Record> answer, List<Record> authority, List<Record> additional) {
        Entry {
            answer = List.copyOf(answer);
            authority = List.copyOf(authority);
            additional = List.copyOf(additional);
        }
    }

    private record Stored(Entry entry, long storedNanos, long expiresNanos) { }

    private final long maxTtlSeconds;
    private final int capacity;
    private final LongSupplier nanoClock;
    private final Map<String, Stored> entries;
    private long hits;
    private long misses;

    ResponseCache(Duration maxTtl, int capacity, LongSupplier nanoClock) {
        this.maxTtlSeconds = maxTtl.toSeconds();
        this.capacity = capacity;
        this.nanoClock = nanoClock;
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Stored> eldest) {
                return size() > ResponseCache.this.capacity;
            }
        };
    }

    static String key(Name name, int type, int dclass) {
        return name.toString().toLowerCase(Locale.ROOT) + " " + type + " " + dclass;
    }

    /** The cached answer with TTLs aged, or null when there is none or it expired. */
    synchronized Entry get(String key) {
        Stored s = entries.get(key);
        if (s == null) {
            misses++;
            return null;
        }
        long now = nanoClock.getAsLong();
        if (now - s.expiresNanos >= 0) {
            entries.remove(key);
            misses++;
            return null;
        }
        hits++;
        long aged = Duration.ofNanos(now - s.storedNanos).toSeconds();
        // never more than the time left here: a client does not keep an answer longer than we do
        long left = Math.max(1, Duration.ofNanos(s.expiresNanos - now).toSeconds());
        Entry e = s.entry();
        return new Entry(e.rcode(), age(e.answer(), aged, left), age(e.authority(), aged, left), age(e.additional(), aged, left));
    }

    /** Keeps an answer for as long as it may be kept; does nothing for one that may not be. */
    synchronized void put(String key, Entry e) {
        if (capacity == 0 || maxTtlSeconds == 0) return;
        long ttl = ttl(e);
        if (ttl <= 0) return;
        long now = nanoClock.getAsLong();
        entries.put(key, new Stored(e, now, now + Duration.ofSeconds(Math.min(ttl, maxTtlSeconds)).toNanos()));
    }

    synchronized int size() {
        return entries.size();
    }

    synchronized long hits() {
        return hits;
    }

    synchronized long misses() {
        return misses;
    }

    /** Seconds the answer may be kept: 0 when not at all. */
    static long ttl(Entry e) {
        if (e.rcode() == Rcode.NOERROR && !e.answer().isEmpty()) {
            return e.answer().stream().mapToLong(Record::getTTL).min().orElse(0);
        }
        if (e.rcode() == Rcode.NXDOMAIN || e.rcode() == Rcode.NOERROR) {
            for (Record r : e.authority()) {
                if (r.getType() == Type.SOA) return Math.min(r.getTTL(), ((SOARecord) r).getMinimum());
            }
        }
        return 0;
    }

    private static List<Record> age(List<Record> records, long seconds, long left) {
        List<Record> out = new ArrayList<>(records.size());
        for (Record r : records) {
            long ttl = Math.min(left, Math.max(0, r.getTTL() - seconds));
            out.add(ttl == r.getTTL() ? r : withTtl(r, ttl));
        }
        return out;
    }

    static Record withTtl(Record r, long ttl) {
        return Record.newRecord(r.getName(), r.getType(), r.getDClass(), ttl, r.rdataToWireCanonical());
    }
}
