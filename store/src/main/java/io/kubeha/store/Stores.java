package io.kubeha.store;

import io.kubeha.store.embedded.EmbeddedStore;
import io.kubeha.store.etcd.EtcdStore;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Opens a store by URI, as k3s's kine picks its driver by scheme:
 * <ul>
 *   <li>{@code embedded:DIR} — in this process, durable in DIR (the default: nothing to install);</li>
 *   <li>{@code etcd:http://h1:2379,http://h2:2379,...} — an etcd v3 cluster (the seed's HA design);</li>
 *   <li>{@code etcd:https://h1:2379,...} — the same over TLS, with {@link StoreOptions#etcdTls()}'s CA and client
 *       certificate (kube-apiserver's --etcd-cafile, --etcd-certfile, --etcd-keyfile).</li>
 * </ul>
 */
public final class Stores {
    private Stores() {}

    public static Store open(String uri, StoreOptions options) {
        if (uri == null || uri.isBlank()) {
            throw new IllegalArgumentException("a store URI is needed: embedded:DIR or etcd:http://HOST:PORT,...");
        }
        int colon = uri.indexOf(':');
        String scheme = colon < 0 ? "" : uri.substring(0, colon);
        String rest = colon < 0 ? uri : uri.substring(colon + 1);
        return switch (scheme) {
            case "embedded" -> {
                if (rest.isBlank()) throw new IllegalArgumentException("embedded: needs a directory, as in embedded:/var/lib/kubeha");
                yield EmbeddedStore.open(Path.of(rest), options);
            }
            case "etcd" -> EtcdStore.open(parseEndpoints(rest), options);
            default -> throw new IllegalArgumentException("unknown store '" + uri
                    + "': use embedded:DIR or etcd:http://HOST:PORT[,http://HOST:PORT...]");
        };
    }

    static List<URI> parseEndpoints(String list) {
        List<URI> endpoints = new ArrayList<>();
        for (String part : list.split(",")) {
            String s = part.strip();
            if (s.isEmpty()) continue;
            URI u;
            try {
                u = URI.create(s);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("etcd endpoint '" + s + "' is not a URL: " + e.getMessage());
            }
            if (!("http".equals(u.getScheme()) || "https".equals(u.getScheme())) || u.getHost() == null || u.getPort() < 0) {
                throw new IllegalArgumentException("etcd endpoint '" + s + "' must look like http://HOST:PORT or https://HOST:PORT");
            }
            endpoints.add(u);
        }
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("etcd: needs at least one endpoint, as in etcd:http://127.0.0.1:2379");
        }
        return endpoints;
    }
}
