package io.kubeha.apiserver.http;

import io.kubeha.apiserver.api.Json;
import io.kubeha.apiserver.registry.ResourceType;
import io.kubeha.apiserver.registry.Resources;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.util.List;
import java.util.Map;

/**
 * The legacy discovery documents kubectl reads to map names to resources: {@code /api}, {@code /apis},
 * {@code /apis/G}, {@code /api/v1}, {@code /apis/G/V}. kubectl asks for aggregated discovery first and falls
 * back to these when the answer is plain JSON.
 */
final class Discovery {
    private final Resources resources;

    Discovery(Resources resources) {
        this.resources = resources;
    }

    ObjectNode apiVersions(String serverAddress) {
        ObjectNode o = Json.object();
        o.put("kind", "APIVersions");
        o.putArray("versions").add("v1");
        ObjectNode cidr = o.putArray("serverAddressByClientCIDRs").addObject();
        cidr.put("clientCIDR", "0.0.0.0/0");
        cidr.put("serverAddress", serverAddress);
        return o;
    }

    ObjectNode groupList() {
        ObjectNode o = Json.object();
        o.put("kind", "APIGroupList");
        o.put("apiVersion", "v1");
        ArrayNode groups = o.putArray("groups");
        for (Map.Entry<String, List<String>> g : resources.groups().entrySet()) {
            if (g.getKey().isEmpty()) continue;
            groups.add(group(g.getKey(), g.getValue()));
        }
        return o;
    }

    ObjectNode group(String name) {
        List<String> versions = resources.groups().get(name);
        if (versions == null || name.isEmpty()) return null;
        ObjectNode o = group(name, versions);
        o.put("kind", "APIGroup");
        o.put("apiVersion", "v1");
        return o;
    }

    private static ObjectNode group(String name, List<String> versions) {
        ObjectNode o = Json.object();
        o.put("name", name);
        ArrayNode vs = o.putArray("versions");
        for (String v : versions) {
            ObjectNode gv = vs.addObject();
            gv.put("groupVersion", name + "/" + v);
            gv.put("version", v);
        }
        ObjectNode preferred = o.putObject("preferredVersion");
        preferred.put("groupVersion", name + "/" + versions.get(0));
        preferred.put("version", versions.get(0));
        return o;
    }

    /** The APIResourceList of one group version, or null when it is not served. */
    ObjectNode resourceList(String group, String version) {
        List<ResourceType> types = resources.all().stream()
                .filter(t -> t.group().equals(group) && t.version().equals(version)).toList();
        if (types.isEmpty()) return null;
        ObjectNode o = Json.object();
        o.put("kind", "APIResourceList");
        o.put("apiVersion", "v1");
        o.put("groupVersion", group.isEmpty() ? version : group + "/" + version);
        ArrayNode list = o.putArray("resources");
        for (ResourceType t : types) {
            ObjectNode r = list.addObject();
            r.put("name", t.resource());
            r.put("singularName", t.singular());
            r.put("namespaced", t.namespaced());
            r.put("kind", t.kind());
            verbs(r, t.verbs());
            if (!t.shortNames().isEmpty()) verbs(r, "shortNames", t.shortNames());
            if (!t.categories().isEmpty()) verbs(r, "categories", t.categories());
            for (String sub : List.of("approval", "status", "scale", "binding", "eviction", "log", "finalize")) {
                if (!t.has(sub)) continue;
                ObjectNode s = list.addObject();
                s.put("name", t.resource() + "/" + sub);
                s.put("singularName", "");
                s.put("namespaced", t.namespaced());
                switch (sub) {
                    case "scale" -> {
                        s.put("group", "autoscaling");
                        s.put("version", "v1");
                        s.put("kind", "Scale");
                        verbs(s, List.of("get", "patch", "update"));
                    }
                    case "binding" -> {
                        s.put("kind", "Binding");
                        verbs(s, List.of("create"));
                    }
                    case "eviction" -> {
                        s.put("group", "policy");
                        s.put("version", "v1");
                        s.put("kind", "Eviction");
                        verbs(s, List.of("create"));
                    }
                    case "log" -> {
                        s.put("kind", "Pod");
                        verbs(s, List.of("get"));
                    }
                    case "finalize" -> {
                        s.put("kind", t.kind());
                        verbs(s, List.of("update"));
                    }
                    default -> {
                        s.put("kind", t.kind());
                        verbs(s, List.of("get", "patch", "update"));
                    }
                }
            }
        }
        return o;
    }

    private static void verbs(ObjectNode r, List<String> verbs) {
        verbs(r, "verbs", verbs);
    }

    private static void verbs(ObjectNode r, String field, List<String> values) {
        ArrayNode a = r.putArray(field);
        values.forEach(a::add);
    }
}
