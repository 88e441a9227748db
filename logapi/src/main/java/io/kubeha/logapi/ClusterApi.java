package io.kubeha.logapi;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Reads from the Kubernetes API server with the JDK's HTTP client (fabric8's client would cost the service its
 * fast start). Every failure becomes an {@link HttpError} for logapi's own client, worded for a person:
 * the API server's 400 and 404 are relayed with its message (for pods/log a 400 means the logs cannot be had
 * now: no node yet, no container started, no node agent to ask), everything that is the cluster's fault and
 * not the caller's (unreachable, refused credentials, 5xx) is a 502, a timeout a 504.
 */
final class ClusterApi {
    private final ClusterAccess access;
    private final Duration timeout;
    private volatile HttpClient http;

    ClusterApi(ClusterAccess access, Duration timeout) {
        this.access = access;
        this.timeout = timeout;
    }

    String describe() {
        return access.source();
    }

    /** GET {@code path} (with its query) as JSON. */
    JsonNode getJson(String path, String what) {
        String body = get(path, "application/json", what);
        try {
            return Json.Mapper.MAPPER.readTree(body);
        } catch (JacksonException e) {
            throw new HttpError(502, "the API server answered " + what + " with something that is not JSON");
        }
    }

    /** GET {@code path} (with its query) as text. */
    String getText(String path, String what) {
        return get(path, "text/plain, */*", what);
    }

    private String get(String path, String accept, String what) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(access.server() + path))
                .timeout(timeout).header("Accept", accept).header("User-Agent", "logapi").GET();
        String token = access.bearerToken();
        if (token != null && !token.isEmpty()) b.header("Authorization", "Bearer " + token);
        HttpResponse<String> response;
        try {
            response = client().send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (HttpConnectTimeoutException e) {
            throw new HttpError(504, "the API server at " + access.server() + " did not accept a connection within " + timeout.toSeconds() + "s");
        } catch (HttpTimeoutException e) {
            throw new HttpError(504, "the API server at " + access.server() + " did not answer " + what + " within " + timeout.toSeconds() + "s");
        } catch (ConnectException e) {
            throw new HttpError(502, "the API server at " + access.server() + " is unreachable (connection refused)");
        } catch (IOException e) {
            throw new HttpError(502, "the API server at " + access.server() + " is unreachable: "
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HttpError(503, "logapi is stopping");
        }
        int code = response.statusCode();
        if (code / 100 == 2) return response.body();
        String message = statusMessage(response.body());
        switch (code) {
            case 400, 404 -> throw new HttpError(code, "the API server answered " + code + " for " + what + ": " + message);
            case 401, 403 -> throw new HttpError(502, "the API server refused logapi's credentials (" + code + ") for " + what
                    + ": " + message + " (does the pod's service account have the right to read it?)");
            case 504 -> throw new HttpError(504, "the API server timed out on " + what + ": " + message);
            default -> throw new HttpError(502, "the API server answered " + code + " for " + what + ": " + message);
        }
    }

    /** The message of a Kubernetes Status body, or the start of whatever the body is. */
    private static String statusMessage(String body) {
        try {
            JsonNode n = Json.Mapper.MAPPER.readTree(body);
            String m = n.path("message").asString("");
            if (!m.isEmpty()) return m;
        } catch (JacksonException ignored) {
            // not a Status
        }
        String s = body == null ? "" : body.strip();
        if (s.isEmpty()) return "(no message)";
        return s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }

    private HttpClient client() {
        HttpClient c = http;
        if (c == null) {
            synchronized (this) {
                if (http == null) {
                    HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(timeout)
                            .version(HttpClient.Version.HTTP_1_1).followRedirects(HttpClient.Redirect.NEVER);
                    if (access.tls() != null) b.sslContext(access.tls());
                    http = b.build();
                }
                c = http;
            }
        }
        return c;
    }
}
