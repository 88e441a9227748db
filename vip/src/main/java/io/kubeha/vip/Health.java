package io.kubeha.vip;

import java.util.List;
import java.util.Optional;

/**
 * Whether this candidate may hold the VIP now: empty when healthy, else why not (one line, for the log and the Lease
 * holder's successor). The seed's rule: its API server ready and its node agent alive.
 */
@FunctionalInterface
public interface Health {
    Optional<String> problem();

    Health ALWAYS = Optional::empty;

    /** Healthy when every check is; the first problem otherwise. */
    static Health all(List<Health> checks) {
        return () -> {
            for (Health h : checks) {
                Optional<String> p = h.problem();
                if (p.isPresent()) return p;
            }
            return Optional.empty();
        };
    }
}
