package io.kubeha.security.tokens;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The signatures of {@code kube-public/cluster-info} ({@code jws-kubeconfig-<id>}): a JWS in compact serialization
 * with a detached payload, {@code <header>..<signature>}, HS256 keyed with the bootstrap token's secret (UTF-8 bytes),
 * header {@code {"alg":"HS256","kid":"<token id>"}}; the payload is the kubeconfig as a string.
 *
 * <p>The MAC is computed here rather than with nimbus-jose-jwt, whose HMAC signer refuses keys under 256 bits and a
 * token secret has 16 characters.
 */
public final class ClusterInfoSignatures {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder B64D = Base64.getUrlDecoder();

    private ClusterInfoSignatures() {
    }

    /** The detached JWS {@code <header>..<signature>} of {@code kubeconfigContent}. */
    public static String sign(String kubeconfigContent, BootstrapToken token) {
        Objects.requireNonNull(kubeconfigContent, "kubeconfigContent");
        Objects.requireNonNull(token, "token");
        String header = JSON.writeValueAsString(
                JSON.createObjectNode().put("alg", "HS256").put("kid", token.id()));
        String headerPart = B64.encodeToString(header.getBytes(StandardCharsets.UTF_8));
        byte[] mac = mac(headerPart, kubeconfigContent, token);
        return headerPart + ".." + B64.encodeToString(mac);
    }

    /**
     * Whether {@code detachedJws} is the token's signature of {@code kubeconfigContent}: false for anything else
     * (another kid, algorithm, payload or key, an attached payload, a malformed string); never throws.
     */
    public static boolean verify(String kubeconfigContent, String detachedJws, BootstrapToken token) {
        try {
            if (kubeconfigContent == null || detachedJws == null || token == null) {
                return false;
            }
            String[] parts = detachedJws.split("\\.", -1);
            if (parts.length != 3 || parts[0].isEmpty() || !parts[1].isEmpty() || parts[2].isEmpty()) {
                return false;
            }
            JsonNode header = JSON.readTree(B64D.decode(parts[0]));
            if (header == null || !header.isObject()
                    || !"HS256".equals(text(header.get("alg")))
                    || !token.id().equals(text(header.get("kid")))
                    || header.has("crit") || header.has("b64")) {
                return false;
            }
            byte[] signature = B64D.decode(parts[2]);
            return MessageDigest.isEqual(signature, mac(parts[0], kubeconfigContent, token));
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static byte[] mac(String headerPart, String content, BootstrapToken token) {
        String signingInput = headerPart + "." + B64.encodeToString(content.getBytes(StandardCharsets.UTF_8));
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(token.secret().getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return mac.doFinal(signingInput.getBytes(StandardCharsets.US_ASCII));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256: " + e.getMessage(), e);
        }
    }

    private static String text(JsonNode node) {
        return node != null && node.isString() ? node.asString() : null;
    }
}
