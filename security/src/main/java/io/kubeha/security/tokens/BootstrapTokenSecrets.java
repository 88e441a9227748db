package io.kubeha.security.tokens;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The Secret {@code kube-system/bootstrap-token-<id>} of type {@code bootstrap.kubernetes.io/token} that backs a
 * bootstrap token, and the bootstrap authenticator's checks on it. The Secret's values are base64 in {@code data}, as
 * the API stores them: {@code token-id}, {@code token-secret}, {@code expiration} (RFC 3339, optional),
 * {@code usage-bootstrap-authentication}, {@code usage-bootstrap-signing} ({@code "true"}), {@code auth-extra-groups}
 * (comma list) and {@code description}.
 */
public final class BootstrapTokenSecrets {
    public static final String NAMESPACE = "kube-system";
    public static final String TYPE = "bootstrap.kubernetes.io/token";
    public static final String TOKEN_ID = "token-id";
    public static final String TOKEN_SECRET = "token-secret";
    public static final String EXPIRATION = "expiration";
    public static final String USAGE_AUTHENTICATION = "usage-bootstrap-authentication";
    public static final String USAGE_SIGNING = "usage-bootstrap-signing";
    public static final String EXTRA_GROUPS = "auth-extra-groups";
    public static final String DESCRIPTION = "description";
    /** The group of every bootstrap token's user, and the prefix of every extra group. */
    public static final String GROUP = "system:bootstrappers";
    public static final String EXTRA_GROUP_PREFIX = GROUP + ":";
    public static final String USER_PREFIX = "system:bootstrap:";

    /** The reasons of {@link Refused}. */
    public static final String REFUSED_MALFORMED = "not a bootstrap token";
    public static final String REFUSED_NO_SUCH_TOKEN = "no such token";
    public static final String REFUSED_WRONG_TYPE = "wrong type";
    public static final String REFUSED_BEING_DELETED = "being deleted";
    public static final String REFUSED_TOKEN_ID_MISMATCH = "token-id mismatch";
    public static final String REFUSED_SECRET_MISMATCH = "secret mismatch";
    public static final String REFUSED_EXPIRED = "expired";
    public static final String REFUSED_NOT_FOR_AUTHENTICATION = "usage-bootstrap-authentication is not true";
    public static final String REFUSED_INVALID_EXTRA_GROUPS = "invalid auth-extra-groups";

    private static final Set<String> USAGES = Set.of("authentication", "signing");
    private static final Pattern EXTRA_GROUP = Pattern.compile("^system:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]$");
    private static final Pattern TTL = Pattern.compile("^(?:(\\d+)h)?(?:(\\d+)m)?(?:(\\d+)s)?$");
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private BootstrapTokenSecrets() {
    }

    /** The outcome of {@link #authenticate}. */
    public sealed interface Result permits Authenticated, Refused {
    }

    /** {@code user} is {@code system:bootstrap:<id>}; {@code groups} are system:bootstrappers and the extra ones. */
    public record Authenticated(String user, List<String> groups) implements Result {
        public Authenticated {
            groups = List.copyOf(groups);
        }
    }

    /** Why the token was refused: one of the {@code REFUSED_*} constants. */
    public record Refused(String reason) implements Result {
    }

    /** What {@code kubeadm token list} shows. {@code ttlLeft} is null without an expiration, never negative. */
    public record TokenInfo(String id, String token, Instant expiration, Duration ttlLeft, List<String> usages,
            List<String> extraGroups, String description) {
        public TokenInfo {
            usages = List.copyOf(usages);
            extraGroups = List.copyOf(extraGroups);
        }
    }

    /**
     * The Secret for a token: apiVersion v1, kind Secret, metadata name and namespace kube-system, type, data in base64.
     *
     * @param expiration null for a token that never expires
     * @param usages each {@code authentication} or {@code signing}
     * @param extraGroups each starting with {@code system:bootstrappers:}
     * @param description nullable
     */
    public static ObjectNode secret(BootstrapToken t, Instant expiration, List<String> usages, List<String> extraGroups,
            String description) {
        Objects.requireNonNull(t, "token");
        List<String> u = usages == null ? List.of() : usages;
        for (String usage : u) {
            if (!USAGES.contains(usage)) {
                throw new IllegalArgumentException("a bootstrap token's usage is authentication or signing, not '"
                        + usage + "'");
            }
        }
        List<String> groups = extraGroups == null ? List.of() : extraGroups;
        for (String group : groups) {
            if (group == null || !group.startsWith(EXTRA_GROUP_PREFIX) || !EXTRA_GROUP.matcher(group).matches()) {
                throw new IllegalArgumentException("a bootstrap token's extra group must start with '"
                        + EXTRA_GROUP_PREFIX + "' (and match " + EXTRA_GROUP.pattern() + "): '" + group + "'");
            }
        }
        ObjectNode secret = JSON.createObjectNode();
        secret.put("apiVersion", "v1");
        secret.put("kind", "Secret");
        ObjectNode metadata = secret.putObject("metadata");
        metadata.put("name", t.secretName());
        metadata.put("namespace", NAMESPACE);
        secret.put("type", TYPE);
        ObjectNode data = secret.putObject("data");
        put(data, TOKEN_ID, t.id());
        put(data, TOKEN_SECRET, t.secret());
        if (expiration != null) {
            put(data, EXPIRATION, DateTimeFormatter.ISO_INSTANT.format(expiration.truncatedTo(ChronoUnit.SECONDS)));
        }
        if (u.contains("authentication")) {
            put(data, USAGE_AUTHENTICATION, "true");
        }
        if (u.contains("signing")) {
            put(data, USAGE_SIGNING, "true");
        }
        if (!groups.isEmpty()) {
            put(data, EXTRA_GROUPS, String.join(",", groups));
        }
        if (description != null && !description.isEmpty()) {
            put(data, DESCRIPTION, description);
        }
        return secret;
    }

    /**
     * The bootstrap authenticator: checks a presented {@code <id>.<secret>} against the Secret
     * {@code kube-system/bootstrap-token-<id>} (null when there is none).
     */
    public static Result authenticate(String presentedToken, JsonNode secretOrNull, Clock clock) {
        Matcher m = presentedToken == null ? null : BootstrapToken.FORMAT.matcher(presentedToken);
        if (m == null || !m.matches()) {
            return new Refused(REFUSED_MALFORMED);
        }
        String id = m.group(1);
        String presentedSecret = m.group(2);
        if (secretOrNull == null || secretOrNull.isNull() || secretOrNull.isMissingNode()) {
            return new Refused(REFUSED_NO_SUCH_TOKEN);
        }
        if (!TYPE.equals(text(secretOrNull.get("type")))) {
            return new Refused(REFUSED_WRONG_TYPE);
        }
        if (beingDeleted(secretOrNull)) {
            return new Refused(REFUSED_BEING_DELETED);
        }
        if (!id.equals(data(secretOrNull, TOKEN_ID))) {
            return new Refused(REFUSED_TOKEN_ID_MISMATCH);
        }
        String stored = data(secretOrNull, TOKEN_SECRET);
        if (stored == null || !MessageDigest.isEqual(stored.getBytes(StandardCharsets.UTF_8),
                presentedSecret.getBytes(StandardCharsets.UTF_8))) {
            return new Refused(REFUSED_SECRET_MISMATCH);
        }
        if (expired(secretOrNull, clock)) {
            return new Refused(REFUSED_EXPIRED);
        }
        if (!"true".equals(data(secretOrNull, USAGE_AUTHENTICATION))) {
            return new Refused(REFUSED_NOT_FOR_AUTHENTICATION);
        }
        List<String> extra;
        try {
            extra = extraGroups(secretOrNull);
        } catch (IllegalArgumentException e) {
            return new Refused(REFUSED_INVALID_EXTRA_GROUPS);
        }
        List<String> groups = new ArrayList<>();
        groups.add(GROUP);
        for (String g : extra) {
            if (!groups.contains(g)) {
                groups.add(g);
            }
        }
        return new Authenticated(USER_PREFIX + id, groups);
    }

    /** What {@code kubeadm token list} shows of a bootstrap-token Secret. */
    public static TokenInfo describe(JsonNode secret, Clock clock) {
        BootstrapToken t = token(secret);
        Instant expiration = expiration(secret);
        Duration ttlLeft = null;
        if (expiration != null) {
            ttlLeft = Duration.between(clock.instant(), expiration);
            if (ttlLeft.isNegative()) {
                ttlLeft = Duration.ZERO;
            }
        }
        List<String> usages = new ArrayList<>();
        if ("true".equals(data(secret, USAGE_AUTHENTICATION))) {
            usages.add("authentication");
        }
        if ("true".equals(data(secret, USAGE_SIGNING))) {
            usages.add("signing");
        }
        List<String> groups;
        try {
            groups = extraGroups(secret);
        } catch (IllegalArgumentException e) {
            groups = splitGroups(data(secret, EXTRA_GROUPS));
        }
        return new TokenInfo(t.id(), t.toString(), expiration, ttlLeft, usages, groups, data(secret, DESCRIPTION));
    }

    /** Whether the bootstrap signer may sign cluster-info with this token: right type, not being deleted, usage-bootstrap-signing true, not expired. */
    public static boolean canSign(JsonNode secret, Clock clock) {
        if (secret == null || !TYPE.equals(text(secret.get("type"))) || beingDeleted(secret)) {
            return false;
        }
        if (!"true".equals(data(secret, USAGE_SIGNING)) || expired(secret, clock)) {
            return false;
        }
        try {
            token(secret);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** The token a Secret holds. @throws IllegalArgumentException when its token-id or token-secret is missing or malformed */
    public static BootstrapToken token(JsonNode secret) {
        if (secret == null) {
            throw new IllegalArgumentException("no bootstrap-token Secret");
        }
        String id = data(secret, TOKEN_ID);
        String tokenSecret = data(secret, TOKEN_SECRET);
        if (id == null || tokenSecret == null) {
            throw new IllegalArgumentException("the Secret has no " + (id == null ? TOKEN_ID : TOKEN_SECRET));
        }
        return new BootstrapToken(id, tokenSecret);
    }

    /**
     * A duration as kubeadm's {@code --ttl}: {@code 24h}, {@code 30m}, {@code 1h30m}, {@code 90s}, or {@code 0} for
     * never (returns {@link Duration#ZERO}).
     */
    public static Duration parseTtl(String ttl) {
        IllegalArgumentException invalid =
                new IllegalArgumentException("--ttl: '" + ttl + "' is not a duration like 24h, 30m or 1h30m");
        if (ttl == null) {
            throw invalid;
        }
        String s = ttl.trim();
        if (s.equals("0")) {
            return Duration.ZERO;
        }
        Matcher m = TTL.matcher(s);
        if (s.isEmpty() || !m.matches()) {
            throw invalid;
        }
        try {
            Duration d = Duration.ZERO;
            if (m.group(1) != null) {
                d = d.plusHours(Long.parseLong(m.group(1)));
            }
            if (m.group(2) != null) {
                d = d.plusMinutes(Long.parseLong(m.group(2)));
            }
            if (m.group(3) != null) {
                d = d.plusSeconds(Long.parseLong(m.group(3)));
            }
            return d;
        } catch (ArithmeticException | NumberFormatException e) {
            throw invalid;
        }
    }

    private static boolean beingDeleted(JsonNode secret) {
        JsonNode ts = secret.path("metadata").get("deletionTimestamp");
        return ts != null && !ts.isNull() && !(ts.isString() && ts.asString().isEmpty());
    }

    /** Expired at or after the expiration; an unreadable expiration counts as expired, as kube-apiserver does. */
    private static boolean expired(JsonNode secret, Clock clock) {
        String raw = data(secret, EXPIRATION);
        if (raw == null || raw.isEmpty()) {
            return false;
        }
        Instant expiration;
        try {
            expiration = OffsetDateTime.parse(raw, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
        } catch (DateTimeParseException e) {
            return true;
        }
        return !clock.instant().isBefore(expiration);
    }

    private static Instant expiration(JsonNode secret) {
        String raw = data(secret, EXPIRATION);
        if (raw == null || raw.isEmpty()) {
            return null;
        }
        try {
            return OffsetDateTime.parse(raw, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("the Secret's expiration is not RFC 3339: '" + raw + "'");
        }
    }

    private static List<String> extraGroups(JsonNode secret) {
        List<String> groups = splitGroups(data(secret, EXTRA_GROUPS));
        for (String g : groups) {
            if (!EXTRA_GROUP.matcher(g).matches()) {
                throw new IllegalArgumentException("invalid extra group '" + g + "'");
            }
        }
        return groups;
    }

    private static List<String> splitGroups(String raw) {
        List<String> groups = new ArrayList<>();
        if (raw != null) {
            for (String g : raw.split(",")) {
                String trimmed = g.trim();
                if (!trimmed.isEmpty()) {
                    groups.add(trimmed);
                }
            }
        }
        return groups;
    }

    private static void put(ObjectNode data, String key, String value) {
        data.put(key, Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8)));
    }

    /** A decoded {@code data} value, null when absent or not base64. */
    private static String data(JsonNode secret, String key) {
        JsonNode value = secret.path("data").get(key);
        if (value == null || !value.isString()) {
            return null;
        }
        try {
            return new String(Base64.getDecoder().decode(value.asString()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static String text(JsonNode node) {
        return node != null && node.isString() ? node.asString() : null;
    }
}
