package io.kubeha.apiserver.http;

import io.kubeha.apiserver.api.ApiException;
import io.kubeha.apiserver.api.FieldError;
import io.kubeha.apiserver.api.Json;
import io.kubeha.apiserver.registry.ResourceType;
import io.kubeha.security.tokens.ServiceAccountTokens;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The TokenRequest API ({@code POST .../serviceaccounts/NAME/token}, what {@code kubectl create token} and the node
 * agent's projected volumes use): a bound service-account token for the audiences asked (the API server's own by
 * default), for {@code expirationSeconds} (at least 10 minutes, one hour by default), optionally bound to a Pod or
 * Secret, after which it is only valid while that object lives.
 */
final class TokenRequests {
    static final long MIN_SECONDS = 600;
    static final long DEFAULT_SECONDS = 3600;

    private final ServiceAccountTokens tokens;
    private final List<String> apiAudiences;
    private final Map<ResourceType, ResourceHandler> handlers;
    private final Clock clock;

    TokenRequests(ServiceAccountTokens tokens, List<String> apiAudiences, Map<ResourceType, ResourceHandler> handlers, Clock clock) {
        this.tokens = tokens;
        this.apiAudiences = apiAudiences;
        this.handlers = handlers;
        this.clock = clock;
    }

    ObjectNode request(Request req, ResourceHandler serviceAccounts, String namespace, String name) {
        ObjectNode sa = serviceAccounts.get(namespace, name);
        ObjectNode in = body(req);
        JsonNode spec = in.path("spec");
        List<String> audiences = new ArrayList<>();
        for (JsonNode a : spec.path("audiences")) audiences.add(a.asString(""));
        if (audiences.isEmpty()) audiences.addAll(apiAudiences);
        long seconds = spec.path("expirationSeconds").asLong(DEFAULT_SECONDS);
        if (seconds < MIN_SECONDS) {
            throw ApiException.invalid("authentication.k8s.io", "TokenRequest", name, List.of(FieldError.invalid("spec.expirationSeconds", seconds,
                    "may not specify a duration less than 10 minutes")));
        }
        ServiceAccountTokens.BoundObject bound = null;
        JsonNode ref = spec.path("boundObjectRef");
        if (!ref.isMissingNode() && !ref.isNull()) {
            String kind = ref.path("kind").asString("");
            String refName = ref.path("name").asString("");
            String resource = switch (kind) {
                case "Pod" -> "pods";
                case "Secret" -> "secrets";
                default -> throw ApiException.invalid("authentication.k8s.io", "TokenRequest", name, List.of(FieldError.notSupported(
                        "spec.boundObjectRef.kind", kind, List.of("Pod", "Secret"))));
            };
            ResourceHandler h = handler(resource);
            ObjectNode target;
            try {
                target = h.get(namespace, refName);
            } catch (ApiException e) {
                throw ApiException.badRequest("cannot bind the token to " + kind + " " + namespace + "/" + refName + ": it does not exist");
            }
            String uid = target.path("metadata").path("uid").asString("");
            String wantedUid = ref.path("uid").asString("");
            if (!wantedUid.isEmpty() && !wantedUid.equals(uid)) {
                throw new ApiException(409, "Conflict", "the UID in the bound object reference (" + wantedUid + ") does not match the UID in record ("
                        + uid + "). The object might have been deleted and then recreated", null);
            }
            if (kind.equals("Pod") && !name.equals(target.path("spec").path("serviceAccountName").asString("default"))) {
                throw ApiException.badRequest("cannot bind the token to pod " + refName + ": it runs as service account "
                        + target.path("spec").path("serviceAccountName").asString("default") + ", not " + name);
            }
            bound = new ServiceAccountTokens.BoundObject(kind, refName, uid);
        }
        String token = tokens.issueBound(namespace, name, sa.path("metadata").path("uid").asString(""), audiences, Duration.ofSeconds(seconds), bound);
        ObjectNode out = Json.object();
        out.put("kind", "TokenRequest");
        out.put("apiVersion", "authentication.k8s.io/v1");
        ObjectNode meta = out.putObject("metadata");
        meta.put("name", name);
        meta.put("namespace", namespace);
        meta.put("creationTimestamp", Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString());
        ObjectNode outSpec = out.putObject("spec");
        ArrayNode aud = outSpec.putArray("audiences");
        audiences.forEach(aud::add);
        outSpec.put("expirationSeconds", seconds);
        if (!ref.isMissingNode() && !ref.isNull()) outSpec.set("boundObjectRef", ref);
        ObjectNode status = out.putObject("status");
        status.put("token", token);
        status.put("expirationTimestamp", Instant.now(clock).plusSeconds(seconds).truncatedTo(ChronoUnit.SECONDS).toString());
        return out;
    }

    private ResourceHandler handler(String resource) {
        return handlers.entrySet().stream().filter(e -> e.getKey().group().isEmpty() && e.getKey().resource().equals(resource))
                .map(Map.Entry::getValue).findFirst().orElseThrow();
    }

    /** An empty body asks for the defaults, as kube's TokenRequest allows. */
    private static ObjectNode body(Request req) {
        return req.body().length == 0 ? Json.object() : Reviews.object(req, "TokenRequest");
    }
}
