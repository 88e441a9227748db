package io.kubeha.security.tokens;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a verified service-account token says. The bound-object fields ({@code pod*}, {@code secret*}, {@code node*})
 * are null when the token is not bound to such an object; a legacy token has {@code secretName} (no uid), no
 * audiences, no times and no token id.
 */
public record ServiceAccountClaims(String namespace, String serviceAccountName, String serviceAccountUid,
        String podName, String podUid, String secretName, String secretUid, String nodeName, String nodeUid,
        List<String> audiences, Instant issuedAt, Instant notBefore, Instant expiry, boolean legacy, String tokenId) {

    public static final String EXTRA_POD_NAME = "authentication.kubernetes.io/pod-name";
    public static final String EXTRA_POD_UID = "authentication.kubernetes.io/pod-uid";
    public static final String EXTRA_NODE_NAME = "authentication.kubernetes.io/node-name";
    public static final String EXTRA_NODE_UID = "authentication.kubernetes.io/node-uid";
    public static final String EXTRA_CREDENTIAL_ID = "authentication.kubernetes.io/credential-id";

    public ServiceAccountClaims {
        audiences = audiences == null ? List.of() : List.copyOf(audiences);
    }

    /** {@code system:serviceaccount:<namespace>:<name>} */
    public String username() {
        return "system:serviceaccount:" + namespace + ":" + serviceAccountName;
    }

    /** {@code system:serviceaccounts} and {@code system:serviceaccounts:<namespace>} */
    public List<String> groups() {
        return List.of("system:serviceaccounts", "system:serviceaccounts:" + namespace);
    }

    /** The user's extra attributes, as kube-apiserver sets them: only the keys that have a value. */
    public Map<String, List<String>> extra() {
        Map<String, List<String>> extra = new LinkedHashMap<>();
        put(extra, EXTRA_POD_NAME, podName);
        put(extra, EXTRA_POD_UID, podUid);
        put(extra, EXTRA_NODE_NAME, nodeName);
        put(extra, EXTRA_NODE_UID, nodeUid);
        put(extra, EXTRA_CREDENTIAL_ID, tokenId == null || tokenId.isEmpty() ? null : "JTI=" + tokenId);
        return java.util.Collections.unmodifiableMap(extra);
    }

    private static void put(Map<String, List<String>> extra, String key, String value) {
        if (value != null && !value.isEmpty()) {
            extra.put(key, List.of(value));
        }
    }
}
