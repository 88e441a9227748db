package io.kubeha.apiserver.openapi;

import io.kubeha.apiserver.api.Json;
import io.kubeha.apiserver.openapi.Operations.PathItem;
import io.kubeha.apiserver.registry.ResourceType;
import io.kubeha.apiserver.registry.Resources;
import tools.jackson.databind.node.ObjectNode;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The OpenAPI documents of the served resources, as kube-apiserver publishes them: {@code /openapi/v2} (Swagger
 * 2.0, in JSON or gnostic protobuf) and {@code /openapi/v3} with one OpenAPI 3.0 document per group-version.
 * All are built together on first use and then served from memory; the documents depend only on the
 * {@link Resources} given, so two servers with the same registry serve byte-identical documents and hashes.
 * Thread-safe.
 */
public final class OpenApi {
    /** What kubectl sends in {@code Accept} for {@code /openapi/v2}. */
    public static final String V2_PROTOBUF_ACCEPT = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf";
    /** The {@code Content-Type} of {@link #v2Protobuf()}, as kube-apiserver labels it. */
    public static final String V2_PROTOBUF_TYPE = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";
    /** The {@code Content-Type} of every JSON document here. */
    public static final String JSON_TYPE = "application/json";

    private final Resources resources;
    private volatile Documents documents;

    public OpenApi(Resources resources) {
        this.resources = Objects.requireNonNull(resources);
    }

    /** {@code /openapi/v2} as Swagger 2.0 JSON. A fresh copy on each call. */
    public byte[] v2() {
        return documents().v2.clone();
    }

    /** {@code /openapi/v2} as the gnostic {@code openapi.v2.Document} protobuf message kubectl asks for. A fresh copy. */
    public byte[] v2Protobuf() {
        return documents().v2Protobuf.clone();
    }

    /**
     * Whether a request's {@code Accept} header asks {@code /openapi/v2} for protobuf (kubectl always does);
     * otherwise answer with JSON.
     */
    public static boolean acceptsV2Protobuf(String accept) {
        return accept != null && accept.contains("application/com.github.proto-openapi.spec.v2");
    }

    /**
     * {@code /openapi/v3}: {@code {"paths":{"api/v1":{"serverRelativeURL":"/openapi/v3/api/v1?hash=HEX"},...}}}.
     * A fresh copy.
     */
    public byte[] v3Discovery() {
        return documents().v3Discovery.clone();
    }

    /**
     * The OpenAPI 3.0 document of one group-version, by its path under {@code /openapi/v3/}: {@code "api/v1"} or
     * {@code "apis/apps/v1"} (a leading slash is tolerated). The {@code hash} query parameter of the URL is not
     * part of the path: the caller may compare it with {@link #v3Hash} or ignore it. Empty for a group-version
     * not served. A fresh copy.
     */
    public Optional<byte[]> v3(String groupVersionPath) {
        byte[] doc = documents().v3.get(strip(groupVersionPath));
        return doc == null ? Optional.empty() : Optional.of(doc.clone());
    }

    /**
     * The content hash of one group-version's document (uppercase hex SHA-512), as put in its
     * {@code serverRelativeURL}; fit for an {@code ETag}. Empty for a group-version not served.
     */
    public Optional<String> v3Hash(String groupVersionPath) {
        return Optional.ofNullable(documents().v3Hashes.get(strip(groupVersionPath)));
    }

    private static String strip(String path) {
        return path.startsWith("/") ? path.substring(1) : path;
    }

    private Documents documents() {
        Documents d = documents;
        if (d == null) {
            synchronized (this) {
                d = documents;
                if (d == null) documents = d = Documents.build(resources);
            }
        }
        return d;
    }

    private record Documents(byte[] v2, byte[] v2Protobuf, byte[] v3Discovery, Map<String, byte[]> v3,
                             Map<String, String> v3Hashes) {
        static Documents build(Resources resources) {
            Definitions defs = new Definitions();
            Operations operations = new Operations(defs);
            // group-version path ("api/v1", "apis/apps/v1") -> its path items
            Map<String, List<PathItem>> byGroupVersion = new LinkedHashMap<>();
            List<PathItem> all = new ArrayList<>();
            for (ResourceType t : resources.all()) {
                List<PathItem> items = operations.of(t);
                byGroupVersion.computeIfAbsent(Operations.prefix(t.group(), t.version()).substring(1), k -> new ArrayList<>())
                        .addAll(items);
                all.addAll(items);
            }

            ObjectNode v2 = SwaggerV2.document(all, defs.all());
            Map<String, byte[]> v3 = new TreeMap<>();
            Map<String, String> hashes = new TreeMap<>();
            ObjectNode discovery = Json.object();
            ObjectNode paths = discovery.putObject("paths");
            for (Map.Entry<String, List<PathItem>> gv : new TreeMap<>(byGroupVersion).entrySet()) {
                byte[] doc = Json.bytes(OpenApiV3.document(gv.getValue(), defs));
                String hash = sha512(doc);
                v3.put(gv.getKey(), doc);
                hashes.put(gv.getKey(), hash);
                paths.putObject(gv.getKey()).put("serverRelativeURL", "/openapi/v3/" + gv.getKey() + "?hash=" + hash);
            }
            return new Documents(Json.bytes(v2), SwaggerProto.encode(v2), Json.bytes(discovery), Map.copyOf(v3),
                    Map.copyOf(hashes));
        }
    }

    static String sha512(byte[] bytes) {
        try {
            return HexFormat.of().withUpperCase().formatHex(MessageDigest.getInstance("SHA-512").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-512", e);
        }
    }
}
