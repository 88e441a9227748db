package io.kubeha.logapi;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

import javax.net.ssl.SSLContext;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * A KUBECONFIG read as kubectl reads it: the files it lists (those that exist), merged so that the first file
 * that sets a value wins; the current context's cluster (server, CA, insecure-skip-tls-verify) and user (token
 * or tokenFile; client certificates, exec and auth providers are refused with a message). Apart from
 * {@link ClusterAccess} so that a pod, which uses its in-cluster configuration, never loads the YAML parser.
 */
final class Kubeconfig {
    private Kubeconfig() {}

    /** Reads the current context of the KUBECONFIG files (separated by the path separator). */
    static ClusterAccess read(String paths) {
        List<Path> files = new ArrayList<>();
        List<JsonNode> docs = new ArrayList<>();
        YAMLMapper yaml = YAMLMapper.builder().build();
        for (String p : paths.split(java.io.File.pathSeparator)) {
            if (p.isBlank()) continue;
            Path file = Path.of(p);
            if (!Files.isRegularFile(file)) {
                // kubectl skips listed files that do not exist
                continue;
            }
            try {
                JsonNode doc = yaml.readTree(file.toFile());
                if (doc != null && doc.isObject()) {
                    files.add(file);
                    docs.add(doc);
                }
            } catch (JacksonException e) {
                throw new IllegalArgumentException("KUBECONFIG file " + file + " is not valid YAML: " + e.getOriginalMessage());
            }
        }
        if (docs.isEmpty()) {
            throw new IllegalArgumentException("KUBECONFIG names no readable kubeconfig file: " + paths);
        }
        String contextName = firstText(docs, d -> d.path("current-context"));
        if (contextName == null) {
            throw new IllegalArgumentException("the kubeconfig in KUBECONFIG (" + paths + ") has no current-context");
        }
        JsonNode context = named(docs, "contexts", contextName, "context");
        if (context == null) {
            throw new IllegalArgumentException("the kubeconfig's current-context " + contextName + " is not among its contexts");
        }
        String clusterName = context.path("cluster").asString("");
        JsonNode cluster = named(docs, "clusters", clusterName, "cluster");
        if (cluster == null) {
            throw new IllegalArgumentException("the kubeconfig's context " + contextName + " names cluster '" + clusterName + "', which it does not define");
        }
        String userName = context.path("user").asString("");
        JsonNode user = userName.isEmpty() ? null : named(docs, "users", userName, "user");
        Path base = files.getFirst().toAbsolutePath().getParent();

        String server = cluster.path("server").asString("");
        if (server.isEmpty()) {
            throw new IllegalArgumentException("the kubeconfig's cluster " + clusterName + " has no server");
        }
        URI uri = ClusterAccess.uri(server.replaceAll("/+$", ""), "the kubeconfig's server");
        SSLContext tls = null;
        if (uri.getScheme().equals("https")) {
            if (cluster.path("insecure-skip-tls-verify").asBoolean(false)) {
                tls = ClusterAccess.trustingAnything();
            } else if (!cluster.path("certificate-authority-data").asString("").isEmpty()) {
                tls = ClusterAccess.trusting(base64(cluster.path("certificate-authority-data").asString(), "certificate-authority-data"),
                        "the kubeconfig's certificate-authority-data");
            } else if (!cluster.path("certificate-authority").asString("").isEmpty()) {
                Path ca = base.resolve(cluster.path("certificate-authority").asString());
                tls = ClusterAccess.trusting(ClusterAccess.read(ca), ca.toString());
            }
        }
        String token = null;
        Path tokenFile = null;
        if (user != null) {
            for (String unsupported : List.of("client-certificate", "client-certificate-data", "exec", "auth-provider", "username")) {
                if (user.has(unsupported)) {
                    throw new IllegalArgumentException("the kubeconfig's user " + userName + " authenticates with " + unsupported
                            + ", which logapi does not support: give it a token or tokenFile");
                }
            }
            if (!user.path("token").asString("").isEmpty()) {
                token = user.path("token").asString();
            } else if (!user.path("tokenFile").asString("").isEmpty()) {
                tokenFile = base.resolve(user.path("tokenFile").asString());
            }
        }
        return new ClusterAccess(uri, token, tokenFile, tls, "KUBECONFIG " + paths + " (context " + contextName + ", " + uri + ")");
    }

    private static String firstText(List<JsonNode> docs, java.util.function.Function<JsonNode, JsonNode> field) {
        for (JsonNode d : docs) {
            String v = field.apply(d).asString("");
            if (!v.isEmpty()) return v;
        }
        return null;
    }

    /** The {@code inner} object of the entry called {@code name} in the list {@code list}, first file first. */
    private static JsonNode named(List<JsonNode> docs, String list, String name, String inner) {
        for (JsonNode d : docs) {
            for (JsonNode entry : d.path(list)) {
                if (name.equals(entry.path("name").asString(null))) {
                    JsonNode n = entry.path(inner);
                    return n.isObject() ? n : Json.object();
                }
            }
        }
        return null;
    }

    private static byte[] base64(String s, String what) {
        try {
            return Base64.getMimeDecoder().decode(s);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the kubeconfig's " + what + " is not base64");
        }
    }

}
