package io.kubeha.dns;

import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Type;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class ResponseCacheTest {
    private final AtomicLong nanos = new AtomicLong();
    private final ResponseCache cache = new ResponseCache(Duration.ofSeconds(30), 2, nanos::get);

    private static Record a(String name, long ttl) throws Exception {
        return new ARecord(Name.fromConstantString(name), DClass.IN, ttl, InetAddress.getByName("127.0.0.9"));
    }

    private static Record soa(long ttl, long minimum) {
        return new SOARecord(Name.fromConstantString("example."), DClass.IN, ttl, Name.fromConstantString("ns.example."),
                Name.fromConstantString("admin.example."), 1, 3600, 600, 86400, minimum);
    }

    private static ResponseCache.Entry positive(Record... rs) {
        return new ResponseCache.Entry(Rcode.NOERROR, List.of(rs), List.of(), List.of());
    }

    private void advance(long seconds) {
        nanos.addAndGet(Duration.ofSeconds(seconds).toNanos());
    }

    @Test
    void aPositiveAnswerLivesForItsSmallestTtl() throws Exception {
        cache.put("k", positive(a("x.example.", 10), a("x.example.", 4)));
        advance(3);
        ResponseCache.Entry e = cache.get("k");
        assertThat(e.answer()).extracting(Record::getTTL).containsExactly(1L, 1L);
        advance(1);
        assertThat(cache.get("k")).isNull();
    }

    @Test
    void negativeAnswersLiveForTheSoaMinimumAndNotAtAllWithoutAnSoa() {
        cache.put("nx", new ResponseCache.Entry(Rcode.NXDOMAIN, List.of(), List.of(soa(60, 7)), List.of()));
        cache.put("nosoa", new ResponseCache.Entry(Rcode.NXDOMAIN, List.of(), List.of(), List.of()));
        assertThat(cache.get("nosoa")).isNull();
        advance(6);
        assertThat(cache.get("nx").authority()).extracting(Record::getTTL).containsExactly(1L);
        advance(1);
        assertThat(cache.get("nx")).isNull();
    }

    @Test
    void failuresAreNotKept() throws Exception {
        cache.put("sf", new ResponseCache.Entry(Rcode.SERVFAIL, List.of(a("x.example.", 60)), List.of(), List.of()));
        cache.put("ref", new ResponseCache.Entry(Rcode.REFUSED, List.of(), List.of(soa(60, 60)), List.of()));
        assertThat(cache.get("sf")).isNull();
        assertThat(cache.get("ref")).isNull();
    }

    @Test
    void theLeastRecentlyUsedAnswerGoesWhenFull() throws Exception {
        cache.put("a", positive(a("a.example.", 60)));
        cache.put("b", positive(a("b.example.", 60)));
        cache.get("a");
        cache.put("c", positive(a("c.example.", 60)));
        assertThat(cache.get("b")).isNull();
        assertThat(cache.get("a")).isNotNull();
        assertThat(cache.get("c")).isNotNull();
        assertThat(cache.size()).isEqualTo(2);
    }

    @Test
    void aZeroCapOrZeroTtlKeepsNothing() throws Exception {
        ResponseCache off = new ResponseCache(Duration.ZERO, 100, nanos::get);
        off.put("k", positive(a("x.example.", 60)));
        assertThat(off.get("k")).isNull();
        cache.put("z", positive(a("x.example.", 0)));
        assertThat(cache.get("z")).isNull();
    }

    @Test
    void keysIgnoreCaseButNotTypeOrClass() {
        Name n = Name.fromConstantString("WWW.Example.ORG.");
        assertThat(ResponseCache.key(n, Type.A, DClass.IN)).isEqualTo(ResponseCache.key(Name.fromConstantString("www.example.org."), Type.A, DClass.IN));
        assertThat(ResponseCache.key(n, Type.A, DClass.IN)).isNotEqualTo(ResponseCache.key(n, Type.AAAA, DClass.IN));
    }
}
