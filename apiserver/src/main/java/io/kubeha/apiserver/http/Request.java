package io.kubeha.apiserver.http;

import io.kubeha.apiserver.api.ApiException;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EndPoint;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An HTTP exchange as the API handlers see it: method, path segments, query, headers and a bounded body, and the
 * answer's status, headers and body. It wraps one Jetty request and response; the handlers run on a virtual thread
 * each and block as they please.
 */
public final class Request {
    /** kube-apiserver refuses request bodies over 3 MiB. */
    public static final int MAX_BODY = 3 * 1024 * 1024;

    private final org.eclipse.jetty.server.Request request;
    private final org.eclipse.jetty.server.Response response;
    private final String path;
    private final Map<String, String> query;
    private byte[] body;
    private String verb;
    private String resource = "";
    private int code;
    private io.kubeha.security.auth.Attributes attributes;
    private io.kubeha.security.auth.UserInfo authenticated;
    private io.kubeha.security.auth.UserInfo user;

    Request(org.eclipse.jetty.server.Request request, org.eclipse.jetty.server.Response response) {
        this.request = request;
        this.response = response;
        this.path = request.getHttpURI().getPath();
        this.query = parseQuery(request.getHttpURI().getQuery());
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
        return request.getMethod();
    }

    /** Path and query as sent, for the audit log. */
    public String requestUri() {
        String q = request.getHttpURI().getQuery();
        return q == null || q.isEmpty() ? path : path + "?" + q;
    }

    /** The path as sent (percent-encoded). */
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
        return request.getHeaders().get(name);
    }

    /** Every value of a header, in order (Impersonate-Group may come several times). */
    public List<String> headers(String name) {
        return request.getHeaders().getValuesList(name);
    }

    /** Every header whose name starts with {@code prefix} (case-insensitive), as name and value. */
    public List<Map.Entry<String, String>> headersStartingWith(String prefix) {
        List<Map.Entry<String, String>> found = new java.util.ArrayList<>();
        for (HttpField f : request.getHeaders()) {
            if (f.getName().regionMatches(true, 0, prefix, 0, prefix.length())) found.add(Map.entry(f.getName(), f.getValue()));
        }
        return found;
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
        try (InputStream in = Content.Source.asInputStream(request)) {
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
        response.getHeaders().add("Warning", "299 - \"" + message.replace("\\", "\\\\").replace("\"", "\\\"") + "\"");
    }

    public String remoteAddress() {
        return org.eclipse.jetty.server.Request.getRemoteAddr(request);
    }

    /** The certificates the client presented in its TLS handshake (verified against the cluster CA), or none. */
    public X509Certificate[] peerCertificates() {
        Object data = request.getAttribute(EndPoint.SslSessionData.ATTRIBUTE);
        if (data instanceof EndPoint.SslSessionData ssl && ssl.peerCertificates() != null) return ssl.peerCertificates();
        return new X509Certificate[0];
    }

    public boolean secure() {
        return request.isSecure();
    }

    void authenticatedAs(io.kubeha.security.auth.UserInfo u) {
        this.authenticated = u;
    }

    void actAs(io.kubeha.security.auth.UserInfo u) {
        this.user = u;
    }

    /** What the gate authorized the request as (null before, or on a server without it). */
    io.kubeha.security.auth.Attributes attributes() {
        return attributes;
    }

    void authorizedAs(io.kubeha.security.auth.Attributes a) {
        this.attributes = a;
    }

    /** Who the request acts as (the impersonated user, if any); null before the gate let it in. */
    public io.kubeha.security.auth.UserInfo user() {
        return user;
    }

    /** Who sent the request (differs from {@link #user()} under impersonation). */
    public io.kubeha.security.auth.UserInfo authenticatedUser() {
        return authenticated;
    }

    // ------------------------------------------------------------------ the answer

    public void setHeader(String name, String value) {
        response.getHeaders().put(name, value);
    }

    /** Whether the status and headers have gone out (an error can then no longer be sent as a Status). */
    boolean committed() {
        return response.isCommitted();
    }

    /** The status sent, for metrics and the audit log (0 until one is). */
    int code() {
        return code;
    }

    /** Sends a whole answer. */
    public void send(int status, String type, byte[] bytes) throws IOException {
        this.code = status;
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache, private");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
        try (OutputStream o = Content.Sink.asOutputStream(response)) {
            if (bytes.length > 0) o.write(bytes);
        }
    }

    /**
     * Starts a streamed answer (a watch, a followed log): the status and headers go out at the first flush, the body
     * in chunks (HTTP/1.1) or DATA frames (HTTP/2) as it is written; the caller closes the stream to end it.
     */
    public OutputStream stream(int status, String type) {
        this.code = status;
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache, private");
        return Content.Sink.asOutputStream(response);
    }
}
