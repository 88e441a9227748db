package io.kubeha.agent.proxy;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** Round robin, the bounded order of attempts, and ClientIP session affinity with its timeout (on a fake clock). */
class BalancerTest {
    static final Backend A = new Backend("127.64.1.2", 80, "n");
    static final Backend B = new Backend("127.64.1.3", 80, "n");
    static final Backend C = new Backend("127.64.1.4", 80, "n");
    final AtomicLong now = new AtomicLong();

    @Test
    void roundRobinWithAnOrderOfAttemptsBoundedByMaxAttempts() {
        Balancer b = new Balancer(2, now::get);
        Route r = new Route("ns/web:http", List.of(A, B, C), Duration.ZERO);
        assertThat(b.order(r, null)).containsExactly(A, B);
        assertThat(b.order(r, null)).containsExactly(B, C);
        assertThat(b.order(r, null)).containsExactly(C, A);
        assertThat(b.order(new Route("ns/web:http", List.of(), Duration.ZERO), null)).isEmpty();
    }

    @Test
    void clientIpAffinityKeepsAClientOnItsEndpointUntilTheTimeoutOrTheEndpointGoes() throws Exception {
        Balancer b = new Balancer(3, now::get);
        InetAddress client = InetAddress.getByName("127.0.0.7");
        InetAddress other = InetAddress.getByName("127.0.0.8");
        Route r = new Route("ns/web:http", List.of(A, B, C), Duration.ofSeconds(10));
        Backend first = b.order(r, client).get(0);
        b.used(r, client, first);
        for (int i = 0; i < 5; i++) assertThat(b.order(r, client).get(0)).isEqualTo(first);
        assertThat(b.order(r, other)).hasSize(3);

        // the endpoint stops taking connections: the client moves on
        Route without = new Route("ns/web:http", List.of(A, B, C).stream().filter(x -> !x.equals(first)).toList(), Duration.ofSeconds(10));
        assertThat(b.order(without, client).get(0)).isNotEqualTo(first);

        // the affinity expires
        now.addAndGet(Duration.ofSeconds(11).toNanos());
        Backend[] firsts = new Backend[3];
        for (int i = 0; i < 3; i++) firsts[i] = b.order(r, client).get(0);
        assertThat(firsts).containsExactlyInAnyOrder(A, B, C);
    }
}
