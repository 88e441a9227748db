package io.kubeha.security.auth;

import java.util.ArrayList;
import java.util.List;

/**
 * Chains authorizers as kube-apiserver's {@code --authorization-mode=Node,RBAC} does (k8s.io/apiserver's union
 * authorizer): the first ALLOW or DENY wins, with that authorizer's reason; when every authorizer has no opinion the
 * answer is NO_OPINION with the non-empty reasons joined by newlines.
 */
public final class UnionAuthorizer implements Authorizer {

    private final List<Authorizer> authorizers;

    public UnionAuthorizer(List<? extends Authorizer> authorizers) {
        this.authorizers = List.copyOf(authorizers);
    }

    public UnionAuthorizer(Authorizer... authorizers) {
        this(List.of(authorizers));
    }

    @Override
    public AuthorizationResult authorize(Attributes a) {
        List<String> reasons = new ArrayList<>();
        for (Authorizer authorizer : authorizers) {
            AuthorizationResult r = authorizer.authorize(a);
            if (r.decision() != Decision.NO_OPINION) {
                return r;
            }
            if (!r.reason().isEmpty()) {
                reasons.add(r.reason());
            }
        }
        return AuthorizationResult.noOpinion(String.join("\n", reasons));
    }
}
