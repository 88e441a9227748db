package io.kubeha.security.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class UnionAuthorizerTest {

    private static final Attributes A = Attributes.nonResource(UserInfo.ANONYMOUS, "get", "/api");

    @Test
    void firstAllowOrDenyWins() {
        List<String> asked = new ArrayList<>();
        Authorizer node = a -> {
            asked.add("node");
            return AuthorizationResult.noOpinion("not a node");
        };
        Authorizer deny = a -> {
            asked.add("deny");
            return AuthorizationResult.deny("nope");
        };
        Authorizer allow = a -> {
            asked.add("allow");
            return AuthorizationResult.allow("yes");
        };
        assertThat(new UnionAuthorizer(node, deny, allow).authorize(A)).isEqualTo(AuthorizationResult.deny("nope"));
        assertThat(asked).containsExactly("node", "deny");
        assertThat(new UnionAuthorizer(node, allow, deny).authorize(A)).isEqualTo(AuthorizationResult.allow("yes"));
    }

    @Test
    void noOpinionJoinsReasons() {
        Authorizer a1 = a -> AuthorizationResult.noOpinion("first");
        Authorizer a2 = a -> AuthorizationResult.noOpinion("");
        Authorizer a3 = a -> AuthorizationResult.noOpinion("third");
        assertThat(new UnionAuthorizer(a1, a2, a3).authorize(A))
                .isEqualTo(AuthorizationResult.noOpinion("first\nthird"));
        assertThat(new UnionAuthorizer().authorize(A)).isEqualTo(AuthorizationResult.noOpinion(""));
    }
}
