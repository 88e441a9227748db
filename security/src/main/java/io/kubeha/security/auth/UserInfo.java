package io.kubeha.security.auth;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Who is asking: kube's {@code user.Info}. The lists and the map are copied and unmodifiable; {@code null} becomes
 * empty.
 *
 * @param name  the user name, e.g. {@code system:serviceaccount:default:viewer} or {@code system:node:n1}
 * @param uid   the uid, may be empty
 * @param groups the groups, e.g. {@code system:authenticated}
 * @param extra extra attributes (scopes, the service-account token's pod, ...)
 */
public record UserInfo(String name, String uid, List<String> groups, Map<String, List<String>> extra) {

    /** The anonymous user kube-apiserver gives a request that no authenticator recognised. */
    public static final UserInfo ANONYMOUS =
            new UserInfo("system:anonymous", "", List.of("system:unauthenticated"), Map.of());

    /** The group every authenticated user is in. */
    public static final String ALL_AUTHENTICATED = "system:authenticated";
    /** The group of the anonymous user. */
    public static final String ALL_UNAUTHENTICATED = "system:unauthenticated";
    /** The group that may do anything (kube's {@code system:masters}, bound to cluster-admin). */
    public static final String SYSTEM_MASTERS = "system:masters";

    public UserInfo {
        name = Objects.requireNonNullElse(name, "");
        uid = Objects.requireNonNullElse(uid, "");
        groups = groups == null ? List.of() : List.copyOf(groups);
        if (extra == null || extra.isEmpty()) {
            extra = Map.of();
        } else {
            Map<String, List<String>> copy = new LinkedHashMap<>();
            extra.forEach((k, v) -> copy.put(k, v == null ? List.of() : List.copyOf(v)));
            extra = java.util.Collections.unmodifiableMap(copy);
        }
    }

    /** A user with a name and groups, no uid and no extra. */
    public static UserInfo of(String name, String... groups) {
        return new UserInfo(name, "", List.of(groups), Map.of());
    }

    /** Whether the user is in group {@code g}. */
    public boolean inGroup(String g) {
        return groups.contains(g);
    }
}
