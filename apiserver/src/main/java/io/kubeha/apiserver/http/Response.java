package io.kubeha.apiserver.http;

import io.kubeha.apiserver.api.ApiException;
import io.kubeha.apiserver.api.Json;
import io.kubeha.apiserver.protobuf.Negotiation;
import io.kubeha.apiserver.protobuf.Protobuf;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** Writes API answers: objects as JSON, YAML or protobuf (by the Accept header), errors as Status. */
public final class Response {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Response.class);

    private Response() {}

    /** The encodings the client takes, best first. */
    static java.util.List<Negotiation.Format> formats(Request req) {
        return Negotiation.preferred(req.header("Accept"));
    }

    public static void object(Request req, int code, Object body) throws IOException {
        for (Negotiation.Format f : formats(req)) {
            switch (f) {
                case PROTOBUF -> {
                    JsonNode tree = body instanceof JsonNode j ? j : Json.tree(body);
                    if (!Protobuf.encodable(tree)) continue; // no message for it (a Table): the next the client takes
                    byte[] bytes;
                    try {
                        bytes = Protobuf.encode(tree);
                    } catch (RuntimeException e) {
                        log.warn("could not encode {} {} as protobuf, answering JSON: {}", tree.path("apiVersion").asString(""),
                                tree.path("kind").asString(""), e.toString());
                        req.send(code, "application/json", Json.bytes(body));
                        return;
                    }
                    req.send(code, Protobuf.MEDIA_TYPE, bytes);
                    return;
                }
                case YAML -> {
                    req.send(code, "application/yaml", Json.YAML.writeValueAsBytes(body));
                    return;
                }
                case JSON -> {
                    req.send(code, "application/json", Json.bytes(body));
                    return;
                }
            }
        }
        // the client takes protobuf only, and this answer has no protobuf form
        ApiException e = new ApiException(406, "NotAcceptable", "only the following media types are accepted: application/json, "
                + "application/yaml, application/vnd.kubernetes.protobuf (this object has no protobuf form)", null);
        req.send(406, "application/json", Json.bytes(e.status()));
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
