package io.kubeha.security.encryption;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import javax.crypto.spec.SecretKeySpec;
import tools.jackson.databind.JsonNode;

/**
 * kube-apiserver's {@code --encryption-provider-config}: an {@code EncryptionConfiguration} of apiVersion
 * {@code apiserver.config.k8s.io/v1}, in YAML or JSON. Checked as kube checks it when loaded, so that a mistake stops
 * the API server at start instead of losing data later:
 * <ul>
 *   <li>at least one {@code resources} entry, each with at least one resource and one provider, a provider being
 *       exactly one of {@code aesgcm} and {@code identity} ({@code aescbc}, {@code secretbox} and {@code kms} are
 *       refused by name);</li>
 *   <li>aesgcm keys: at least one, each with a name (no {@code ':'}, which would make the stored prefix ambiguous) and
 *       a base64 secret of 16, 24 or 32 bytes, names unique within the entry;</li>
 *   <li>resources: lowercase, {@code resource}, {@code resource.group}, {@code *.group}, {@code *.} (the core group) or
 *       {@code *.*}; not {@code *}, {@code resource.*}, the {@code extensions} or {@code events.k8s.io} groups, nor the
 *       storage-only {@code apiserveripinfo}, {@code serviceipallocations} and {@code servicenodeportallocations};
 *       no resource twice and no overlap such as {@code secrets} with {@code *.} in one entry; no resource after an
 *       earlier entry's wildcard that masks it.</li>
 * </ul>
 * One difference from kube: a resource named in two entries is refused (kube appends the second entry's providers to
 * the first's), as it is almost always a mistake.
 *
 * <p>The legacy {@code apiVersion: v1, kind: EncryptionConfig} form is refused, as kube has done since 1.13.
 */
public final class EncryptionConfig {
    private static final String API_VERSION = "apiserver.config.k8s.io/v1";
    private static final String KIND = "EncryptionConfiguration";
    private static final Set<String> UNSUPPORTED_PROVIDERS = Set.of("aescbc", "secretbox", "kms");
    private static final Set<String> STORAGE_ONLY =
            Set.of("apiserveripinfo", "serviceipallocations", "servicenodeportallocations");

    /** A group and resource, either of which may be "*". */
    private record GroupResource(String group, String resource) {
        static GroupResource parse(String s) {
            int dot = s.indexOf('.');
            return dot < 0 ? new GroupResource("", s) : new GroupResource(s.substring(dot + 1), s.substring(0, dot));
        }

        @Override
        public String toString() {
            return group.isEmpty() && !resource.equals("*") ? resource : resource + "." + group;
        }
    }

    private static final GroupResource ANY = new GroupResource("*", "*");

    private final Map<GroupResource, ProviderChain> chains;
    private final Map<GroupResource, ProviderChain> unlisted = new java.util.concurrent.ConcurrentHashMap<>();

    private EncryptionConfig(Map<GroupResource, ProviderChain> chains) {
        this.chains = Map.copyOf(chains);
    }

    /** No file: every resource is stored as is. */
    public static EncryptionConfig identity() {
        return new EncryptionConfig(Map.of());
    }

    /**
     * Reads and checks the file.
     *
     * @throws IllegalArgumentException a one-line message naming the file and the field, for the first mistake
     */
    public static EncryptionConfig load(Path file) {
        return new Parser(file).parse(io.kubeha.security.ConfigFiles.read(file, "the encryption config"));
    }

    /**
     * The transformer for a resource ({@code ("", "secrets")}, {@code ("apps", "deployments")}): that of the entry
     * that names it, else of the entry naming its group's wildcard ({@code *.apps}, {@code *.} for the core group),
     * else of {@code *.*}, else identity. With masking refused at load, this is kube's first matching entry.
     */
    public Transformer forResource(String group, String resource) {
        GroupResource gr = new GroupResource(group == null ? "" : group, Objects.requireNonNull(resource, "resource"));
        ProviderChain chain = chains.get(gr);
        if (chain == null) {
            chain = chains.get(new GroupResource(gr.group(), "*"));
        }
        if (chain == null) {
            chain = chains.get(ANY);
        }
        if (chain == null) {
            chain = unlisted.computeIfAbsent(gr, g -> ProviderChain.identityOnly(g + " (not in the encryption config)"));
        }
        return chain;
    }

    @Override
    public String toString() {
        return "EncryptionConfig" + chains.values().stream().distinct().toList();
    }

    /** One load: the file for messages. */
    private static final class Parser {
        private final Path file;

        Parser(Path file) {
            this.file = file;
        }

        private IllegalArgumentException fail(String field, String message) {
            return io.kubeha.security.ConfigFiles.error(file, field, message);
        }

        EncryptionConfig parse(JsonNode doc) {
            io.kubeha.security.ConfigFiles.object(file, doc, "an EncryptionConfiguration");
            String apiVersion = text(doc, "apiVersion", "apiVersion", true);
            String kind = text(doc, "kind", "kind", true);
            if (kind.equals("EncryptionConfig")) {
                throw fail("kind", "the legacy 'apiVersion: v1, kind: EncryptionConfig' form is not supported (kube"
                        + " dropped it in 1.13); use 'apiVersion: " + API_VERSION + "' and 'kind: " + KIND + "'");
            }
            if (!kind.equals(KIND)) {
                throw fail("kind", "must be " + KIND + ", got '" + kind + "'");
            }
            if (!apiVersion.equals(API_VERSION)) {
                throw fail("apiVersion", "must be " + API_VERSION + ", got '" + apiVersion + "'");
            }
            onlyFields(doc, "", Set.of("apiVersion", "kind", "resources"));
            JsonNode entries = doc.get("resources");
            if (entries == null || entries.isNull() || (entries.isArray() && entries.isEmpty())) {
                throw fail("resources", "at least one resources entry is required");
            }
            if (!entries.isArray()) {
                throw fail("resources", "must be a list");
            }

            Map<GroupResource, ProviderChain> chains = new LinkedHashMap<>();
            Map<GroupResource, String> listedAt = new HashMap<>();
            for (int i = 0; i < entries.size(); i++) {
                String at = "resources[" + i + "]";
                JsonNode entry = entries.get(i);
                if (!entry.isObject()) {
                    throw fail(at, "must be an object with resources and providers");
                }
                onlyFields(entry, at, Set.of("resources", "providers"));
                List<GroupResource> resources = resources(entry.get("resources"), at + ".resources");
                ProviderChain chain = new ProviderChain(String.join(", ", resources.stream().map(Object::toString)
                        .toList()), providers(entry.get("providers"), at + ".providers"));
                for (int j = 0; j < resources.size(); j++) {
                    GroupResource gr = resources.get(j);
                    String field = at + ".resources[" + j + "]";
                    if (listedAt.containsKey(gr)) {
                        throw fail(field, "resource '" + gr + "' is already listed in " + listedAt.get(gr)
                                + "; a resource may be named in one entry only");
                    }
                    GroupResource groupWildcard = new GroupResource(gr.group(), "*");
                    for (GroupResource masking : List.of(ANY, groupWildcard)) {
                        if (!masking.equals(gr) && listedAt.containsKey(masking)) {
                            throw fail(field, "resource '" + gr + "' is masked by the earlier '" + masking + "' of "
                                    + listedAt.get(masking) + ", so this entry would never apply");
                        }
                    }
                    listedAt.put(gr, at);
                    chains.put(gr, chain);
                }
            }
            return new EncryptionConfig(chains);
        }

        private List<GroupResource> resources(JsonNode list, String at) {
            if (list == null || list.isNull() || (list.isArray() && list.isEmpty())) {
                throw fail(at, "at least one resource is required");
            }
            if (!list.isArray()) {
                throw fail(at, "must be a list of resource names");
            }
            List<GroupResource> out = new ArrayList<>();
            for (int j = 0; j < list.size(); j++) {
                String field = at + "[" + j + "]";
                JsonNode n = list.get(j);
                if (!n.isString() || n.asString().isEmpty()) {
                    throw fail(field, "must be a resource name such as secrets, deployments.apps, *.apps or *.*");
                }
                String res = n.asString();
                if (!res.equals(res.toLowerCase(java.util.Locale.ROOT))) {
                    throw fail(field, "resource name '" + res + "' should not contain capital letters");
                }
                if (res.equals("*")) {
                    throw fail(field, "use '*.' to encrypt all the resources of the core API group or '*.*' to"
                            + " encrypt all resources");
                }
                if (STORAGE_ONLY.contains(res)) {
                    throw fail(field, "'" + res + "' has no REST API and cannot be encrypted");
                }
                GroupResource gr = GroupResource.parse(res);
                if (gr.resource().isEmpty()) {
                    throw fail(field, "'" + res + "' names no resource");
                }
                if (gr.group().equals("events.k8s.io")) {
                    throw fail(field, "'*.events.k8s.io' objects are stored in the 'events' resource of the core"
                            + " group; use 'events' instead");
                }
                if (gr.group().equals("extensions")) {
                    throw fail(field, "the 'extensions' group has been removed and cannot be used for encryption");
                }
                if (gr.group().equals("*") && !gr.resource().equals("*")) {
                    throw fail(field, "'" + res + "': encrypting the same resource across groups is not supported");
                }
                for (int k = 0; k < out.size(); k++) {
                    GroupResource other = out.get(k);
                    if (other.equals(gr)) {
                        throw fail(field, "resource '" + res + "' is listed twice (also " + at + "[" + k + "])");
                    }
                    boolean overlap = other.equals(ANY) || gr.equals(ANY)
                            || (other.group().equals(gr.group())
                                    && (other.resource().equals("*") || gr.resource().equals("*")));
                    if (overlap) {
                        throw fail(field, "'" + res + "' overlaps '" + other + "' (" + at + "[" + k + "]) in the"
                                + " same list; overlapping resources are not allowed as one masks the other");
                    }
                }
                out.add(gr);
            }
            return out;
        }

        private List<ProviderChain.Reader> providers(JsonNode list, String at) {
            if (list == null || list.isNull() || (list.isArray() && list.isEmpty())) {
                throw fail(at, "at least one provider is required");
            }
            if (!list.isArray()) {
                throw fail(at, "must be a list of providers");
            }
            List<ProviderChain.Reader> readers = new ArrayList<>();
            Map<String, String> keyNames = new HashMap<>();
            for (int j = 0; j < list.size(); j++) {
                String field = at + "[" + j + "]";
                JsonNode provider = list.get(j);
                if (!provider.isObject() || provider.isEmpty()) {
                    throw fail(field, "must name one provider: aesgcm or identity");
                }
                Set<String> names = new HashSet<>(provider.propertyNames());
                for (String name : provider.propertyNames()) {
                    if (UNSUPPORTED_PROVIDERS.contains(name)) {
                        throw fail(field + "." + name, "provider " + name
                                + " is not supported by kubeha; use aesgcm or identity");
                    }
                    if (!name.equals("aesgcm") && !name.equals("identity")) {
                        throw fail(field + "." + name, "unknown provider '" + name + "'; kubeha supports aesgcm and"
                                + " identity");
                    }
                }
                if (names.size() > 1) {
                    throw fail(field, "more than one provider specified in a single element, should split into"
                            + " different list elements");
                }
                if (names.contains("identity")) {
                    JsonNode identity = provider.get("identity");
                    if (!identity.isNull() && !(identity.isObject() && identity.isEmpty())) {
                        throw fail(field + ".identity", "takes no settings: write 'identity: {}'");
                    }
                    readers.add(ProviderChain.Reader.identity());
                } else {
                    readers.addAll(aesgcm(provider.get("aesgcm"), field + ".aesgcm", keyNames));
                }
            }
            return readers;
        }

        private List<ProviderChain.Reader> aesgcm(JsonNode config, String at, Map<String, String> keyNames) {
            if (config == null || !config.isObject()) {
                throw fail(at, "must be an object with keys");
            }
            onlyFields(config, at, Set.of("keys"));
            JsonNode keys = config.get("keys");
            if (keys == null || keys.isNull() || (keys.isArray() && keys.isEmpty())) {
                throw fail(at + ".keys", "at least one key is required");
            }
            if (!keys.isArray()) {
                throw fail(at + ".keys", "must be a list of {name, secret}");
            }
            List<ProviderChain.Reader> readers = new ArrayList<>();
            for (int k = 0; k < keys.size(); k++) {
                String field = at + ".keys[" + k + "]";
                JsonNode key = keys.get(k);
                if (!key.isObject()) {
                    throw fail(field, "must be an object with name and secret");
                }
                onlyFields(key, field, Set.of("name", "secret"));
                String name = text(key, "name", field + ".name", false);
                if (name.isEmpty()) {
                    throw fail(field + ".name", "name is a mandatory field for a key");
                }
                if (name.contains(":")) {
                    throw fail(field + ".name", "aesgcm key name '" + name + "' must not contain ':'");
                }
                if (keyNames.containsKey(name)) {
                    throw fail(field + ".name", "duplicate aesgcm key name '" + name + "' (also "
                            + keyNames.get(name) + "); key names must be unique");
                }
                keyNames.put(name, field);
                String secret = text(key, "secret", field + ".secret", false);
                if (secret.isEmpty()) {
                    throw fail(field + ".secret", "secret is a mandatory field for a key");
                }
                byte[] bytes;
                try {
                    bytes = Base64.getDecoder().decode(secret.replace("\n", "").replace("\r", ""));
                } catch (IllegalArgumentException e) {
                    throw fail(field + ".secret", "aesgcm key '" + name + "': the secret must be base64 encoded");
                }
                if (bytes.length != 16 && bytes.length != 24 && bytes.length != 32) {
                    throw fail(field + ".secret", "aesgcm key '" + name + "' must be 16, 24 or 32 bytes, got "
                            + bytes.length);
                }
                readers.add(ProviderChain.Reader.aesgcm(name, new SecretKeySpec(bytes, "AES")));
            }
            return readers;
        }

        private String text(JsonNode node, String name, String field, boolean required) {
            JsonNode n = node.get(name);
            if (n == null || n.isNull()) {
                if (required) {
                    throw fail(field, "is required");
                }
                return "";
            }
            if (!n.isString()) {
                throw fail(field, "must be a string");
            }
            return n.asString();
        }

        private void onlyFields(JsonNode node, String at, Set<String> allowed) {
            for (String name : node.propertyNames()) {
                if (!allowed.contains(name)) {
                    throw fail(at.isEmpty() ? name : at + "." + name, "unknown field; expected one of "
                            + allowed.stream().sorted().toList());
                }
            }
        }
    }
}
