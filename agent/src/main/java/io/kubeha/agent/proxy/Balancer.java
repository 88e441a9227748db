package io.kubeha.agent.proxy;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * Picks endpoints for a listener: round robin over the route's endpoints, or the client's endpoint of before
 * when the service has ClientIP session affinity and that endpoint still takes connections. Gives an order of
 * attempts, so that a failed connect moves on to another endpoint; the order is bounded by {@code maxAttempts}.
 */
final class Balancer {
    private final AtomicInteger next = new AtomicInteger();
    private final Map<InetAddress, Sticky> affinity = new ConcurrentHashMap<>();
    private final int maxAttempts;
    private final LongSupplier nanos;

    private record Sticky(Backend backend, long lastUsed) {
    }

    Balancer(int maxAttempts, LongSupplier nanos) {
        this.maxAttempts = maxAttempts;
        this.nanos = nanos;
    }

    /** The endpoints to try, in order, for a new connection from {@code client}. Empty when there is none. */
    List<Backend> order(Route route, InetAddress client) {
        List<Backend> all = route.backends();
        int n = all.size();
        if (n == 0) return List.of();
        List<Backend> out = new ArrayList<>(Math.min(n, maxAttempts));
        if (!route.affinity().isZero() && client != null) {
            Sticky s = affinity.get(client);
            if (s != null && nanos.getAsLong() - s.lastUsed() < route.affinity().toNanos() && all.contains(s.backend())) {
                out.add(s.backend());
            }
        }
        int start = Math.floorMod(next.getAndIncrement(), n);
        for (int i = 0; i < n && out.size() < maxAttempts; i++) {
            Backend b = all.get((start + i) % n);
            if (!out.contains(b)) out.add(b);
        }
        return out;
    }

    /** A connection from {@code client} went to {@code backend}: remembered for session affinity. */
    void used(Route route, InetAddress client, Backend backend) {
        if (route.affinity().isZero() || client == null) {
            if (!affinity.isEmpty()) affinity.clear();
            return;
        }
        long now = nanos.getAsLong();
        if (affinity.size() > 65_536) affinity.values().removeIf(s -> now - s.lastUsed() >= route.affinity().toNanos());
        affinity.put(client, new Sticky(backend, now));
    }
}
