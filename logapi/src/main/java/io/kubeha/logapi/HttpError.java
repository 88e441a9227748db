package io.kubeha.logapi;

/**
 * An answer other than success, with the message the client reads. Thrown by handlers and by the API server
 * client; the service turns it into a JSON error body, so no request ever ends in a stack trace.
 */
final class HttpError extends RuntimeException {
    private final int status;

    HttpError(int status, String message) {
        super(message, null, false, false);
        this.status = status;
    }

    int status() {
        return status;
    }

    static HttpError badRequest(String message) {
        return new HttpError(400, message);
    }

    static HttpError notFound(String message) {
        return new HttpError(404, message);
    }
}
