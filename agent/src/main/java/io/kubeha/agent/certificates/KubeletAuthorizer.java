package io.kubeha.agent.certificates;

import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The kubelet's webhook authorizer for the agent's port: each request's user (from its client certificate) is
 * checked with a SubjectAccessReview sent to the API server, with the kubelet's mapping of its paths to attributes
 * (resource {@code nodes}, the node's name, subresource {@code stats}, {@code metrics}, {@code log}, {@code spec}, or
 * {@code proxy} for everything else, {@code /containerLogs} included; verb from the HTTP method). Decisions are
 * cached as the kubelet's defaults do: allowed for 5 minutes, denied for 30 seconds. A review that cannot be made
 * (the API server unreachable) denies, and is not cached.
 */
public final class KubeletAuthorizer {
    private static final Logger LOG = LoggerFactory.getLogger(KubeletAuthorizer.class);
    static final Duration ALLOWED_TTL = Duration.ofMinutes(5);
    static final Duration DENIED_TTL = Duration.ofSeconds(30);

    /** Who a client certificate names: CN the user, each O a group (as kube-apiserver reads them). */
    public record User(String name, List<String> groups) {
        public static User of(X509Certificate cert) {
            X500Name subject = X500Name.getInstance(cert.getSubjectX500Principal().getEncoded());
            String cn = "";
            List<String> groups = new ArrayList<>();
            for (RDN rdn : subject.getRDNs()) {
                var first = rdn.getFirst();
                if (first.getType().equals(BCStyle.CN) && cn.isEmpty()) cn = IETFUtils.valueToString(first.getValue());
                if (first.getType().equals(BCStyle.O)) groups.add(IETFUtils.valueToString(first.getValue()));
            }
            groups.add("system:authenticated");
            return new User(cn, List.copyOf(groups));
        }
    }

    public record Decision(boolean allowed, String message) {}

    private record Key(String user, List<String> groups, String verb, String subresource) {}

    private record Cached(boolean allowed, long until) {}

    private final KubernetesClient client;
    private final String nodeName;
    private final Map<Key, Cached> cache = new ConcurrentHashMap<>();

    public KubeletAuthorizer(KubernetesClient client, String nodeName) {
        this.client = client;
        this.nodeName = nodeName;
    }

    /** The kubelet's path to subresource mapping. */
    static String subresource(String path) {
        if (path.equals("/stats") || path.startsWith("/stats/")) return "stats";
        if (path.equals("/metrics") || path.startsWith("/metrics/")) return "metrics";
        if (path.equals("/logs") || path.startsWith("/logs/")) return "log";
        if (path.equals("/spec") || path.startsWith("/spec/")) return "spec";
        return "proxy";
    }

    static String verb(String method) {
        return switch (method) {
            case "POST" -> "create";
            case "PUT" -> "update";
            case "PATCH" -> "patch";
            case "DELETE" -> "delete";
            default -> "get";
        };
    }

    public Decision authorize(User user, String method, String path) {
        String verb = verb(method);
        String sub = subresource(path);
        String forbidden = "Forbidden (user=" + user.name() + ", verb=" + verb + ", resource=nodes, subresource=" + sub + ")";
        Key key = new Key(user.name(), user.groups(), verb, sub);
        long now = System.nanoTime();
        Cached c = cache.get(key);
        if (c != null && c.until() - now > 0) return new Decision(c.allowed(), c.allowed() ? "" : forbidden);
        boolean allowed;
        try {
            SubjectAccessReview review = client.resource(new SubjectAccessReviewBuilder().withNewSpec().withUser(user.name())
                    .withGroups(user.groups()).withNewResourceAttributes().withGroup("").withResource("nodes").withSubresource(sub)
                    .withName(nodeName).withVerb(verb).endResourceAttributes().endSpec().build()).create();
            allowed = review.getStatus() != null && Boolean.TRUE.equals(review.getStatus().getAllowed());
        } catch (RuntimeException e) {
            LOG.warn("cannot ask the API server whether {} may {} nodes/{}: {}", user.name(), verb, sub, e.getMessage());
            return new Decision(false, forbidden);
        }
        cache.put(key, new Cached(allowed, now + (allowed ? ALLOWED_TTL : DENIED_TTL).toNanos()));
        if (cache.size() > 10_000) cache.clear();
        return new Decision(allowed, allowed ? "" : forbidden);
    }
}
