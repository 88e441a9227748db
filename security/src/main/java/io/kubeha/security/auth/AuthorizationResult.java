package io.kubeha.security.auth;

import java.util.Objects;

/**
 * An authorizer's answer and its reason (kube's {@code (Decision, string)}); the reason is never {@code null} and is
 * empty when there is none.
 */
public record AuthorizationResult(Decision decision, String reason) {

    public AuthorizationResult {
        Objects.requireNonNull(decision, "decision");
        reason = Objects.requireNonNullElse(reason, "");
    }

    public static AuthorizationResult allow(String reason) {
        return new AuthorizationResult(Decision.ALLOW, reason);
    }

    public static AuthorizationResult deny(String reason) {
        return new AuthorizationResult(Decision.DENY, reason);
    }

    public static AuthorizationResult noOpinion(String reason) {
        return new AuthorizationResult(Decision.NO_OPINION, reason);
    }

    public boolean allowed() {
        return decision == Decision.ALLOW;
    }
}
