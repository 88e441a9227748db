package io.kubeha.security.encryption;

/**
 * A stored value no provider of its resource's entry can read. The API server answers such a read with an internal
 * error, as kube-apiserver does; the object itself is left as stored.
 */
public final class TransformException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public TransformException(String message) {
        super(message);
    }

    public TransformException(String message, Throwable cause) {
        super(message, cause);
    }
}
