package io.kubeha.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * One HTTP/1.1 GET on a connection of its own, as curl makes it: each request goes through the service proxy
 * afresh, so it can land on any endpoint.
 */
final class Http {
    private Http() {
    }

    record Response(int status, String body) {
    }

    static Response get(String host, int port, String path) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 3_000);
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: " + host + ":" + port + "\r\nUser-Agent: curl/8\r\nAccept: */*\r\n"
                    + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            String response = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            int headerEnd = response.indexOf("\r\n\r\n");
            if (!response.startsWith("HTTP/1.") || headerEnd < 0) {
                throw new IOException("not an HTTP response: '" + response + "'");
            }
            int status = Integer.parseInt(response.substring(9, 12));
            String headers = response.substring(0, headerEnd).toLowerCase();
            String body = response.substring(headerEnd + 4);
            if (headers.contains("transfer-encoding: chunked")) body = dechunk(body);
            return new Response(status, body);
        }
    }

    private static String dechunk(String body) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < body.length()) {
            int eol = body.indexOf("\r\n", i);
            if (eol < 0) break;
            int size = Integer.parseInt(body.substring(i, eol).split(";")[0].trim(), 16);
            if (size == 0) break;
            out.append(body, eol + 2, eol + 2 + size);
            i = eol + 2 + size + 2;
        }
        return out.toString();
    }
}
