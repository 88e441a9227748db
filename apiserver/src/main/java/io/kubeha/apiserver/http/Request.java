package io.kubeha.apiserver.http;

import com.sun.net.httpserver.HttpExchange;
import io.kubeha.apiserver.api.ApiException;

import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** An HTTP request as the API handlers see it: method, path segments, query, headers and a bounded body. */
public final class Request {
    /** kube-apiserver refuses request bodies over 3 MiB. */
    public static final int MAX_BODY = 3 * 1024 * 1024;

    private final HttpExchange exchange;
    private final String path;
    private final Map<String, String> query;
    private byte[] body;
    private String verb;
    private String resource = "";

    Request(HttpExchange exchange) {
        this.exchange = exchange;
        this.path = exchange.getRequestURI().getRawPath();
        this.query = parseQuery(exchange.getRequestURI().getRawQuery());
    }

    static Map<String, String> parseQuery(String raw) {
        Map<String, String> q = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) return q;
        for (String pair : raw.split("&")) {
            if (pair.isEmpty()) continue;
            int eq = pair.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            q.putIfAbsent(k, v);
        }
        return q;
    }

    /** What the request turned out to be, for metrics. */
    void describe(String verb, String resource) {
        this.verb = verb;
        this.resource = resource;
    }

    String verb() {
        return verb != null ? verb : method();
    }

    String resource() {
        return resource;
    }

    public String method() {
        return exchange.getRequestMethod();
    }

    public String path() {
        return path;
    }

    public String query(String name) {
        return query.get(name);
    }

    public boolean flag(String name) {
        String v = query.get(name);
        return v != null && (v.isEmpty() || v.equals("1") || v.equalsIgnoreCase("true"));
    }

    public Integer intQuery(String name) {
        String v = query.get(name);
        if (v == null || v.isEmpty()) return null;
        try {
            return Integer.valueOf(v);
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("invalid value for " + name + ": \"" + v + "\" is not an integer");
        }
    }

    public String header(String name) {
        return exchange.getRequestHeaders().getFirst(name);
    }

    public String contentType() {
        String ct = header("Content-Type");
        if (ct == null) return null;
        int semi = ct.indexOf(';');
        return (semi < 0 ? ct : ct.substring(0, semi)).strip().toLowerCase();
    }

    /** The body, read once, at most {@link #MAX_BODY} bytes (413 beyond). */
    public byte[] body() {
        if (body != null) return body;
        try (InputStream in = exchange.getRequestBody()) {
            byte[] b = in.readNBytes(MAX_BODY + 1);
            if (b.length > MAX_BODY) {
                throw ApiException.tooLarge("Request entity too large: limit is " + MAX_BODY);
            }
            body = b;
            return b;
        } catch (IOException e) {
            throw ApiException.badRequest("could not read the request body: " + e.getMessage());
        }
    }

    /** Adds a warning kubectl shows to the user ({@code Warning: 299 - "..."}, as kube-apiserver sends them). */
    public void warn(String message) {
        exchange.getResponseHeaders().add("Warning", "299 - \"" + message.replace("\\", "\\\\").replace("\"", "\\\"") + "\"");
    }

    public String remoteAddress() {
        return exchange.getRemoteAddress().getAddress().getHostAddress();
    }

    HttpExchange exchange() {
        return exchange;
    }
}
