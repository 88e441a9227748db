package io.kubeha.security.tokens;

import java.security.SecureRandom;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A kubeadm bootstrap token {@code <id>.<secret>}: a public 6-character id and a 16-character secret. */
public record BootstrapToken(String id, String secret) {
    /** {@code ^([a-z0-9]{6})\.([a-z0-9]{16})$} */
    public static final Pattern FORMAT = Pattern.compile("^([a-z0-9]{6})\\.([a-z0-9]{16})$");

    private static final Pattern ID = Pattern.compile("^[a-z0-9]{6}$");
    private static final Pattern SECRET = Pattern.compile("^[a-z0-9]{16}$");
    private static final String MESSAGE = "a bootstrap token looks like abcdef.0123456789abcdef ([a-z0-9]{6}.[a-z0-9]{16})";
    private static final char[] ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789".toCharArray();

    public BootstrapToken {
        if (id == null || secret == null || !ID.matcher(id).matches() || !SECRET.matcher(secret).matches()) {
            throw new IllegalArgumentException(MESSAGE);
        }
    }

    /** @throws IllegalArgumentException when {@code token} does not match {@link #FORMAT} */
    public static BootstrapToken parse(String token) {
        Matcher m = token == null ? null : FORMAT.matcher(token);
        if (m == null || !m.matches()) {
            throw new IllegalArgumentException(MESSAGE);
        }
        return new BootstrapToken(m.group(1), m.group(2));
    }

    public static BootstrapToken generate(SecureRandom r) {
        Objects.requireNonNull(r, "random");
        return new BootstrapToken(random(r, 6), random(r, 16));
    }

    private static String random(SecureRandom r, int length) {
        char[] chars = new char[length];
        for (int i = 0; i < length; i++) {
            chars[i] = ALPHABET[r.nextInt(ALPHABET.length)];
        }
        return new String(chars);
    }

    /** {@code bootstrap-token-<id>}, the Secret's name in kube-system */
    public String secretName() {
        return "bootstrap-token-" + id;
    }

    /** The token itself, {@code <id>.<secret>}: mind where it is logged. */
    @Override
    public String toString() {
        return id + "." + secret;
    }
}
