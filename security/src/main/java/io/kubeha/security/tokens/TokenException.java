package io.kubeha.security.tokens;

/** A token that is ours (our issuer, or a bootstrap/legacy token) but must be refused; the message says why. */
public final class TokenException extends Exception {
    private static final long serialVersionUID = 1L;

    public TokenException(String message) {
        super(message);
    }
}
