package io.kubeha.security.rbac;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** RBAC objects in maps, for tests; {@link #add} takes JSON text or nodes and sorts them by kind. */
class MemoryRbacObjects implements RbacObjects {

    static final JsonMapper MAPPER = JsonMapper.builder().build();

    final Map<String, JsonNode> roles = new TreeMap<>();
    final Map<String, JsonNode> clusterRoles = new TreeMap<>();
    final Map<String, JsonNode> roleBindings = new TreeMap<>();
    final Map<String, JsonNode> clusterRoleBindings = new TreeMap<>();

    static JsonNode json(String text) {
        return MAPPER.readTree(text.replace('\'', '"'));
    }

    MemoryRbacObjects add(String... jsons) {
        for (String j : jsons) {
            add(json(j));
        }
        return this;
    }

    MemoryRbacObjects add(JsonNode o) {
        String name = Json.name(o);
        String ns = Json.namespace(o);
        switch (Json.text(o, "kind")) {
            case "Role" -> roles.put(ns + "/" + name, o);
            case "ClusterRole" -> clusterRoles.put(name, o);
            case "RoleBinding" -> roleBindings.put(ns + "/" + name, o);
            case "ClusterRoleBinding" -> clusterRoleBindings.put(name, o);
            default -> throw new IllegalArgumentException("not an RBAC object: " + o);
        }
        return this;
    }

    MemoryRbacObjects addAll(List<? extends JsonNode> objects) {
        objects.forEach(this::add);
        return this;
    }

    @Override
    public Optional<JsonNode> role(String namespace, String name) {
        return Optional.ofNullable(roles.get(namespace + "/" + name));
    }

    @Override
    public Optional<JsonNode> clusterRole(String name) {
        return Optional.ofNullable(clusterRoles.get(name));
    }

    @Override
    public List<JsonNode> roleBindings(String namespace) {
        List<JsonNode> out = new ArrayList<>();
        roleBindings.forEach((k, v) -> {
            if (k.startsWith(namespace + "/")) {
                out.add(v);
            }
        });
        return out;
    }

    @Override
    public List<JsonNode> clusterRoleBindings() {
        return new ArrayList<>(clusterRoleBindings.values());
    }
}
