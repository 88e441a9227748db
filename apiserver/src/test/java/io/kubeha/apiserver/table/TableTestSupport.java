package io.kubeha.apiserver.table;

import io.kubeha.apiserver.api.Json;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Shared by the table tests: a fixed "now", timestamps relative to it, and reading cells back. */
final class TableTestSupport {
    static final Instant NOW = Instant.parse("2025-06-01T12:00:00Z");

    private TableTestSupport() {}

    /** An RFC 3339 timestamp the given time before {@link #NOW}. */
    static String ago(Duration d) {
        return NOW.minus(d).toString();
    }

    static String minutesAgo(long m) {
        return ago(Duration.ofMinutes(m));
    }

    static ObjectNode json(String text) {
        return (ObjectNode) Json.MAPPER.readTree(text);
    }

    static ObjectNode tree(Object fabric8Object) {
        return (ObjectNode) Json.tree(fabric8Object);
    }

    /** The cells kubectl would get for one object of the resource, wide ones included. */
    static List<Object> cells(String resource, JsonNode object) {
        return cells(Tables.tableOf(resource, object, TableOptions.DEFAULT, NOW), 0);
    }

    /** The cells of one row, strings as String and numbers as Long. */
    static List<Object> cells(JsonNode table, int row) {
        List<Object> out = new ArrayList<>();
        for (JsonNode c : table.path("rows").path(row).path("cells").values()) {
            if (c.isString()) {
                out.add(c.asString());
            } else if (c.isIntegralNumber()) {
                out.add(c.asLong());
            } else if (c.isBoolean()) {
                out.add(c.asBoolean());
            } else {
                out.add(c);
            }
        }
        return out;
    }

    /** The column names kube-apiserver sends, with "*" after each wide (priority 1) one. */
    static List<String> columns(String resource) {
        JsonNode table = Tables.table(resource, List.of(), TableOptions.DEFAULT, null, NOW);
        List<String> out = new ArrayList<>();
        for (JsonNode c : table.path("columnDefinitions").values()) {
            out.add(c.path("name").asString() + (c.path("priority").asInt() == 1 ? "*" : ""));
        }
        return out;
    }
}
