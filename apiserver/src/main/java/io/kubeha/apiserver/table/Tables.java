package io.kubeha.apiserver.table;

import io.kubeha.apiserver.api.Json;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * Server-side printing: turns objects into the {@code meta.k8s.io} Table that kube-apiserver answers to
 * {@code Accept: application/json;as=Table;v=v1;g=meta.k8s.io}, with the columns and cells kube-apiserver
 * 1.33 prints for the resource. See the package documentation for what is printed how.
 */
public final class Tables {
    private Tables() {}

    /**
     * The Table for a list (or a page of one).
     *
     * @param resource      the plural resource with its group, as kube names it: "pods", "deployments.apps",
     *                      "leases.coordination.k8s.io"; any other gets kube's default table
     * @param objects       the items, whole objects as JSON trees; rows come in this order
     * @param includeObject the {@code includeObject} query parameter: "None", "Object", "Metadata", or null
     *                      for the default (Metadata); a literal {@code null} needs a {@code (String)} cast,
     *                      or use {@link TableOptions#DEFAULT} with the other overload
     * @param listMeta      the list's metadata: its resourceVersion, continue and remainingItemCount go
     *                      into the Table's metadata; null for none
     * @param now           the time AGE and LAST SEEN are measured to
     * @throws io.kubeha.apiserver.api.ApiException 400 for an unknown includeObject value
     */
    public static ObjectNode table(String resource, List<? extends JsonNode> objects, String includeObject,
                                   JsonNode listMeta, Instant now) {
        return table(resource, objects, TableOptions.of(includeObject), listMeta, now);
    }

    /** As {@link #table(String, List, String, JsonNode, Instant)}, with all the options. */
    public static ObjectNode table(String resource, List<? extends JsonNode> objects, TableOptions options,
                                   JsonNode listMeta, Instant now) {
        Objects.requireNonNull(objects, "objects");
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(now, "now");
        ObjectNode table = header(Printers.forResource(resource), options);
        ObjectNode metadata = (ObjectNode) table.get("metadata");
        if (listMeta != null) {
            copyNonEmpty(listMeta, "resourceVersion", metadata);
            copyNonEmpty(listMeta, "continue", metadata);
            if (listMeta.path("remainingItemCount").isIntegralNumber()) {
                metadata.set("remainingItemCount", listMeta.get("remainingItemCount").deepCopy());
            }
        }
        addRows(table, Printers.forResource(resource), objects, options, now);
        return table;
    }

    /**
     * The Table for one object (a GET of one name, or one watch event): one row, and the object's
     * resourceVersion as the Table's. For watch events pass {@code options.withNoHeaders(true)} after the
     * first event, as kube-apiserver does; an ERROR event's Status is sent as it is, not as a Table.
     */
    public static ObjectNode tableOf(String resource, JsonNode object, TableOptions options, Instant now) {
        Objects.requireNonNull(object, "object");
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(now, "now");
        Printer printer = Printers.forResource(resource);
        ObjectNode table = header(printer, options);
        copyNonEmpty(object.path("metadata"), "resourceVersion", (ObjectNode) table.get("metadata"));
        addRows(table, printer, List.of(object), options, now);
        return table;
    }

    /** Whether the resource has a printer of its own, rather than the default NAME, CREATED AT. */
    public static boolean hasPrinter(String resource) {
        return Printers.has(resource);
    }

    private static ObjectNode header(Printer printer, TableOptions options) {
        ObjectNode table = Json.object();
        table.put("kind", "Table");
        table.put("apiVersion", options.apiVersion());
        table.putObject("metadata");
        if (options.noHeaders()) {
            table.putNull("columnDefinitions");
        } else {
            ArrayNode columns = table.putArray("columnDefinitions");
            for (Column c : printer.columns()) {
                ObjectNode col = columns.addObject();
                col.put("name", c.name());
                col.put("type", c.type());
                col.put("format", c.format());
                col.put("description", c.description());
                col.put("priority", c.priority());
            }
        }
        return table;
    }

    private static void addRows(ObjectNode table, Printer printer, List<? extends JsonNode> objects,
                                TableOptions options, Instant now) {
        ArrayNode rows = table.putArray("rows");
        for (JsonNode object : objects) {
            ObjectNode row = rows.addObject();
            ArrayNode cells = row.putArray("cells");
            for (Object cell : printer.cells(object, now)) {
                switch (cell) {
                    case String s -> cells.add(s);
                    case Long l -> cells.add(l);
                    case Integer i -> cells.add(i.longValue());
                    case Boolean b -> cells.add(b);
                    default -> throw new IllegalStateException("unexpected cell " + cell.getClass());
                }
            }
            List<Printer.RowCondition> conditions = printer.conditions(object);
            if (!conditions.isEmpty()) {
                ArrayNode conds = row.putArray("conditions");
                for (Printer.RowCondition c : conditions) {
                    ObjectNode cond = conds.addObject();
                    cond.put("type", c.type());
                    cond.put("status", c.status());
                    cond.put("reason", c.reason());
                    cond.put("message", c.message());
                }
            }
            switch (options.includeObject()) {
                case NONE -> row.putNull("object");
                case OBJECT -> row.set("object", object.deepCopy());
                case METADATA -> {
                    ObjectNode partial = row.putObject("object");
                    partial.put("kind", "PartialObjectMetadata");
                    partial.put("apiVersion", options.apiVersion());
                    JsonNode metadata = object.path("metadata");
                    partial.set("metadata", metadata.isObject() ? metadata.deepCopy() : Json.object());
                }
            }
        }
    }

    private static void copyNonEmpty(JsonNode from, String field, ObjectNode to) {
        String value = Fields.str(from, field);
        if (!value.isEmpty()) {
            to.put(field, value);
        }
    }
}
