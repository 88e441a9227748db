package io.kubeha.logapi;

import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * JSON for the service. The greeting, the health answers and the error bodies are written by hand, so that
 * a fresh pod answers its first greeting without loading Jackson (some 900 classes, most of a second on a busy
 * machine); Jackson ({@link Mapper}, loaded on first use) reads the API server's answers and writes the
 * cluster endpoints' bodies.
 */
final class Json {
    private Json() {}

    /** Holder: Jackson is loaded the first time a cluster endpoint needs it, not at start. */
    static final class Mapper {
        static final JsonMapper MAPPER = JsonMapper.builder().build();

        private Mapper() {}
    }

    static ObjectNode object() {
        return Mapper.MAPPER.createObjectNode();
    }

    /** {@code s} as a JSON string literal, quotes included. */
    static String quote(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        return b.append('"').toString();
    }

    /** The reason phrase of an HTTP status, for error bodies. */
    static String reason(int status) {
        return switch (status) {
            case 400 -> "Bad Request";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 500 -> "Internal Server Error";
            case 502 -> "Bad Gateway";
            case 503 -> "Service Unavailable";
            case 504 -> "Gateway Timeout";
            default -> "Error";
        };
    }

    /** {@code {"status":404,"error":"Not Found","message":"..."}}: the body of every error answer. */
    static String error(int status, String message) {
        return "{\"status\":" + status + ",\"error\":" + quote(reason(status)) + ",\"message\":" + quote(message) + "}";
    }
}
