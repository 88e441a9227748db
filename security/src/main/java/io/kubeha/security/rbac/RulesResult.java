package io.kubeha.security.rbac;

import java.util.List;

/**
 * Every rule that applies to a user in a namespace, and the errors met on the way (a binding to a missing role):
 * when {@code errors} is not empty the list may be incomplete, as kube's RulesFor says.
 */
public record RulesResult(List<PolicyRule> rules, List<String> errors) {

    public RulesResult {
        rules = List.copyOf(rules);
        errors = List.copyOf(errors);
    }

    /** Whether a role could not be read, so {@link #rules()} may miss some (SelfSubjectRulesReview's incomplete). */
    public boolean incomplete() {
        return !errors.isEmpty();
    }
}
