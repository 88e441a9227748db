package io.kubeha.apiserver.table;

import tools.jackson.databind.JsonNode;

import java.time.Instant;
import java.util.List;

/**
 * How one resource is printed: its columns and, for one object, its cells (in column order, the wide ones
 * included, because kube-apiserver always prints wide and lets kubectl drop priority-1 columns).
 * A cell is a {@link String} or a {@link Long}, the two kinds of value Kubernetes' printers put in cells.
 */
interface Printer {
    List<Column> columns();

    List<Object> cells(JsonNode object, Instant now);

    /** {@code row.conditions}; only pods have any (Completed when Succeeded or Failed). */
    default List<RowCondition> conditions(JsonNode object) {
        return List.of();
    }

    /** A printer from its columns and a cell function. */
    static Printer of(List<Column> columns, CellFunction cells) {
        return new Printer() {
            @Override
            public List<Column> columns() {
                return columns;
            }

            @Override
            public List<Object> cells(JsonNode object, Instant now) {
                return cells.cells(object, now);
            }
        };
    }

    @FunctionalInterface
    interface CellFunction {
        List<Object> cells(JsonNode object, Instant now);
    }

    /** One {@code metav1.TableRowCondition}. */
    record RowCondition(String type, String status, String reason, String message) {}
}
