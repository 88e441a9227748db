package io.kubeha.security.pki;

/** A PKI file that cannot be read, written or trusted; the message names the file and what to do. */
public final class PkiException extends RuntimeException {
    public PkiException(String message) {
        super(message);
    }

    public PkiException(String message, Throwable cause) {
        super(message, cause);
    }
}
