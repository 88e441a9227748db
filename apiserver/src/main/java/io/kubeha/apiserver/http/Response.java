package io.kubeha.apiserver.http;

import io.kubeha.apiserver.api.ApiException;
import io.kubeha.apiserver.api.Json;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** Writes API answers: objects as JSON or YAML (by the Accept header), errors as Status. */
public final class Response {
    private Response() {}

    /** True when the client asked for YAML and not JSON. */
    static boolean wantsYaml(Request req) {
        String accept = req.header("Accept");
        return accept != null && accept.contains("application/yaml") && !accept.contains("application/json");
    }

    public static void object(Request req, int code, Object body) throws IOException {
        if (wantsYaml(req)) {
            req.send(code, "application/yaml", Json.YAML.writeValueAsBytes(body));
        } else {
            req.send(code, "application/json", Json.bytes(body));
        }
    }

    public static void error(Request req, ApiException e) throws IOException {
        object(req, e.code(), e.status());
    }

    public static void text(Request req, int code, String body) throws IOException {
        req.send(code, "text/plain; charset=utf-8", body.getBytes(StandardCharsets.UTF_8));
    }

    public static void send(Request req, int code, String type, byte[] bytes) throws IOException {
        req.send(code, type, bytes);
    }
}
