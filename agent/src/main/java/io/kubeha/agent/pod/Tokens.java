package io.kubeha.agent.pod;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.authentication.TokenRequest;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The projected service-account tokens of one pod, as the kubelet's token manager keeps them: each is asked for with
 * a TokenRequest bound to the pod (so it dies with the pod), and asked for again once it is older than 80% of its
 * life or older than 24 hours, the new token replacing the file in place (clients that read the file again, as every
 * client library does, keep working). A failed refresh keeps the old token and is tried at the next pass.
 */
final class Tokens {
    private static final Logger LOG = LoggerFactory.getLogger(Tokens.class);
    private static final Duration MAX_AGE = Duration.ofHours(24);

    /** A token file of a projected volume and what to ask for it. */
    record Projection(Path file, String namespace, String serviceAccount, String audience, long expirationSeconds, int mode) {
    }

    /** Asks the API server for a token (serviceaccounts/token). */
    @FunctionalInterface
    interface Source {
        TokenRequest request(String namespace, String serviceAccount, TokenRequest request);
    }

    private record Issued(String token, Instant issued, Instant expires) {
    }

    private final Source source;
    private final Clock clock;
    private final Map<Path, Projection> projections = new ConcurrentHashMap<>();
    private final Map<Path, Issued> issued = new ConcurrentHashMap<>();
    private volatile String lastFailure;

    Tokens(Source source, Clock clock) {
        this.source = Objects.requireNonNull(source, "source");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** A fresh token for {@code p}, bound to {@code pod}; remembered for the file (reused while fresh: several containers mount it). */
    String issue(Projection p, Pod pod) {
        Issued current = issued.get(p.file());
        if (current != null && !due(current) && p.equals(projections.get(p.file()))) return current.token();
        Issued next = request(p, pod);
        issued.put(p.file(), next);
        return next.token();
    }

    /** The token of {@code p} is in its file now: refresh keeps it fresh from here on. */
    void written(Projection p) {
        projections.put(p.file(), p);
    }

    /** Asks again for every token due for refresh and replaces its file. */
    void refresh(Pod pod) {
        for (Projection p : List.copyOf(projections.values())) {
            Issued current = issued.get(p.file());
            if (current != null && !due(current)) continue;
            try {
                Issued next = request(p, pod);
                Volumes.replace(p.file(), next.token().getBytes(StandardCharsets.UTF_8), p.mode());
                issued.put(p.file(), next);
                lastFailure = null;
                LOG.debug("pod {}/{}: refreshed the token of {} (expires {})", pod.getMetadata().getNamespace(),
                        pod.getMetadata().getName(), p.serviceAccount(), next.expires());
            } catch (RuntimeException | IOException e) {
                String msg = e.getMessage();
                if (!Objects.equals(msg, lastFailure)) {
                    LOG.warn("pod {}/{}: cannot refresh the service-account token {} (the old one stays until it expires at {}): {}",
                            pod.getMetadata().getNamespace(), pod.getMetadata().getName(), p.file(),
                            current == null ? "?" : current.expires(), msg);
                }
                lastFailure = msg;
            }
        }
    }

    /** Whether any token is kept fresh here. */
    boolean any() {
        return !projections.isEmpty();
    }

    private boolean due(Issued t) {
        Instant now = clock.instant();
        Duration life = Duration.between(t.issued(), t.expires());
        return now.isAfter(t.issued().plus(life.multipliedBy(8).dividedBy(10))) || now.isAfter(t.issued().plus(MAX_AGE));
    }

    private Issued request(Projection p, Pod pod) {
        TokenRequestBuilder b = new TokenRequestBuilder().withNewSpec().withExpirationSeconds(p.expirationSeconds())
                .withNewBoundObjectRef().withApiVersion("v1").withKind("Pod").withName(pod.getMetadata().getName())
                .withUid(pod.getMetadata().getUid()).endBoundObjectRef().endSpec();
        TokenRequest req = b.build();
        if (!p.audience().isEmpty()) req.getSpec().setAudiences(List.of(p.audience()));
        Instant asked = clock.instant();
        TokenRequest answer = source.request(p.namespace(), p.serviceAccount(), req);
        if (answer == null || answer.getStatus() == null || answer.getStatus().getToken() == null) {
            throw new IllegalStateException("the API server answered a TokenRequest for " + p.namespace() + "/" + p.serviceAccount()
                    + " without a token");
        }
        Instant expires;
        try {
            expires = Instant.parse(answer.getStatus().getExpirationTimestamp());
        } catch (RuntimeException e) {
            expires = asked.plusSeconds(p.expirationSeconds());
        }
        return new Issued(answer.getStatus().getToken(), asked, expires);
    }
}
